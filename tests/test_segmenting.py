"""BM25 tokens made in a worker process while the encoder embeds: same tokens, same index."""

import shutil

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018

from rag import build_index
from rag.index import segmenting
from rag.index.format import TOKENS, read_jsonl
from rag.index.lexical import tokenize
from rag.index.store import current_version

TEXTS = ["Chống khai thác hải sản bất hợp pháp, không báo cáo và không theo quy định (IUU).",
         "Đẩy nhanh tiến độ giải phóng mặt bằng các dự án trọng điểm.",
         "Ban Thường vụ Thị ủy lãnh đạo chuẩn bị Đại hội Đảng bộ thị xã nhiệm kỳ 2025 - 2030.",
         ""]


def test_the_worker_gives_the_tokens_of_this_process_in_order(monkeypatch):
    monkeypatch.setattr(segmenting, "MIN_TEXTS", 0)
    monkeypatch.setattr(segmenting, "BATCH", 3)  # two tasks, so their order matters
    texts = TEXTS * 2
    background = segmenting.BackgroundTokens(texts, "words+syllables")
    assert background._pool is not None and len(background._futures) == 3
    assert background.result() == [tuple(tokenize(t, "words+syllables")) for t in texts]
    assert background._pool is None  # the worker is stopped once the tokens are in


def test_without_a_worker_the_tokens_are_made_here(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr(segmenting, "MIN_TEXTS", 0)
    monkeypatch.setattr(segmenting, "ProcessPoolExecutor", refuse)
    background = segmenting.BackgroundTokens(TEXTS, "words")
    assert background._futures == []
    assert background.result() == [tuple(tokenize(t, "words")) for t in TEXTS]


@pytest.mark.parametrize("parallel", [True, False])
def test_a_build_writes_the_same_tokens_either_way(tmp_path, monkeypatch, parallel):
    monkeypatch.setattr(segmenting, "MIN_TEXTS", 0)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "nq-12-2018.txt").write_text(HDND_2018, encoding="utf-8")
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder(), parallel_segment=parallel)
    folder = current_version(tmp_path / "index")
    tokens = read_jsonl(folder / TOKENS)
    chunks = read_jsonl(folder / "chunks.jsonl")
    assert len(tokens) == len(chunks) > 20
    iuu = next(t for t, c in zip(tokens, chunks, strict=True) if c["path"] == "II.2.6")
    assert {"khai_thác", "hải_sản", "bất_hợp_pháp"} <= {w.lower() for w in iuu}
    serial = tmp_path / "serial"
    build_index(corpus, serial, embedder=KeywordEncoder(), parallel_segment=False)
    assert read_jsonl(current_version(serial) / TOKENS) == tokens
