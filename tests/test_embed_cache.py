"""The content-addressed embedding cache: reuse across builds, partial re-embedding, resumption."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fake_encoder import KeywordEncoder

from rag import build_index, document_from_text, load_index
from rag.index.embed_cache import EmbeddingCache, cache_info, fingerprint, prune

NQ = """NGHỊ QUYẾT
về phát triển kinh tế biển

1. Chống khai thác hải sản bất hợp pháp, không báo cáo, không theo quy định (IUU). Gỡ thẻ vàng.

2. Đầu tư cảng cá và khu neo đậu tránh trú bão cho tàu cá.

3. Phát triển du lịch biển gắn với bảo vệ môi trường.
"""
KL = """KẾT LUẬN
Hội nghị Thị ủy lần thứ 18

1. Tập trung chỉ đạo thu ngân sách. Hoàn thành dự toán năm.

2. Chuẩn bị đại hội chi bộ nhiệm kỳ 2025 - 2027.
"""


def _docs(nq: str = NQ):
    return [document_from_text("nq.txt", nq), document_from_text("kl.txt", KL)]


def _vectors(index_dir):
    index = load_index(index_dir, embedder=KeywordEncoder())
    return {h.chunk_id: h.dense_score for h in index.search("khai thác IUU cảng cá", k=20, mode="dense")}


def test_a_rebuild_embeds_nothing_and_gives_the_same_index(tmp_path):
    cache = tmp_path / "embeddings"
    first = KeywordEncoder()
    report = build_index(documents=_docs(), index=tmp_path / "a", embedder=first, cache=cache)
    assert report.cache_hits == 0 and report.cache_misses == len(first.passages) > 5
    again = KeywordEncoder()
    report = build_index(documents=_docs(), index=tmp_path / "b", embedder=again, cache=cache)
    assert again.passages == [] and report.cache_misses == 0 and report.cache_hits == len(first.passages)
    assert _vectors(tmp_path / "a") == _vectors(tmp_path / "b")
    plain = build_index(documents=_docs(), index=tmp_path / "c", embedder=KeywordEncoder())
    assert plain.cache_hits == plain.cache_misses == 0
    assert _vectors(tmp_path / "c") == _vectors(tmp_path / "a")
    assert "100.0% reused" in report.summary()


def test_after_a_text_change_only_the_changed_passages_are_embedded(tmp_path):
    cache = tmp_path / "embeddings"
    build_index(documents=_docs(), index=tmp_path / "a", embedder=KeywordEncoder(), cache=cache)
    changed = NQ.replace("Phát triển du lịch biển", "Phát triển du lịch sinh thái biển")
    encoder = KeywordEncoder()
    build_index(documents=_docs(changed), index=tmp_path / "b", embedder=encoder, cache=cache)
    # The changed clause, and its one sentence embedded on its own.
    assert len(encoder.passages) == 2 and all("du lịch sinh thái" in p for p in encoder.passages)


class _Killed(KeywordEncoder):
    """Dies on its ``fail_on``-th call, like a build killed half-way."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.calls, self.fail_on = 0, fail_on

    def encode_passages(self, texts, *, show_progress=False):
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt("killed")
        return super().encode_passages(texts)


def test_a_killed_build_resumes_from_what_it_embedded(tmp_path, monkeypatch):
    from rag.index import build

    monkeypatch.setattr(build, "EMBED_BATCH", 2)  # 3 batches of clauses
    cache = tmp_path / "embeddings"
    full = KeywordEncoder()  # through a cache of its own: sentences count as passages too
    build_index(documents=_docs(), index=tmp_path / "ref", embedder=full, cache=tmp_path / "ref-cache")
    killed = _Killed(fail_on=3)  # batch 1: clauses + sentences; batch 2: clauses, then dies
    with pytest.raises(KeyboardInterrupt):
        build_index(documents=_docs(), index=tmp_path / "a", embedder=killed, cache=cache)
    assert not (tmp_path / "a" / "current").exists() or not list((tmp_path / "a").glob("v*"))
    resumed = KeywordEncoder()
    report = build_index(documents=_docs(), index=tmp_path / "a", embedder=resumed, cache=cache)
    assert report.cache_hits == len(killed.passages) > 0
    assert len(resumed.passages) + len(killed.passages) == len(full.passages)
    assert _vectors(tmp_path / "a") == _vectors(tmp_path / "ref")


def test_models_get_their_own_files_and_info_and_prune_work(tmp_path, capsys):
    cache = tmp_path / "embeddings"
    build_index(documents=_docs(), index=tmp_path / "a", embedder=KeywordEncoder(), cache=cache)
    build_index(documents=_docs(), index=tmp_path / "b", embedder=KeywordEncoder("other", 64), cache=cache)
    info = cache_info(cache)
    assert sorted(row["model"]["name"] for row in info) == ["fake-keyword", "other"]
    assert all(row["vectors"] > 5 for row in info)
    assert fingerprint(KeywordEncoder().info) != fingerprint(KeywordEncoder("other", 64).info)
    assert prune(cache, older_than_days=1) == 0
    from rag.cli import main

    assert main(["cache", "info", "--cache", str(cache), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["files"]) == 2
    assert main(["cache", "prune", "--cache", str(cache), "--older-than-days", "0"]) == 0
    assert "đã xóa" in capsys.readouterr().out
    assert all(row["vectors"] == 0 for row in cache_info(cache))


def test_keys_ignore_unicode_form_but_not_the_prompt(tmp_path):
    import unicodedata

    encoder = KeywordEncoder()
    cache = EmbeddingCache(tmp_path, encoder.info)
    text = "Chống khai thác IUU"
    assert cache.key(text) == cache.key(unicodedata.normalize("NFD", text) + "  ")
    cache.put_many([(cache.key(text), np.ones(256, np.float32))])
    assert list(cache.get_many([cache.key(text)])) == [cache.key(text)]
    cache.close()
