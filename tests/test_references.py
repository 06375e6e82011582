"""Documents named in a question are recognised and lifted (fake encoder, tiny corpus)."""

from __future__ import annotations

import pytest
from fake_encoder import KeywordEncoder

from rag import build_index, load_index
from rag.search.references import document_key, find_references, matches


def _refs(query: str) -> list[tuple[int, list[str]]]:
    return [(r.number, sorted(r.types)) for r in find_references(query)]


@pytest.mark.parametrize(("query", "expected"), [
    ("Nghị quyết 57 yêu cầu gì về dữ liệu lớn?", [(57, ["nghi quyet"])]),
    ("nghi quyet so 20, muc tieu 2030", [(20, ["nghi quyet"])]),
    ("Quy định 294-QĐ/TW có hiệu lực từ ngày nào?", [(294, ["quy dinh", "quyet dinh"])]),
    ("Theo NQ 03/NQ-CP ngày 09/01/2025", [(3, ["nghi quyet"])]),
    ("Which body must report on Conclusion 69?", [(69, ["ket luan"])]),
    ("Hướng dẫn 06 và Kết luận 69", [(6, ["huong dan"]), (69, ["ket luan"])]),
    ("Nghị quyết 12/2018/NQ-HĐND về thủy sản", [(12, ["nghi quyet"])]),
    ("kết nạp được 95% chỉ tiêu năm 2024", []),
    ("Nghị quyết 2,5 lần", []),
])
def test_references_are_found_in_any_spelling(query, expected):
    assert _refs(query) == expected


@pytest.mark.parametrize("query", [
    "Chính phủ giao bộ nào bảo đảm kinh phí thực hiện Nghị quyết 57?",
    "chuong trinh hanh dong trien khai nghi quyet so 57-NQ/TW",
    "the Government's action programme for Resolution 57",
])
def test_the_document_being_implemented_is_not_the_one_asked_about(query):
    assert find_references(query) == []


def test_document_keys_come_from_the_number_or_the_file_name():
    assert document_key("294-QĐ/TW", "Quy định") == (294, "quy dinh")
    assert document_key("12/2018/NQ-HĐND", "Nghị quyết") == (12, "nghi quyet")
    hanoi = "party/huong-dan-02-HD-BTCTU-hanoi-2025-11.pdf"
    assert document_key(None, "Hướng dẫn", hanoi) == (2, "huong dan")
    assert document_key(None, "Kết luận", "ducpho-ket-luan-hoi-nghi-18.txt") is None
    reference = find_references("Quy định 294")[0]
    assert matches(reference, (294, "quy dinh")) and not matches(reference, (294, "nghi quyet"))
    assert not matches(reference, None)


NQ_12 = """HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NGÃI
Số: 12/2018/NQ-HĐND
Quảng Ngãi, ngày 10 tháng 7 năm 2018

NGHỊ QUYẾT
Về hỗ trợ ngư dân

Điều 1. Hỗ trợ ngư dân đóng mới tàu cá khai thác xa bờ.
"""

NQ_15 = """HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NGÃI
Số: 15/2019/NQ-HĐND
Quảng Ngãi, ngày 12 tháng 7 năm 2019

NGHỊ QUYẾT
Về hỗ trợ ngư dân

Điều 1. Hỗ trợ ngư dân đóng mới tàu cá khai thác xa bờ và mua bảo hiểm thân tàu.
"""


def test_a_question_naming_a_document_ranks_its_clause_first(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(NQ_12, encoding="utf-8")
    (corpus / "b.txt").write_text(NQ_15, encoding="utf-8")
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    # Word for word, this question fits Resolution 15 better; it names Resolution 12.
    question = "Nghị quyết 12/2018/NQ-HĐND hỗ trợ ngư dân đóng mới tàu cá và mua bảo hiểm thân tàu"
    hits = index.search(question, k=2)
    assert hits[0].source == "a.txt" and hits[0].path == "Điều 1"
    index.settings = type(index.settings)(reference_weight=0.0)
    assert index.search(question, k=2)[0].source == "b.txt"
    index.settings = type(index.settings)()
    assert index.search(question.replace("12/2018", "15/2019"), k=2)[0].source == "b.txt"
