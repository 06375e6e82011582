"""The backend seam: what search needs from the storage of an index, and what a build gives it.

A backend keeps the chunks, their vectors and their lexical index. The search
(:mod:`rag.search`) reads through :class:`SearchBackend`; a build (:mod:`rag.index.build`)
writes through :class:`IndexWriter`. The embedded backend (:mod:`rag.index.embedded`, a
folder of FAISS + bm25s files) is the one this package ships; another engine plugs in by
implementing both protocols and passing the same behaviour tests
(``tests/test_backend.py`` takes the backend as a parameter).

Rows are integers the backend chooses (the line number in the embedded one); the search
only passes them back. Filters are typed values (:class:`Filters`), never query text, so a
backend that speaks a query language builds its expressions from values, not from strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import vietnamese as vn
from ..text import normalize_query
from ..vocab import BACKENDS
from .rows import ChunkRow, DocRow, Meta
from .sentences import ChunkSentences


def check_backend(name: str) -> None:
    """Refuse a backend name this installation does not have.

    Raises:
        ValueError: ``name`` is not in :data:`rag.vocab.BACKENDS`.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown index backend {name!r}; available: {', '.join(BACKENDS)}")


def fold_lower(value: str | None) -> str:
    """``value`` without diacritics, lower-cased ("" for none): how filters compare text."""
    return vn.fold(value).lower() if value else ""


@dataclass(frozen=True)
class Filters:
    """Which documents a search may return.

    Attributes:
        year_from: Earliest document year (inclusive); undated documents are excluded.
        year_to: Latest document year (inclusive); undated documents are excluded.
        doc_type: Document type such as ``Nghị quyết`` (case and diacritics ignored).
        issuer: Substring of the issuer (case and diacritics ignored).
        doc_ids: Only these documents (empty: any).
        implements: Number or id of a document ("57-NQ/TW"): only the documents that refer to
            it ("văn bản thực hiện NQ 57", :mod:`rag.ingest.links`).
        implementing: The ids of those documents, filled in by the search facade from the
            index's link graph (``None`` until then: then no document passes).
    """

    year_from: int | None = None
    year_to: int | None = None
    doc_type: str | None = None
    issuer: str | None = None
    doc_ids: tuple[str, ...] = ()
    implements: str | None = None
    implementing: tuple[str, ...] | None = None

    @classmethod
    def of(cls, *, year_from=None, year_to=None, doc_type=None, issuer=None, doc_id=None,
           implements=None) -> Filters:
        """Filters from the search API's keyword arguments (``doc_id``: one id or a list)."""
        ids = (doc_id,) if isinstance(doc_id, str) else tuple(doc_id or ())
        return cls(None if year_from is None else int(year_from), None if year_to is None else int(year_to),
                   doc_type or None, issuer or None, ids, implements or None)

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()

    def admits(self, doc: DocRow) -> bool:
        """True when ``doc`` passes the filters (the rule of every :meth:`SearchBackend.select`)."""
        year = doc.year
        if (self.year_from is not None or self.year_to is not None) and year is None:
            return False
        if (self.year_from is not None and year < self.year_from) or (
                self.year_to is not None and year > self.year_to):
            return False
        if self.doc_type and fold_lower(doc.doc_type) != fold_lower(normalize_query(self.doc_type)):
            return False
        if self.issuer and fold_lower(normalize_query(self.issuer)) not in fold_lower(doc.issuer):
            return False
        if self.implements and doc.id not in (self.implementing or ()):
            return False
        return not self.doc_ids or doc.id in self.doc_ids


@dataclass(frozen=True)
class Selection:
    """Filters prepared by a backend for one search.

    Attributes:
        filters: The filters.
        native: The backend's own form of them (a row mask, an expression), ``None`` for all rows.
        nothing: True when the backend knows no row passes (the search stops early).
    """

    filters: Filters
    native: Any = None
    nothing: bool = False


