"""Retrieval as stages: small functions that read and update one query's candidate scores.

A search creates a :class:`Candidates` and runs the stages that
:func:`pipeline` names, in order: ``dense`` and ``lexical`` fill the two sides, ``fuse``
combines them into one ranking, ``feedback`` re-scores the dense side with pseudo-relevance
feedback and fuses again, ``references`` lifts documents the question names, ``headings``
lets a heading's sub-clause stand in for it (answers always run it). ``dense`` and
``bm25`` modes end with ``rank``, which ranks the single side they ran. Each stage gets
the search facade (its ``backend``, settings, document keys) and the candidates; a new
stage is a function added to :data:`STAGES` and named in ``SearchSettings.stages``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..index.backend import LexicalScores, Selection
from .fusion import fuse, lift
from .plan import QueryPlan
from .references import find_references, matches
from .settings import SearchSettings


@dataclass
class Candidates:
    """One query's working state: its plan, filter mask, side scores and current ranking."""

    plan: QueryPlan
    depth: int  # candidates taken from each side
    selection: Selection  # the filters as the backend prepared them
    query_vector: np.ndarray | None = None
    dense: dict[int, float] = field(default_factory=dict)  # chunk row -> cosine
    lexical: dict[int, float] = field(default_factory=dict)  # chunk row -> BM25
    lexical_scores: LexicalScores | None = None  # BM25 of any row (for the hits' bm25_score)
    ranked: list[tuple[int, float]] = field(default_factory=list)  # (chunk row, score), best first


def dense(index, c: Candidates) -> None:
    """The ``depth`` nearest allowed chunks to the query vector."""
    c.query_vector = index.query_vector(c.plan.dense_text)
    c.dense = index.backend.dense_search(c.query_vector, c.depth, c.selection)


def lexical(index, c: Candidates) -> None:
    """BM25 over the allowed chunks; the ``depth`` best positive ones become the lexical side."""
    c.lexical_scores = index.backend.lexical_search(c.plan.lexical_text, accentless=c.plan.accentless,
                                                    selection=c.selection)
    c.lexical = c.lexical_scores.top(c.depth)


def rank(index, c: Candidates) -> None:  # noqa: ARG001 - every stage has the same signature
    """Rank the one side that ran (dense or BM25 mode): best score first, ties by row."""
    side = c.dense or c.lexical
    c.ranked = sorted(side.items(), key=lambda item: (-item[1], item[0]))


def _weights(settings: SearchSettings, plan: QueryPlan) -> dict:
    weights = {"dense_weight": settings.dense_weight, "lexical_weight": plan.lexical_weight}
    if settings.fusion == "rrf":
        weights["k"] = settings.rrf_k
    return weights


def fuse_sides(index, c: Candidates) -> None:
    """Weighted fusion of the two sides (``SearchSettings.fusion``: RRF or min-max)."""
    c.ranked = fuse(index.settings.fusion, c.dense, c.lexical, **_weights(index.settings, c.plan))


def feedback(index, c: Candidates) -> None:
    """Pseudo-relevance feedback: move the query vector toward the best fused chunks, re-fuse.

    Only the candidates both sides already found are re-scored: the same ranking as a
    second full scan on party-gold dev, for ~200 dot products instead of one more pass.
    """
    s = index.settings
    if not (s.feedback_weight and s.feedback_depth and c.ranked) or c.query_vector is None:
        return
    top = np.asarray([row for row, _ in c.ranked[:s.feedback_depth]])
    moved = c.query_vector + s.feedback_weight * index.backend.vectors(top).mean(axis=0)
    moved /= np.linalg.norm(moved)
    pool = np.asarray(sorted(set(c.dense) | set(c.lexical)))
    scores = index.backend.vectors(pool) @ moved
    best = np.argsort(-scores, kind="stable")[:c.depth]
    c.dense = {int(pool[i]): float(scores[i]) for i in best}
    fuse_sides(index, c)


def references(index, c: Candidates) -> None:
    """Lift the clauses of documents the question names ("Nghị quyết 57", "294-QĐ/TW")."""
    s = index.settings
    found = find_references(c.plan.lexical_text) if s.reference_weight else []
    if not found:
        return
    docs = {doc_id for doc_id, key in index.doc_keys.items() if any(matches(r, key) for r in found)}
    if not docs or len(docs) == len(index.doc_keys):
        return
    ranked = [row for row, _ in c.ranked]
    rows = {row for row, doc in zip(ranked, index.backend.doc_ids_of(ranked), strict=True) if doc in docs}
    # One first place in RRF is worth w / (k + 1); min-max fusion scores run 0..1 per side.
    amount = s.reference_weight / (s.rrf_k + 1) if s.fusion == "rrf" else s.reference_weight
    c.ranked = lift(c.ranked, rows, amount)


def headings(index, c: Candidates) -> None:
    """A heading never answers on its own: its best-ranked sub-clause, else its first, takes its place."""
    backend, limit = index.backend, index.settings.heading_chars
    position = {row: n for n, (row, _) in enumerate(c.ranked)}
    out: list[tuple[int, float]] = []
    taken: set[int] = set()
    for row, score in c.ranked[:c.depth]:
        chunk = backend.chunk(row)
        # A short clause with clauses under it is a heading ("1. Đến năm 2030").
        kids = backend.children(row) if len(chunk.text) <= limit else []
        if kids:
            ranked_kids = [k for k in kids if k in position and k not in taken]
            row = min(ranked_kids, key=position.get) if ranked_kids else \
                next((k for k in kids if k not in taken), row)
        if row not in taken:
            taken.add(row)
            out.append((row, score))
    c.ranked = out + [(row, score) for row, score in c.ranked[c.depth:] if row not in taken]


Stage = Callable[[object, Candidates], None]
STAGES: dict[str, Stage] = {"dense": dense, "lexical": lexical, "rank": rank, "fuse": fuse_sides,
                            "feedback": feedback, "references": references, "headings": headings}


def pipeline(mode: str, settings: SearchSettings) -> tuple[str, ...]:
    """The stage names a search in ``mode`` runs, in order.

    Raises:
        ValueError: A stage name that is not in :data:`STAGES`.
    """
    names = {"dense": ("dense", "rank"), "bm25": ("lexical", "rank")}.get(mode, settings.stages)
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ValueError(f"unknown search stage(s) {unknown}; known: {', '.join(STAGES)}")
    return names
