"""The last step of a search: ranked chunk rows into :class:`~rag.records.Hit` records.

Parts of one long clause (split at sentence boundaries when indexed) become one hit with
their texts joined; a hit's dense and BM25 scores are the best of its parts.
"""

from __future__ import annotations

from ..records import Hit


def build_hits(backend, ranked: list[tuple[int, float]], k: int, query_vector, lexical_scores) -> list[Hit]:
    """The best ``k`` clauses of ``ranked`` as hits, parts of a clause merged.

    Args:
        backend: The storage backend (rows, vectors, part groups).
        ranked: ``(chunk row, score)`` best first.
        k: Number of hits (parts of one clause count once).
        query_vector: The query's vector, or ``None`` when the dense side did not run.
        lexical_scores: The query's BM25 scores, or ``None`` when the lexical side did not run.
    """
    groups: dict[int, list[tuple[int, float]]] = {}
    # Grouped by the backend's clause keys: no row is read until it is known to be a hit.
    keys = backend.clause_keys([row for row, _ in ranked]).tolist() if ranked else []
    for (row, score), key in zip(ranked, keys, strict=True):
        if key not in groups and len(groups) == k:
            continue  # a full list still merges later parts of clauses already in it
        groups.setdefault(key, []).append((row, score))
    clause_rows = [backend.clause_rows(members[0][0]) for members in groups.values()]
    every = [r for rows in clause_rows for r in rows]
    # One call per side for all hits: a backend behind a network pays per call, not per row.
    dense = dict(zip(every, backend.vectors(every) @ query_vector, strict=True)) \
        if query_vector is not None and every else {}
    lexical = dict(zip(every, lexical_scores.of(every), strict=True)) \
        if lexical_scores is not None and every else {}
    hits = []
    for rank, (members, rows) in enumerate(zip(groups.values(), clause_rows, strict=True), 1):
        best_row, best_score = members[0]
        dense_score = float(max(dense[r] for r in rows)) if dense else None
        value = float(max(lexical[r] for r in rows)) if lexical else 0.0
        bm25_score = value if value > 0 else None
        hits.append(_hit(backend, rank, best_score, dense_score, bm25_score, best_row, rows,
                         tuple(backend.chunk(r).id for r, _ in members)))
    return hits


def _hit(backend, rank, score, dense_score, bm25_score, row, rows, chunk_ids) -> Hit:
    chunk = backend.chunk(row)
    doc = backend.document(chunk.doc_id)
    text = " ".join(backend.chunk(r).text for r in rows) if len(rows) > 1 else chunk.text
    return Hit(rank=rank, score=float(score), dense_score=dense_score, bm25_score=bm25_score,
               chunk_id=chunk.id, doc_id=chunk.doc_id, source=doc.source, title=doc.title,
               number=doc.number, doc_type=doc.doc_type, issuer=doc.issuer, date=doc.date, year=doc.year,
               path=chunk.path, headings=chunk.headings, text=text, page=chunk.page, chunk_ids=chunk_ids,
               clause_number=chunk.label)


def browse_hits(backend, filters, limit: int) -> tuple[list[Hit], int]:
    """Clauses of the documents ``filters`` admit, newest document first, in text order; no query.

    Returns:
        The first ``limit`` clauses as hits (score 0) and how many clauses pass in all.
    """
    docs = sorted((d for d in backend.documents() if filters.admits(d)),
                  key=lambda d: (d.date or "", d.id), reverse=True)
    hits, total = [], 0
    for doc in docs:
        clauses: dict[str, list] = {}
        for chunk in backend.chunks_of(doc.id):
            clauses.setdefault(chunk.path, []).append(chunk)  # the parts of a split clause together
        total += len(clauses)
        for parts in clauses.values():
            if len(hits) >= limit:
                break
            first = parts[0]
            hits.append(Hit(rank=len(hits) + 1, score=0.0, dense_score=None, bm25_score=None,
                            chunk_id=first.id, doc_id=doc.id, source=doc.source, title=doc.title,
                            number=doc.number, doc_type=doc.doc_type, issuer=doc.issuer, date=doc.date,
                            year=doc.year, path=first.path, headings=first.headings,
                            text=" ".join(c.text for c in parts), page=first.page,
                            chunk_ids=tuple(c.id for c in parts), clause_number=first.label))
    return hits, total
