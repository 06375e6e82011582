"""Search filters as Milvus boolean expressions, built from typed values only.

User text (an issuer typed in the filter box, a document id from a link) never becomes
expression syntax: strings are written as JSON string literals, which Milvus' expression
parser reads with the same escapes (quotes, backslashes, newlines), and ``like`` patterns
also escape their wildcards, so an issuer named ``x" or 1==1`` or ``50% [TW]`` matches
exactly that text. A backslash cannot be written reliably in a Milvus ``like`` pattern (a
doubled one escapes only before a wildcard), so an issuer with one is matched here, on the
documents the caller passes, and sent as a list of document ids. Numbers are ints.

The comparisons mirror :meth:`rag.index.backend.Filters.admits`: years inclusive (an
undated document, stored as year -1, fails any year filter), the document type equal and
the issuer a substring, both compared without case or diacritics (the chunk rows store them
folded, :func:`rag.index.backend.fold_lower`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ...text import normalize_query
from ..backend import Filters, fold_lower

# Field names of the chunk collection (rag.index.milvus.schema) that filters read.
YEAR, DOC_TYPE, ISSUER, DOC = "year", "doc_type_fold", "issuer_fold", "doc_id"
UNDATED = -1  # the year stored for a document without a date
NOTHING = "row < 0"  # an expression no row passes (rows are >= 0)


def literal(value: str) -> str:
    """``value`` as a Milvus string literal (JSON escapes: quotes, backslashes, control characters)."""
    return json.dumps(str(value), ensure_ascii=False)


def contains(field: str, value: str) -> str:
    """``field`` contains ``value`` as a substring: a ``like`` whose wildcards in ``value`` are escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{field} like {literal('%' + escaped + '%')}"


def one_of(field: str, values: Iterable[str]) -> str:
    """``field`` equals one of ``values`` (:data:`NOTHING` for none)."""
    values = sorted(set(values))
    return f"{field} in [{', '.join(literal(v) for v in values)}]" if values else NOTHING


def expression(filters: Filters, documents: Iterable | None = None) -> str | None:
    """The Milvus expression for ``filters``, or ``None`` when nothing is filtered.

    Args:
        filters: The filters. ``filters.implementing`` must already be resolved (the search
            facade does it); while it is ``None`` an ``implements`` filter admits nothing, as
            in :meth:`Filters.admits`.
        documents: The indexed documents (with ``id`` and ``issuer``); needed only for an
            issuer with a backslash.

    Raises:
        ValueError: An issuer with a backslash and no ``documents``.
    """
    if filters.empty:
        return None
    parts = []
    if filters.year_from is not None:
        parts.append(f"{YEAR} >= {int(filters.year_from)}")
    if filters.year_to is not None:
        parts.append(f"{YEAR} <= {int(filters.year_to)} and {YEAR} != {UNDATED}")
    if filters.doc_type:
        parts.append(f"{DOC_TYPE} == {literal(fold_lower(normalize_query(filters.doc_type)))}")
    if filters.issuer:
        wanted = fold_lower(normalize_query(filters.issuer))
        if "\\" not in wanted:
            parts.append(contains(ISSUER, wanted))
        elif documents is None:
            raise ValueError("an issuer filter with a backslash needs the documents to match against")
        else:
            parts.append(one_of(DOC, (d.id for d in documents if wanted in fold_lower(d.issuer))))
    if filters.doc_ids:
        parts.append(one_of(DOC, filters.doc_ids))
    if filters.implements:
        parts.append(one_of(DOC, filters.implementing or ()))
    return " and ".join(f"({p})" for p in parts)
