"""Retrieval metrics through ranx (never hand-written), plus abstention precision/recall."""

from __future__ import annotations

import numpy as np

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
_EMPTY = "__no_hit__"  # ranx needs every judged query in the run; a query with no hit gets this


def ranked_run(rankings: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Turn ranked id lists into ranx run scores (strictly decreasing with rank)."""
    run = {}
    for qid, ids in rankings.items():
        scores = {doc: 1.0 / rank for rank, doc in enumerate(ids, 1)}
        run[qid] = scores or {_EMPTY: 0.0}
    return run


def evaluate(qrels: dict[str, dict[str, int]], rankings: dict[str, list[str]],
             metrics: tuple[str, ...] = METRICS) -> dict[str, float]:
    """Mean metrics over the judged queries.

    Args:
        qrels: Query id → judged id → grade (only queries with a grade > 0 are scored).
        rankings: Query id → retrieved ids, best first (deduplicated).
        metrics: ranx metric names.
    """
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    judged = {q: docs for q, docs in qrels.items() if any(g > 0 for g in docs.values())}
    if not judged:
        return {m: 0.0 for m in metrics}
    run = ranked_run({q: rankings.get(q, []) for q in judged})
    scores = ranx_evaluate(Qrels(judged), Run(run), list(metrics), make_comparable=True)
    if len(metrics) == 1:
        scores = {metrics[0]: scores}
    return {m: round(float(scores[m]), 4) for m in metrics}


def per_query(qrels: dict[str, dict[str, int]], rankings: dict[str, list[str]], metric: str) -> list[float]:
    """One ranx score per judged query (``metric`` such as ``mrr@10``), for resampling."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    judged = {q: docs for q, docs in qrels.items() if any(g > 0 for g in docs.values())}
    if not judged:
        return []
    run = ranked_run({q: rankings.get(q, []) for q in judged})
    scores = ranx_evaluate(Qrels(judged), Run(run), metric, return_mean=False, make_comparable=True)
    return [float(s) for s in scores]


def bootstrap_interval(values: list[float], rounds: int, seed: int = 13) -> list[float]:
    """95 % percentile interval of the mean of ``values``, resampled with replacement."""
    if not values:
        return [0.0, 0.0]
    rng = np.random.default_rng(seed)
    means = np.sort(np.asarray(values)[rng.integers(0, len(values), (rounds, len(values)))].mean(axis=1))
    return [round(float(means[int(0.025 * rounds)]), 4), round(float(means[int(0.975 * rounds) - 1]), 4)]


def first_relevant_rank(ranking: list[str], relevant: dict[str, int]) -> int | None:
    """1-based rank of the first relevant id, ``None`` when none was retrieved."""
    return next((rank for rank, doc in enumerate(ranking, 1) if relevant.get(doc, 0) > 0), None)


def abstention(answerable: dict[str, bool], abstained: dict[str, bool]) -> dict[str, float]:
    """Precision and recall of abstaining, where the positive class is "not answerable".

    Returns:
        ``abstain_precision`` (share of abstentions that were right), ``abstain_recall``
        (share of unanswerable questions abstained on) and ``false_abstain_rate`` (share
        of answerable questions wrongly abstained on).
    """
    unanswerable = [q for q, ok in answerable.items() if not ok]
    answerable_ids = [q for q, ok in answerable.items() if ok]
    said = [q for q in answerable if abstained.get(q)]
    right = [q for q in said if not answerable[q]]
    return {
        "abstain_precision": round(len(right) / len(said), 4) if said else 0.0,
        "abstain_recall": round(len(right) / len(unanswerable), 4) if unanswerable else 0.0,
        "false_abstain_rate": round(sum(abstained.get(q, False) for q in answerable_ids)
                                    / len(answerable_ids), 4) if answerable_ids else 0.0,
    }