@runtime_checkable
class LexicalScores(Protocol):
    """The lexical scores of one query over the selected rows."""

    def top(self, k: int) -> dict[int, float]:
        """The ``k`` best rows with a positive score: row → score."""

    def of(self, rows: Sequence[int]) -> np.ndarray:
        """Scores of the given rows (0 where the row does not match or is not selected)."""


@runtime_checkable
class SearchBackend(Protocol):
    """Read side: what a search asks of the stored index."""

    meta: Meta

    @property
    def size(self) -> int:
        """Number of chunk rows."""

    def documents(self) -> Sequence[DocRow]:
        """Every document, in index order."""

    def document(self, doc_id: str) -> DocRow | None:
        """One document, or ``None``."""

    def chunk(self, row: int) -> ChunkRow:
        """The chunk stored at ``row``."""

    def chunks_of(self, doc_id: str) -> list[ChunkRow]:
        """The chunks of one document, in text order."""

    def clause_rows(self, row: int) -> list[int]:
        """Rows of every part of the clause ``row`` belongs to (``[row]`` if it was not split)."""

    def clause_keys(self, rows: Sequence[int]) -> np.ndarray:
        """Per row, an int64 key that two rows share exactly when they are parts of one clause.

        Lets the search group and deduplicate hits without reading the rows themselves.
        """

    def doc_ids_of(self, rows: Sequence[int]) -> list[str]:
        """The document id of each row."""

    def children(self, row: int) -> list[int]:
        """Rows of the clauses nested under the clause at ``row`` (first parts), in text order."""

    def select(self, filters: Filters) -> Selection:
        """Prepare ``filters`` for the searches of one query."""

    def dense_search(self, vector: np.ndarray, k: int, selection: Selection) -> dict[int, float]:
        """The ``k`` selected rows nearest to ``vector``: row → cosine similarity."""

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The stored (L2-normalised) vectors of ``rows``."""

    def sentences(self, chunk_id: str) -> ChunkSentences | None:
        """The stored sentence vectors of a chunk (``None`` for an unknown id)."""

    def lexical_search(self, text: str, *, accentless: bool, selection: Selection) -> LexicalScores:
        """BM25 scores of the query ``text`` over the selected rows."""

    def coverage(self, text: str, *, accentless: bool) -> float:
        """Share of the query's lexical tokens that occur in the index (0..1)."""

    @property
    def restorer(self):
        """The diacritics restorer built from the indexed text (:mod:`rag.index.diacritics`)."""


@dataclass(frozen=True)
class NewDocument:
    """A document to add: its row, its chunks, their vectors and the text that was embedded.

    Attributes:
        texts: Per chunk, the text that was embedded (heading trail + clause); the lexical
            index is built from the same text.
        sentence_spans: Per chunk, ``(n, 2)`` offsets of its sentences in its text (empty:
            none stored, see :mod:`rag.index.sentences`).
        sentence_vectors: Per chunk, ``(n, dimension)`` vectors of those sentences.
        tokens: Per chunk, its BM25 tokens when already made (a build segments while it
            embeds); empty: the writer tokenises ``texts``.
    """

    row: DocRow
    chunks: tuple[ChunkRow, ...]
    vectors: np.ndarray
    texts: tuple[str, ...]
    sentence_spans: tuple[np.ndarray, ...] = ()
    sentence_vectors: tuple[np.ndarray, ...] = ()
    tokens: tuple[tuple[str, ...], ...] = ()


@runtime_checkable
class IndexWriter(Protocol):
    """Write side: a new state of the index, published atomically by :meth:`persist`."""

    def document_hashes(self) -> dict[str, str]:
        """Document id → the ``sha256`` it was indexed from, for every document kept so far."""

    def add_documents(self, documents: Iterable[NewDocument]) -> None:
        """Add documents (an id already present is replaced)."""

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        """Remove documents and their chunks (unknown ids are ignored)."""

    def persist(self, meta: Meta, order: Sequence[str] | None = None) -> Any:
        """Make the new state the live one; ``order`` lists document ids in the order to keep."""
