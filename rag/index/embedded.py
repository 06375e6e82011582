"""The embedded backend, read side: one index version folder (FAISS + bm25s files), read lazily.

What every search needs per row — its document, clause, part, where its nested clauses
end, the hash of its id — is a set of numpy arrays (:mod:`rag.index.row_table`); a chunk
or a document's text is parsed from its line of ``chunks.jsonl`` / ``documents.jsonl``
only when asked for (recent chunks are kept). The BM25 postings are memory-mapped and the
sentence vectors too, so a million clauses load in seconds and fit in ~1 GB beside the
encoder (eval/EXPERIMENTS.md, "1 M clauses").

Filters become a boolean mask over chunk rows, computed once per search and applied by
FAISS (an ID selector) and BM25 alike, so a filtered search ranks only allowed clauses.
The write side is :mod:`rag.index.embedded_writer`; the file layout is :mod:`rag.index.format`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..text import normalize_query
from . import format as fmt
from . import integrity
from .backend import Filters, Selection, fold_lower
from .dense import Dense
from .diacritics import Restorer
from .integrity import IndexCorruptError
from .lexical import ArrayScores, Lexical
from .row_table import FILE as ROW_TABLE
from .row_table import LineFile, RowTable, id_hash
from .rows import ChunkRow, DocRow, LazyDocRow
from .sentences import ChunkSentences, StoredSentences

# Files up to this size are hashed on every load (a shuffled or edited line is refused at
# once); larger ones have their size checked, and each parsed line its id hash.
HASH_ON_LOAD_BYTES = 64 * 2**20
CHUNK_CACHE = 8192  # parsed chunks kept (~2 KB each)
TEXT_CACHE = 8  # document texts kept


class EmbeddedBackend:
    """A loaded index version folder (see :mod:`rag.index.format`)."""

    def __init__(self, folder: Path, *, verify: bool = False, hint: str = "") -> None:
        """Load and check a version folder.

        Args:
            folder: The version folder.
            verify: Check the sha256 of every file (sizes are always checked, and the
                digests of files up to :data:`HASH_ON_LOAD_BYTES`).
            hint: The rebuild command, appended to errors.

        Raises:
            IndexCorruptError: A file is missing, damaged, inconsistent or of another format.
        """
        self.folder = Path(folder)
        self._hint = hint
        try:
            self._load(verify, hint)
        except (IndexCorruptError, FileNotFoundError, ConnectionError):  # the engine unreachable: not damage
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # faiss: RuntimeError
            raise self._corrupt(f"cannot be read ({type(exc).__name__}: {exc})") from exc
        self.chunk = functools.lru_cache(maxsize=CHUNK_CACHE)(self._read_chunk)
        self._text = functools.lru_cache(maxsize=TEXT_CACHE)(self._read_text)
        self._documents = [LazyDocRow.of(m, self._text) for m in self._table.doc_meta]
        self._doc_by_id = {d.id: d for d in self._documents}
        self._doc_pos = {d.id: i for i, d in enumerate(self._documents)}
        self._doc_year = np.array([d.year or -1 for d in self._documents], dtype=np.int32)
        self._doc_type = [fold_lower(d.doc_type) for d in self._documents]
        self._doc_issuer = [fold_lower(d.issuer) for d in self._documents]
        restorer_file = self.folder / fmt.DIACRITICS
        self._restorer = Restorer.load(restorer_file) if restorer_file.exists() else \
            Restorer.build(self.chunk(r).text for r in range(self.size))

    def _corrupt(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(f"the index in {self.folder} {what}."
                                 f"{' Rebuild it: ' + self._hint if self._hint else ''}")

    def _load(self, verify: bool, hint: str) -> None:
        self.meta = fmt.read_meta(self.folder)
        if self.meta.format != fmt.FORMAT_VERSION:
            raise IndexCorruptError(f"the index in {self.folder} has format {self.meta.format}, this "
                                    f"version of party-rag reads {fmt.FORMAT_VERSION}. Rebuild it: {hint}")
        known = None if verify else self._small()
        integrity.verify(self.folder, self.meta, full=verify, hint=hint, known=known)
        table = RowTable.load(self.folder)
        table.check((self.folder / fmt.CHUNKS).stat().st_size, (self.folder / fmt.DOCUMENTS).stat().st_size)
        self._table = table
        self._chunk_lines = LineFile(self.folder / fmt.CHUNKS, table.chunk_offsets)
        self._doc_lines = LineFile(self.folder / fmt.DOCUMENTS, table.doc_offsets)
        self._open_search(table)
        self._sentences = StoredSentences(self.folder, table.size)
        self._id_hashes, self._id_rows = table.lookup()
        self._split = np.bincount(table.clause)[table.clause] > 1 if table.size else np.zeros(0, bool)
        # A document's rows are contiguous in every index written by the writer; others get an order.
        ordered = bool(np.all(np.diff(table.chunk_doc) >= 0))
        self._by_doc = None if ordered else np.argsort(table.chunk_doc, kind="stable").astype(np.int32)
        docs_sorted = table.chunk_doc if ordered else table.chunk_doc[self._by_doc]
        self._doc_start = np.searchsorted(docs_sorted, np.arange(len(table.doc_meta) + 1))

    def _open_search(self, table: RowTable) -> None:
        """Open what searches the rows: here the FAISS and bm25s files (another engine overrides this)."""
        self.dense = Dense.load(self.folder / fmt.VECTORS, self.meta.faiss["kind"], threads=1)
        self.lexical = Lexical.load(self.folder / fmt.BM25, mmap=True)
        if not (table.size == self.dense.size == self.lexical.size):
            raise IndexCorruptError(f"index {self.folder} is inconsistent: {table.size} chunks, "
                                    f"{self.dense.size} vectors, {self.lexical.size} BM25 rows")

    def _small(self) -> dict[str, str]:
        """sha256 of the row files small enough to hash on every load (:data:`HASH_ON_LOAD_BYTES`)."""
        out = {}
        for name in (fmt.CHUNKS, fmt.DOCUMENTS, ROW_TABLE):
            path, recorded = self.folder / name, self.meta.checksums.get(name)
            if recorded and path.is_file() and path.stat().st_size == recorded["bytes"] <= HASH_ON_LOAD_BYTES:
                out[name] = integrity.sha256_file(path)
        return out

    # -- rows ----------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of chunk rows."""
        return self._table.size

    @property
    def restorer(self) -> Restorer:
        """Diacritics restorer built from the indexed text."""
        return self._restorer

    def documents(self) -> list[DocRow]:
        """Every document, in index order (their texts are read when asked for)."""
        return self._documents

    def document(self, doc_id: str) -> DocRow | None:
        """One document, or ``None``."""
        return self._doc_by_id.get(doc_id)

    def _read_text(self, doc_id: str) -> str:
        try:
            record = self._doc_lines.record(self._doc_pos[doc_id])
        except (OSError, ValueError) as exc:
            raise self._corrupt(f"cannot read document {doc_id} ({exc})") from exc
        if record.get("id") != doc_id:
            raise self._corrupt(f"has another document where {doc_id} should be")
        return record.get("text") or ""

    def _read_chunk(self, row: int) -> ChunkRow:
        """The chunk at ``row`` (wrapped in an LRU cache as :meth:`chunk`)."""
        row = int(row)
        if not -self.size <= row < self.size:
            raise IndexError(f"chunk row {row} out of range ({self.size} rows)")
        row %= self.size
        try:
            chunk = ChunkRow.from_dict(self._chunk_lines.record(row))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise self._corrupt(f"cannot read chunk row {row} ({exc})") from exc
        if id_hash(chunk.id) != int(self._table.id_hash[row]):
            raise self._corrupt(f"has another chunk at row {row} than its row table says")
        return chunk

    def chunk(self, row: int) -> ChunkRow:  # replaced per instance by a cached reader
        """The chunk at ``row``."""
        return self._read_chunk(row)  # pragma: no cover

    def _doc_rows(self, position: int) -> np.ndarray:
        a, b = int(self._doc_start[position]), int(self._doc_start[position + 1])
        return np.arange(a, b) if self._by_doc is None else self._by_doc[a:b].astype(np.int64)

    def chunks_of(self, doc_id: str) -> list[ChunkRow]:
        """The chunks of one document, in text order."""
        position = self._doc_pos.get(doc_id)
        if position is None:
            return []
        rows = self._doc_rows(position)
        if self._by_doc is None and len(rows):  # one read for the whole document
            lines = self._chunk_lines.read(int(rows[0]), int(rows[-1]) + 1)
            chunks = [ChunkRow.from_dict(json.loads(line)) for line in lines]
            if len(chunks) != len(rows) or any(c.doc_id != doc_id for c in chunks):
                raise self._corrupt(f"has other chunks where those of {doc_id} should be")
        else:
            chunks = [self.chunk(int(r)) for r in rows]
        return sorted(chunks, key=lambda c: (c.start, c.part))

    def clause_rows(self, row: int) -> list[int]:
        """Rows of every part of the clause that ``row`` belongs to."""
        if not self._split[row]:
            return [row]
        rows = self._doc_rows(int(self._table.chunk_doc[row]))
        return rows[self._table.clause[rows] == self._table.clause[row]].tolist()

    def clause_keys(self, rows: Sequence[int]) -> np.ndarray:
        """Per row, an int64 that two rows share exactly when they are parts of one clause."""
        rows = np.asarray(rows, dtype=np.int64)
        table = self._table
        return (table.chunk_doc[rows].astype(np.int64) << 32) | table.clause[rows].astype(np.int64)

    def doc_ids_of(self, rows: Sequence[int]) -> list[str]:
        """The document id of each row (from the row table: no row is parsed)."""
        positions = self._table.chunk_doc[np.asarray(rows, dtype=np.int64)]
        return [self._documents[p].id for p in positions.tolist()]

    def children(self, row: int) -> list[int]:
        """Rows of the clauses nested under ``row``'s clause (first parts), in text order."""
        rows = np.arange(row + 1, int(self._table.child_end[row]))
        keep = (self._table.part[rows] == 1) & (self._table.clause[rows] != self._table.clause[row])
        return rows[keep].tolist()

    def row_of(self, chunk_id: str) -> int | None:
        """The row of a chunk id (the last one if a damaged document repeats it; ``None`` if none)."""
        h = np.uint64(id_hash(chunk_id))
        at, found = int(np.searchsorted(self._id_hashes, h)), None
        while at < len(self._id_hashes) and self._id_hashes[at] == h:
            row = int(self._id_rows[at])
            if self.chunk(row).id == chunk_id:
                found = row
            at += 1
        return found

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
        # Contiguous documents: one repeat per document, ~25x faster than a gather over every row.
        mask = allowed[self._table.chunk_doc] if self._by_doc is not None else \
            np.repeat(allowed, np.diff(self._doc_start))
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
        row = self.row_of(chunk_id)
        if row is None:
            return None
        spans, vectors = self._sentences.of(row)
        return ChunkSentences(self.chunk(row).text, spans, vectors)

    def lexical_search(self, text: str, *, accentless: bool, selection: Selection) -> ArrayScores:
        """BM25 of every row, zero outside the selection."""
        scores = self.lexical.scores(text, accentless=accentless)
        if selection.native is not None:
            scores = np.where(selection.native, scores, 0.0)
        return ArrayScores(scores)

    def coverage(self, text: str, *, accentless: bool) -> float:
        """Share of the query's tokens in the BM25 vocabulary."""
        return self.lexical.coverage(text, accentless=accentless)
