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
