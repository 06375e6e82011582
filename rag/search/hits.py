"""The last step of a search: ranked chunk rows into :class:`~rag.records.Hit` records.

Parts of one long clause (split at sentence boundaries when indexed) become one hit with
their texts joined; a hit's dense and BM25 scores are the best of its parts.
"""

from __future__ import annotations

import numpy as np

from ..records import Hit


def build_hits(index, ranked: list[tuple[int, float]], k: int, query_vector, bm25_all) -> list[Hit]:
    """The best ``k`` clauses of ``ranked`` as hits, parts of a clause merged.

    Args:
        index: The loaded index (chunks, documents, vectors, part groups).
        ranked: ``(chunk row, score)`` best first.
        k: Number of hits (parts of one clause count once).
        query_vector: The query's vector, or ``None`` when the dense side did not run.
        bm25_all: BM25 of every chunk, or ``None`` when the lexical side did not run.
    """
    groups: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for row, score in ranked:
        chunk = index.chunks[row]
        key = (chunk["doc_id"], chunk["path"])
        if key not in groups and len(groups) == k:
            continue  # a full list still merges later parts of clauses already in it
        groups.setdefault(key, []).append((row, score))
    hits = []
    for rank, (key, members) in enumerate(groups.items(), 1):
        best_row, best_score = members[0]
        rows = index.parts.get(key, [best_row])
        dense_score = bm25_score = None
        if query_vector is not None:
            dense_score = float(np.max(index.dense.vectors(np.asarray(rows)) @ query_vector))
        if bm25_all is not None:
            value = float(np.max(bm25_all[rows]))
            bm25_score = value if value > 0 else None
        hits.append(_hit(index, rank, best_score, dense_score, bm25_score, best_row, rows,
                         tuple(index.chunks[r]["id"] for r, _ in members)))
    return hits


def _hit(index, rank, score, dense_score, bm25_score, row, rows, chunk_ids) -> Hit:
    chunk = index.chunks[row]
    doc = index.doc_by_id[chunk["doc_id"]]
    text = " ".join(index.chunks[r]["text"] for r in rows) if len(rows) > 1 else chunk["text"]
    return Hit(rank=rank, score=float(score), dense_score=dense_score, bm25_score=bm25_score,
               chunk_id=chunk["id"], doc_id=chunk["doc_id"], source=doc["source"],
               title=doc.get("title"), number=doc.get("number"), doc_type=doc.get("doc_type"),
               issuer=doc.get("issuer"), date=doc.get("date"), year=doc.get("year"),
               path=chunk["path"], headings=tuple(chunk.get("headings", ())), text=text,
               page=chunk.get("page"), chunk_ids=chunk_ids)
