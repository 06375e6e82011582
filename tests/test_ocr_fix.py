"""OCR mark repair: a syllable changes only when its repaired form alone makes a word (Viet74K)."""

from __future__ import annotations

import pytest

from rag.ingest import ocr
from rag.ingest.ocr_fix import modern, repair
from rag.vietnamese import dictionary_words

pytestmark = pytest.mark.skipif(not dictionary_words(), reason="underthesea's Viet74K word list is missing")


@pytest.mark.parametrize(("read", "meant"), [
    ("tô chức cơ sở đảng", "tổ chức cơ sở đảng"),
    ("cấp ủy có thâm quyền", "cấp ủy có thẩm quyền"),  # "tham quyền" is a word too: a tone is nearer
    ("Tô chức", "Tổ chức"),
    ("TÔ CHỨC", "TỔ CHỨC"),
    ("kê hoạch năm 2025", "kế hoạch năm 2025"),
])
def test_a_mark_misread_by_ocr_is_repaired(read, meant):
    assert repair(read) == (meant, 1)


@pytest.mark.parametrize("text", [
    "Đảng bộ tỉnh lãnh đạo",          # every syllable already makes a word
    "có cơ sở",                        # "cơ" is held by "cơ sở": "có" stays
    "Cấp uỷ và chính quyền",            # old-style tone placement is not an error
    "tô, chức",                        # punctuation between: not neighbours
    "Điều 12 khoản 3",
])
def test_right_text_is_left_alone(text):
    assert repair(text) == (text, 0)


def test_only_the_words_ocr_doubted_may_change():
    text = "tô chức cơ sở"
    assert repair(text, doubtful=[])[1] == 0
    assert repair(text, doubtful=[(0, 2)]) == ("tổ chức cơ sở", 1)
    assert repair(text, doubtful=[(4, 8)])[1] == 0  # "chức" doubted, "tô" trusted


def test_modern_tone_placement():
    assert [modern(s) for s in ("uỷ", "hoà", "khoẻ", "quý", "hoàn", "thủy")] == \
        ["ủy", "hòa", "khỏe", "quý", "hoàn", "thủy"]


def test_tsv_words_read_with_doubt_are_repaired_and_eth_becomes_d_stroke():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = ["5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t80\ttô", "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t96\tchức",
            "5\t1\t1\t1\t1\t3\t0\t0\t1\t1\t96\t294-QÐ/TW"]
    tsv = header + "\n".join(rows) + "\n"
    assert ocr.pages_from_tsv(tsv)[0].text == "tổ chức 294-QĐ/TW"
    assert ocr.pages_from_tsv(tsv, trusted=None)[0].text == "tô chức 294-QĐ/TW"
    assert ocr.pages_from_tsv(tsv, trusted=70)[0].text == "tô chức 294-QĐ/TW"


def test_misread_clause_numbers_become_the_number_expected_next():
    from rag.ingest.ocr_fix import repair_numbering

    read = ["8.2. Quản lý hồ sơ\ne) Lưu trữ\nø) Quản lý phiếu đảng viên\nổ.3. Trách nhiệm",
            "a) Chi bộ\nb) Đảng ủy\nc) Cấp ủy\nđ) Trách nhiệm chung\n11. Xóa tên\nII.1. Việc xóa tên\n"
            "11.2. Khác",
            "4.5. Kết nạp\n4.0. Thủ tục xóa tên"]
    fixed = repair_numbering(read, {0, 1, 2})
    assert fixed[0].split("\n") == ["8.2. Quản lý hồ sơ", "e) Lưu trữ", "g) Quản lý phiếu đảng viên",
                                    "8.3. Trách nhiệm"]
    assert "d) Trách nhiệm chung" in fixed[1] and "11.1. Việc xóa tên" in fixed[1]
    assert fixed[2].endswith("4.6. Thủ tục xóa tên")
    # A page read from its text layer is never changed, only followed; right numbers stay.
    assert repair_numbering(read, set()) == read
    right = ["a) một\nb) hai\nc) ba\nd) bốn\nđ) năm\ne) sáu", "1. Một\n2. Hai\n2.1. Hai một\n3. Ba",
             "I. MỤC TIÊU\n1. Một\n2. Hai\nII. NHIỆM VỤ\n1. Một"]
    assert repair_numbering(right, {0, 1}) == right
