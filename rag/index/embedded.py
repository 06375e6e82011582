"""The embedded backend, read side: one index version folder (FAISS + bm25s files) in memory.

Filters become a boolean mask over chunk rows, computed once per search and applied by
FAISS (an ID selector) and BM25 alike, so a filtered search ranks only allowed clauses.
The write side is :mod:`rag.index.embedded_writer`; the file layout is :mod:`rag.index.format`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text import normalize_query
from . import format as fmt
from . import integrity
from .backend import Filters, Selection, fold_lower
from .dense import Dense
from .diacritics import Restorer
from .integrity import IndexCorruptError
from .lexical import Lexical
from .rows import ChunkRow, DocRow
from .sentences import ChunkSentences, StoredSentences


@dataclass(frozen=True)
class ArrayScores:
    """BM25 scores of every row (0 outside the selection)."""

    scores: np.ndarray

    def top(self, k: int) -> dict[int, float]:
        """The ``k`` best rows with a positive score."""
        positive = np.flatnonzero(self.scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-self.scores[positive], k - 1)[:k]]
        return {int(r): float(self.scores[r]) for r in positive}

    def of(self, rows: Sequence[int]) -> np.ndarray:
        """Scores of ``rows``."""
        return self.scores[np.asarray(rows, dtype=np.int64)]


class EmbeddedBackend:
    """A loaded index version folder (see :mod:`rag.index.format`)."""

    def __init__(self, folder: Path, *, verify: bool = False, hint: str = "") -> None:
        """Load and check a version folder.

        Args:
            folder: The version folder.
            verify: Check the sha256 of every file (sizes are always checked).
            hint: The rebuild command, appended to errors.

        Raises:
            IndexCorruptError: A file is missing, damaged, inconsistent or of another format.
        """
        self.folder = Path(folder)
        try:
            self._load(verify, hint)
        except (IndexCorruptError, FileNotFoundError):
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # faiss: RuntimeError
            raise IndexCorruptError(f"the index in {self.folder} cannot be read ({type(exc).__name__}: "
                                    f"{exc}).{' Rebuild it: ' + hint if hint else ''}") from exc
        restorer_file = self.folder / fmt.DIACRITICS
        self._restorer = Restorer.load(restorer_file) if restorer_file.exists() else \
            Restorer.build(c.text for c in self._chunks)
        self._doc_by_id = {d.id: d for d in self._documents}
        doc_pos = {d.id: i for i, d in enumerate(self._documents)}
        self._chunk_doc = np.array([doc_pos[c.doc_id] for c in self._chunks], dtype=np.int32)
        self._doc_year = np.array([d.year or -1 for d in self._documents], dtype=np.int32)
        self._doc_type = [fold_lower(d.doc_type) for d in self._documents]
        self._doc_issuer = [fold_lower(d.issuer) for d in self._documents]
        groups: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(self._chunks):
            groups.setdefault((chunk.doc_id, chunk.path), []).append(row)
        # Only clauses split into parts are kept: a part found by search brings its siblings.
        self._parts = {key: rows for key, rows in groups.items() if len(rows) > 1}

    def _load(self, verify: bool, hint: str) -> None:
        self.meta = fmt.read_meta(self.folder)
        if self.meta.format != fmt.FORMAT_VERSION:
            raise IndexCorruptError(f"the index in {self.folder} has format {self.meta.format}, this "
                                    f"version of party-rag reads {fmt.FORMAT_VERSION}. Rebuild it: {hint}")
        raw = {name: (self.folder / name).read_bytes() for name in (fmt.DOCUMENTS, fmt.CHUNKS)}
        # Sizes always; the digests of the files read whole anyway cost one pass over bytes in memory.
        integrity.verify(self.folder, self.meta, full=verify, hint=hint,
                         known={n: integrity.sha256_bytes(b) for n, b in raw.items()})
        self._documents = fmt.parse_documents(raw[fmt.DOCUMENTS])
        self._chunks = fmt.parse_chunks(raw[fmt.CHUNKS])
        del raw
        self.dense = Dense.load(self.folder / fmt.VECTORS, self.meta.faiss["kind"], threads=1)
        self.lexical = Lexical.load(self.folder / fmt.BM25)
        if not (len(self._chunks) == self.dense.size == self.lexical.size):
            raise IndexCorruptError(f"index {self.folder} is inconsistent: {len(self._chunks)} chunks, "
                                    f"{self.dense.size} vectors, {self.lexical.size} BM25 rows")
        self._sentences = StoredSentences(self.folder, len(self._chunks))
        self._row_of = {c.id: row for row, c in enumerate(self._chunks)}

    # -- rows ----------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of chunk rows."""
        return len(self._chunks)

    @property
    def restorer(self) -> Restorer:
        """Diacritics restorer built from the indexed text."""
        return self._restorer

    def documents(self) -> list[DocRow]:
        """Every document, in index order."""
        return self._documents

    def document(self, doc_id: str) -> DocRow | None:
        """One document, or ``None``."""
        return self._doc_by_id.get(doc_id)

    def chunk(self, row: int) -> ChunkRow:
        """The chunk at ``row``."""
        return self._chunks[row]

    def chunks_of(self, doc_id: str) -> list[ChunkRow]:
        """The chunks of one document, in text order."""
        return sorted((c for c in self._chunks if c.doc_id == doc_id), key=lambda c: (c.start, c.part))

    def clause_rows(self, row: int) -> list[int]:
        """Rows of every part of the clause that ``row`` belongs to."""
        chunk = self._chunks[row]
        return self._parts.get((chunk.doc_id, chunk.path), [row])

    def children(self, row: int) -> list[int]:
        """Rows of the clauses nested under ``row``'s clause (a document's rows are contiguous)."""
        chunk = self._chunks[row]
        prefixes = (chunk.path + ".", chunk.path + "¶") if chunk.path else ("¶",)
        out = []
        for other in range(row + 1, len(self._chunks)):
            nxt = self._chunks[other]
            if nxt.doc_id != chunk.doc_id:
                break
            if nxt.path == chunk.path:
                continue  # a later part of the same clause
            if not nxt.path.startswith(prefixes):
                break
            if nxt.part == 1:
                out.append(other)
        return out

    # -- search --------------------------------------------------------------------------
    def select(self, filters: Filters) -> Selection:
        """A boolean mask over chunk rows (``None`` when nothing is filtered)."""
        if filters.empty:
            return Selection(filters)
        allowed = np.ones(len(self._documents), dtype=bool)
        if filters.year_from is not None:
            allowed &= self._doc_year >= filters.year_from
        if filters.year_to is not None:
            allowed &= (self._doc_year <= filters.year_to) & (self._doc_year >= 0)
        if filters.doc_type:
            wanted = fold_lower(normalize_query(filters.doc_type))
            allowed &= np.array([t == wanted for t in self._doc_type], dtype=bool)
        if filters.issuer:
            wanted = fold_lower(normalize_query(filters.issuer))
            allowed &= np.array([wanted in s for s in self._doc_issuer], dtype=bool)
        if filters.doc_ids:
            allowed &= self._only(filters.doc_ids)
        if filters.implements:  # not resolved by the facade (None): nothing passes, as in Filters.admits
            allowed &= self._only(filters.implementing or ())
        mask = allowed[self._chunk_doc]
        return Selection(filters, mask, nothing=not mask.any())

    def _only(self, ids) -> np.ndarray:
        """Per document: True for the ``ids``."""
        wanted = set(ids)
        return np.array([d.id in wanted for d in self._documents], dtype=bool)

    def dense_search(self, vector: np.ndarray, k: int, selection: Selection) -> dict[int, float]:
        """The ``k`` selected rows nearest to ``vector``."""
        scores, rows = self.dense.search(vector, k, selection.native)
        return dict(zip(rows.tolist(), scores.tolist(), strict=True))

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Stored vectors of ``rows``."""
        return self.dense.vectors(np.asarray(rows))

    def sentences(self, chunk_id: str) -> ChunkSentences | None:
        """The stored sentence vectors of a chunk (``None`` for an unknown id)."""
        row = self._row_of.get(chunk_id)
        if row is None:
            return None
        spans, vectors = self._sentences.of(row)
        return ChunkSentences(self._chunks[row].text, spans, vectors)

    def lexical_search(self, text: str, *, accentless: bool, selection: Selection) -> ArrayScores:
        """BM25 of every row, zero outside the selection."""
        scores = self.lexical.scores(text, accentless=accentless)
        if selection.native is not None:
            scores = np.where(selection.native, scores, 0.0)
        return ArrayScores(scores)

    def coverage(self, text: str, *, accentless: bool) -> float:
        """Share of the query's tokens in the BM25 vocabulary."""
        return self.lexical.coverage(text, accentless=accentless)
