"""The web app over the bundled corpus, through its named API endpoints (slow: real model)."""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import ARTIFACTS, FOUNDING


@pytest.fixture(scope="module")
def client(app_server):
    from gradio_client import Client

    return Client(app_server["url"], verbose=False)


def _ask(client, question):
    text, payload = client.predict(question, api_name="/ask")
    return text, json.loads(payload)


@pytest.mark.slow
def test_ask_cites_clause_2_6_for_the_iuu_question(client):
    text, answer = _ask(client, "which tasks concern IUU fishing?")
    assert answer["found"] and answer["language"] == "en"
    first = answer["citations"][0]
    assert first["clause_id"] == f"{FOUNDING.name}#II.2.6" and first["path"] == "II.2.6"
    assert first["label"] == "Conclusion of Thị ủy Đức Phổ, 11/10/2024 — clause II.2.6"
    assert "clause II.2.6" in text
    _, vi = _ask(client, "nhiệm vụ chống khai thác IUU")
    assert vi["citations"][0]["label"] == "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6"


@pytest.mark.slow
def test_ask_about_something_absent_says_not_found(client):
    text, answer = _ask(client, "Giá vé máy bay khứ hồi Hà Nội đi Paris tháng sau là bao nhiêu?")
    assert not answer["found"]
    assert "không có nội dung trả lời" in text and answer["citations"]  # nearest clauses offered


@pytest.mark.slow
def test_search_with_a_year_filter_returns_only_that_year(client):
    hits = json.loads(client.predict("chương trình OCOP", 2024, 2024, None, None, "hybrid", 5,
                                     api_name="/search"))
    assert hits and {h["year"] for h in hits} == {2024}
    assert "II.2.3" in [h["path"] for h in hits[:3]]
    assert json.loads(client.predict("chương trình OCOP", 2016, 2018, None, None, "hybrid", 5,
                                     api_name="/search")) == []


@pytest.mark.slow
def test_twenty_concurrent_asks_complete(app_server):
    from gradio_client import Client

    questions = ["which tasks concern IUU fishing?", "chương trình OCOP", "chong khai thac hai san",
                 "công tác cán bộ năm 2024"] * 5

    def one(question):
        client = Client(app_server["url"], verbose=False)
        start = time.perf_counter()
        text, payload = client.predict(question, api_name="/ask")
        return time.perf_counter() - start, json.loads(payload)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, questions))
    wall = time.perf_counter() - start
    assert len(results) == 20 and all(r[1]["citations"] for r in results)
    latencies = sorted(r[0] for r in results)
    report = {"calls": 20, "wall_s": round(wall, 2), "p50_s": round(statistics.median(latencies), 2),
              "p95_s": round(latencies[int(0.95 * len(latencies)) - 1], 2), "max_s": round(latencies[-1], 2)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "concurrent-ask.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print("20 concurrent asks:", report)
