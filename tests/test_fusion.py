import pytest

from rag.search.fusion import fuse, linear, rrf


def test_rrf_with_an_empty_lexical_side_keeps_the_dense_order():
    dense = {3: 0.9, 1: 0.8, 7: 0.5}
    assert [row for row, _ in rrf(dense, {})] == [3, 1, 7]
    assert [row for row, _ in linear(dense, {})] == [3, 1, 7]


def test_rrf_rewards_rows_found_by_both_sides():
    dense = {1: 0.9, 2: 0.8, 3: 0.7}
    lexical = {3: 12.0, 4: 10.0}
    ranked = [row for row, _ in rrf(dense, lexical)]
    assert ranked[0] == 3
    assert set(ranked) == {1, 2, 3, 4}


def test_rrf_scores_follow_the_formula():
    fused = dict(rrf({1: 0.5}, {1: 3.0, 2: 1.0}, dense_weight=2.0, lexical_weight=1.0, k=10))
    assert fused[1] == pytest.approx(2 / 11 + 1 / 11)
    assert fused[2] == pytest.approx(1 / 12)


def test_weights_shift_the_winner():
    dense = {1: 0.9, 2: 0.1}
    lexical = {2: 9.0, 1: 1.0}
    assert linear(dense, lexical, dense_weight=3.0)[0][0] == 1
    assert linear(dense, lexical, lexical_weight=3.0)[0][0] == 2


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse("max", {}, {})
