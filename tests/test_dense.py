import numpy as np
import pytest

from rag.index.dense import Dense, choose_kind


def _unit(rng, n, d):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(("n", "d", "k"), [(1, 3, 5), (7, 5, 7), (13, 17, 4), (1001, 33, 10), (4099, 64, 25)])
@pytest.mark.parametrize("filtered", [False, True])
def test_flat_search_equals_numpy_brute_force(n, d, k, filtered):
    rng = np.random.default_rng(n * d)
    vectors, query = _unit(rng, n, d), _unit(rng, 1, d)[0]
    mask = rng.random(n) < 0.3 if filtered else None
    scores, rows = Dense.build(vectors, "flat").search(query, k, mask)
    brute = vectors @ query
    if mask is not None:
        brute = np.where(mask, brute, -np.inf)
    allowed = n if mask is None else int(mask.sum())
    expected = np.argsort(-brute, kind="stable")[: min(k, allowed)]
    assert rows.tolist() == expected.tolist()
    np.testing.assert_allclose(scores, brute[expected], rtol=1e-5, atol=1e-6)
    if mask is not None:
        assert mask[rows].all()


def test_hnsw_has_high_recall_and_respects_filters(tmp_path):
    rng = np.random.default_rng(0)
    vectors, queries = _unit(rng, 3000, 48), _unit(rng, 20, 48)
    index = Dense.build(vectors, "hnsw")
    index.save(tmp_path / "v.faiss")
    index = Dense.load(tmp_path / "v.faiss", "hnsw")
    mask = rng.random(3000) < 0.5
    recall = []
    for q in queries:
        _, rows = index.search(q, 10, mask)
        assert mask[rows].all()
        truth = np.argsort(-np.where(mask, vectors @ q, -np.inf))[:10]
        recall.append(len(set(rows.tolist()) & set(truth.tolist())) / 10)
    assert np.mean(recall) >= 0.9


def test_vectors_round_trip_and_kind_choice():
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 9, 8)
    index = Dense.build(vectors)
    np.testing.assert_allclose(index.vectors(), vectors)
    np.testing.assert_allclose(index.vectors(np.array([4, 2])), vectors[[4, 2]])
    assert choose_kind("auto", 10) == "flat" and choose_kind("auto", 10**6) == "ivf-sq8"
    assert choose_kind("auto", 30_000) == "fp16"
    with pytest.raises(ValueError):
        choose_kind("ivf", 10)


@pytest.mark.parametrize("filtered", [False, True])
def test_half_float_scan_matches_exact_search(tmp_path, filtered):
    rng = np.random.default_rng(7)
    vectors, queries = _unit(rng, 5000, 96), _unit(rng, 20, 96)
    index = Dense.build(vectors, "fp16")
    index.save(tmp_path / "v.faiss")
    index = Dense.load(tmp_path / "v.faiss", "fp16", threads=1)
    assert index.kind == "fp16" and index.size == 5000
    mask = rng.random(5000) < 0.4 if filtered else None
    recall = []
    for q in queries:
        scores, rows = index.search(q, 10, mask)
        exact = np.where(mask, vectors @ q, -np.inf) if filtered else vectors @ q
        truth = np.argsort(-exact)[:10]
        recall.append(len(set(rows.tolist()) & set(truth.tolist())) / 10)
        np.testing.assert_allclose(scores, (vectors[rows] @ q), atol=2e-3)  # half-float rounding
        if mask is not None:
            assert mask[rows].all()
    assert np.mean(recall) >= 0.98
    # Stored vectors come back to within half-float precision (used by incremental updates).
    np.testing.assert_allclose(index.vectors(np.array([3, 1])), vectors[[3, 1]], atol=1e-3)
