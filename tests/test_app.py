"""The web app starts on the bundled corpus and answers through its API (slow: real model)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_render_cites_document_and_clause_path():
    from app_gradio import render
    from rag.records import Hit

    hit = Hit(rank=1, score=0.8, dense_score=0.8, bm25_score=None, chunk_id="kl.txt#II.2.6", doc_id="kl.txt",
              source="kl.txt", title=None, number=None, doc_type="Kết luận", issuer="Thị ủy Đức Phổ",
              date="2024-10-11", year=2024, path="II.2.6", headings=(),
              text="2.6. Tăng cường chống khai thác hải sản bất hợp pháp.", page=3)
    text = render([hit])
    assert text.startswith("**1. Kết luận Thị ủy Đức Phổ 2024-10-11 — mục II.2.6, trang 3**")
    assert "khai thác hải sản bất hợp pháp" in text
    assert render([]).startswith("_Nhập")


@pytest.mark.slow
def test_app_starts_and_search_endpoint_answers(tmp_path):
    from gradio_client import Client

    port = free_port()
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app_gradio.py"), "--port", str(port),
                             "--index", str(tmp_path / "index")],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("app did not start within 300 s")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict("Which tasks concern IUU fishing?", api_name="/search")
        first = answer.split("**2.")[0]
        assert "mục II.2.6" in first and "Thị ủy Đức Phổ" in first
        assert "khai thác hải sản bất hợp pháp" in first
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
