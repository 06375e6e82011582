"""Combine the dense and lexical rankings into one.

Both functions take each side as ``{row: score}`` for its own top candidates and return
``[(row, fused_score)]`` best first. A side that found nothing (an English question has
no Vietnamese words for BM25 to match) simply contributes nothing, so the other side's
order is kept intact.
"""

from __future__ import annotations

DEFAULT_RRF_K = 60


def _ranks(side: dict[int, float]) -> dict[int, int]:
    order = sorted(side, key=lambda row: (-side[row], row))
    return {row: rank for rank, row in enumerate(order, 1)}


def rrf(dense: dict[int, float], lexical: dict[int, float], *, dense_weight: float = 1.0,
        lexical_weight: float = 1.0, k: int = DEFAULT_RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: ``sum(w / (k + rank))`` over the sides listing a row."""
    fused: dict[int, float] = {}
    for side, weight in ((dense, dense_weight), (lexical, lexical_weight)):
        for row, rank in _ranks(side).items():
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _minmax(side: dict[int, float]) -> dict[int, float]:
    if not side:
        return {}
    low, high = min(side.values()), max(side.values())
    span = high - low
    return {row: (score - low) / span if span > 0 else 1.0 for row, score in side.items()}


def linear(dense: dict[int, float], lexical: dict[int, float], *, dense_weight: float = 1.0,
           lexical_weight: float = 1.0) -> list[tuple[int, float]]:
    """Min-max normalise each side over its candidates, then add with weights."""
    fused: dict[int, float] = {}
    for side, weight in ((_minmax(dense), dense_weight), (_minmax(lexical), lexical_weight)):
        for row, score in side.items():
            fused[row] = fused.get(row, 0.0) + weight * score
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


METHODS = {"rrf": rrf, "linear": linear}


def lift(ranked: list[tuple[int, float]], rows: set[int], amount: float) -> list[tuple[int, float]]:
    """Add ``amount`` to the fused score of ``rows`` and re-sort (an extra, binary signal)."""
    if not rows or not amount:
        return ranked
    lifted = [(row, score + amount if row in rows else score) for row, score in ranked]
    return sorted(lifted, key=lambda item: (-item[1], item[0]))


def fuse(method: str, dense: dict[int, float], lexical: dict[int, float],
         **weights) -> list[tuple[int, float]]:
    """Dispatch to :func:`rrf` or :func:`linear` by name."""
    if method not in METHODS:
        raise ValueError(f"unknown fusion method {method!r}; expected one of {sorted(METHODS)}")
    return METHODS[method](dense, lexical, **weights)
