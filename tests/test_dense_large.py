"""The FAISS kinds for large collections (rag.index.dense): recall, filters, round trip; mapped BM25."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index import dense as dense_mod
from rag.index.dense import Dense, choose_kind, ivf_lists
from rag.index.lexical import Lexical

LARGE_KINDS = ["ivf-sq8"]


def _clustered(rng, n, d, centres=60):
    """Unit vectors around a few centres, like clause embeddings (uniform ones defeat any index)."""
    middle = rng.normal(size=(centres, d)).astype(np.float32)
    v = middle[rng.integers(0, centres, n)] + 0.5 * rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _recall(index, vectors, queries, mask=None, k=10):
    shares = []
    for q in queries:
        scores, rows = index.search(q, k, mask)
        exact = vectors @ q if mask is None else np.where(mask, vectors @ q, -np.inf)
        truth = np.argsort(-exact)[:min(k, len(vectors) if mask is None else int(mask.sum()))]
        shares.append(len(set(rows.tolist()) & set(truth.tolist())) / len(truth))
        np.testing.assert_allclose(scores, vectors[rows] @ q, atol=0.02)  # 8-bit codes
        if mask is not None:
            assert mask[rows].all()
    return float(np.mean(shares))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    vectors = _clustered(rng, 6000, 48)
    noise = 0.2 * rng.normal(size=(25, 48)).astype(np.float32)
    queries = vectors[rng.choice(6000, 25, replace=False)] + noise
    return vectors, queries / np.linalg.norm(queries, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", LARGE_KINDS)
def test_large_kinds_round_trip_with_high_recall(kind, data, tmp_path):
    vectors, queries = data
    built = Dense.build(vectors, kind)
    built.save(tmp_path / "v.faiss")
    index = Dense.load(tmp_path / "v.faiss", kind, threads=1)
    assert index.kind == kind and index.size == 6000 and index.dimension == 48
    assert _recall(index, vectors, queries) >= 0.9
    np.testing.assert_allclose(index.vectors(np.array([5, 1])), vectors[[5, 1]], atol=0.02)
    assert index.vectors().shape == (6000, 48)


@pytest.mark.parametrize("kind", [*LARGE_KINDS, "hnsw"])
@pytest.mark.parametrize("exact_below", [20_000, 100])  # every selection scanned exactly / widened search
def test_filtered_search_returns_only_allowed_rows(kind, exact_below, data, monkeypatch):
    vectors, queries = data
    monkeypatch.setattr(dense_mod, "EXACT_BELOW", exact_below)
    index = Dense.build(vectors, kind)
    rng = np.random.default_rng(4)
    for share in (0.3, 0.03):
        mask = rng.random(6000) < share
        assert _recall(index, vectors, queries, mask) >= 0.9, (kind, share)
    one = np.zeros(6000, bool)
    one[[17, 4000, 5999]] = True  # fewer allowed rows than asked for
    scores, rows = index.search(queries[0], 10, one)
    assert sorted(rows.tolist()) == [17, 4000, 5999]
    assert len(index.search(queries[0], 10, np.zeros(6000, bool))[1]) == 0


def test_ivf_lists_grow_with_the_collection():
    assert ivf_lists(1_000_000) == 4096 and ivf_lists(100_000) == 1024
    assert ivf_lists(1000) == 25 and ivf_lists(0) == 1  # >= 39 training vectors per list
    empty = Dense.build(np.zeros((0, 8), np.float32), "ivf-sq8")
    assert empty.size == 0 and len(empty.search(np.ones(8, np.float32), 3)[1]) == 0


def test_auto_picks_ivf_for_large_collections():
    assert choose_kind("auto", 10) == "flat" and choose_kind("auto", 30_000) == "fp16"
    assert choose_kind("auto", 150_000) == "fp16" and choose_kind("auto", 150_001) == "ivf-sq8"
    assert choose_kind("auto", 10**6) == "ivf-sq8"


def test_memory_mapped_bm25_scores_like_the_loaded_one(tmp_path):
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    docs = [[str(w) for w in rng.choice(words, rng.integers(3, 40))] for _ in range(800)]
    built = Lexical.build(docs)
    built.save(tmp_path / "bm25")
    loaded, mapped = Lexical.load(tmp_path / "bm25"), Lexical.load(tmp_path / "bm25", mmap=True)
    assert isinstance(mapped.plain.scores["data"], np.memmap) and mapped.size == 800
    for query in ("w1 w2 w2 w250", "w7", " ".join(words[:60])):
        scores = mapped.scores(query, accentless=False)
        assert scores.max() > 0
        np.testing.assert_array_equal(scores, loaded.scores(query, accentless=False))
        np.testing.assert_array_equal(scores, built.scores(query, accentless=False))
