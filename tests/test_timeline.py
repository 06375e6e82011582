"""The same task across years: the best clauses on a topic per year and issuer (fake encoder)."""

from __future__ import annotations

import json

import pytest
from fake_encoder import KeywordEncoder

from rag import build_index, document_from_text, load_index
from rag.answer.timeline import group_hits, timeline, timeline_groups_html


def _resolution(province: str, year: int, items: list[str]) -> str:
    body = "\n\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
    return (f"HỘI ĐỒNG NHÂN DÂN TỈNH {province.upper()}\n\nSố: 12/{year}/NQ-HĐND\n\n"
            f"{province}, ngày 14 tháng 7 năm {year}\n\nNGHỊ QUYẾT\n"
            f"về nhiệm vụ phát triển kinh tế biển\n\n{body}\n")


DOCS = {
    "qn-2016.txt": _resolution("Quảng Ngãi", 2016, [
        "Tăng cường phòng chống khai thác hải sản bất hợp pháp, không báo cáo, không theo quy định (IUU).",
        "Đầu tư hạ tầng cảng cá và khu neo đậu tránh trú bão."]),
    "bd-2017.txt": _resolution("Bình Định", 2017, [
        "Kiểm soát tàu cá xuất bến, xử lý nghiêm tàu cá khai thác hải sản bất hợp pháp IUU "
        "ở vùng biển nước ngoài.",
        "Phát triển du lịch biển gắn với bảo vệ môi trường."]),
    "qn-2018.txt": _resolution("Quảng Ngãi", 2018, [
        "Lắp đặt thiết bị giám sát hành trình cho tàu cá, chống khai thác IUU.",
        "Hỗ trợ ngư dân chuyển đổi nghề khai thác hải sản bất hợp pháp IUU sang nuôi trồng."]),
    "ducpho-2024.txt": ("ĐẢNG BỘ TỈNH QUẢNG NGÃI\nTHỊ ỦY ĐỨC PHỔ\n\nĐức Phổ, ngày 11 tháng 10 năm 2024\n\n"
                        "KẾT LUẬN\nHội nghị Thị ủy lần thứ 18\n\nII. NHIỆM VỤ\n\n"
                        "2.6. Tập trung chống khai thác IUU, gỡ thẻ vàng của Ủy ban châu Âu.\n\n"
                        "2.7. Chuẩn bị đại hội chi bộ nhiệm kỳ 2025 - 2027.\n"),
    "giao-duc-2023.txt": ("UBND TỈNH QUẢNG NGÃI\n\nQuảng Ngãi, ngày 05 tháng 9 năm 2023\n\nKẾ HOẠCH\n"
                          "về năm học mới\n\n1. Sửa chữa trường lớp trước năm học mới.\n"),
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline")
    docs = [document_from_text(name, text) for name, text in DOCS.items()]
    build_index(documents=docs, index=folder / "index", embedder=KeywordEncoder())
    return folder / "index"


@pytest.fixture(scope="module")
def index(index_dir):
    return load_index(index_dir, embedder=KeywordEncoder())


def test_the_iuu_task_is_found_in_every_year_that_has_it(index):
    groups = timeline(index, "phòng chống khai thác IUU")
    assert [g.year for g in groups] == [2024, 2018, 2017, 2016]
    by_year = {g.year: g for g in groups}
    assert by_year[2024].hits[0].clause_id == "ducpho-2024.txt#II.2.6"
    assert "Quảng Ngãi" in by_year[2018].issuer and "Bình Định" in by_year[2017].issuer
    assert {h.path for h in by_year[2018].hits} == {"1", "2"}
    assert all("IUU" in h.text for g in groups for h in g.hits)
    assert 2023 not in by_year  # the school plan has nothing on the topic


def test_groups_are_cut_to_the_best_clauses_and_keep_the_count(index):
    groups = timeline(index, "chống khai thác IUU", per_group=1)
    by_year = {g.year: g for g in groups}
    assert len(by_year[2018].hits) == 1 and by_year[2018].matched == 2
    assert timeline(index, "khai thác IUU", year_from=2017, year_to=2018)
    assert {g.year for g in timeline(index, "khai thác IUU", year_from=2017, year_to=2018)} == {2017, 2018}


def test_the_timeline_reads_by_year_then_issuer_and_serialises(index):
    groups = timeline(index, "chống khai thác IUU")
    page = timeline_groups_html(groups)
    assert page.index("<h4>2024</h4>") < page.index("<h4>2018</h4>") < page.index("<h4>2016</h4>")
    assert page.count("<div class='year'>") == 4 and page.count("</div>") == 5
    assert "THỊ ỦY ĐỨC PHỔ" in page.upper() and "mục II.2.6" in page
    data = json.loads(json.dumps([g.to_dict() for g in groups], ensure_ascii=False))
    assert data[0]["year"] == 2024 and data[0]["hits"][0]["citation"].endswith("mục II.2.6")
    assert timeline_groups_html([]) == "<div class='timeline'><p>Không có kết quả.</p></div>"
    assert group_hits([]) == []


def test_rag_timeline_prints_years_and_issuers_and_pure_json(index_dir, capsys):
    from rag.cli import main

    # bm25 mode: the command needs no embedding model here (the fake encoder is not installable).
    args = ["timeline", "chống khai thác IUU", "--index", str(index_dir), "--mode", "bm25"]
    assert main(args + ["--per-group", "1"]) == 0
    text = capsys.readouterr().out
    assert text.index("== 2024 ==") < text.index("== 2018 ==") < text.index("== 2016 ==")
    assert "HĐND tỉnh Quảng Ngãi (1 điều khoản, 2 liên quan)" in text and "mục II.2.6" in text
    assert main(args + ["--json", "--year-from", "2017"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [g["year"] for g in report["groups"]] == [2024, 2018, 2017]
    assert main(["timeline", "tuyển sinh đại học", "--index", str(index_dir), "--mode", "bm25"]) == 0
    assert "không có điều khoản" in capsys.readouterr().out
