"""The row table of an index version: what a search needs of each row without parsing it.

A million clauses parsed into Python objects take several GB and ~5 s to load; the read
side (:mod:`rag.index.embedded`) instead keeps these arrays and parses a line of
``chunks.jsonl`` or ``documents.jsonl`` only when a row is asked for
(:class:`LineFile`). ``row_table.npz`` holds:

    chunk_offsets  int64 (chunks + 1)  byte offset of each line of chunks.jsonl (and its size)
    chunk_doc      int32 (chunks)      position of the chunk's document in documents.jsonl
    clause         int32 (chunks)      rows with the same document and clause path share it
    part           int32 (chunks)      the chunk's part number (1 unless a clause was split)
    child_end      int32 (chunks)      the row where the clauses nested under this one end
    id_hash        uint64 (chunks)     64-bit BLAKE2b of the chunk id (lookup by id, and a
                                       check that a parsed line is the row it should be)
    doc_offsets    int64 (docs + 1)    byte offset of each line of documents.jsonl
    doc_meta       uint8               JSON list of each document's fields but its text

:func:`write` writes the two JSON-lines files and the table in one pass (the writer and
the benchmark's scaled index both use it). An index written before the table existed has
none; :func:`scan` then computes the same table from the two files when it is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import format as fmt
from .rows import ChunkRow, DocRow

FILE = "row_table.npz"
_CHUNK_ARRAYS = ("chunk_doc", "clause", "part", "child_end", "id_hash")


def id_hash(chunk_id: str) -> int:
    """The 64-bit hash of a chunk id stored in ``id_hash``."""
    return int.from_bytes(hashlib.blake2b(chunk_id.encode("utf-8"), digest_size=8).digest(), "little")


def _prefixes(path: str) -> tuple[str, ...]:
    """Path prefixes of the clauses nested under a clause (as :meth:`EmbeddedBackend.children`)."""
    return (path + ".", path + "¶") if path else ("¶",)


class _Builder:
    """Accumulates the chunk arrays row by row (one pass, constant work per row)."""

    def __init__(self, doc_position: dict[str, int]) -> None:
        self.doc_position = doc_position
        self.offsets = array("q", [0])
        self.columns = {name: array("q") for name in ("chunk_doc", "clause", "part", "child_end")}
        self.hashes = array("Q")
        self._clauses: dict[tuple[int, str], int] = {}
        # Rows whose nested clauses may still follow: each is nested in (or a part of) the one below it,
        # so a row that ends one ends every row above it too.
        self._open: list[tuple[int, int, str, tuple[str, ...]]] = []

    def add(self, chunk_id: str, doc_id: str, path: str, part: int, line_bytes: int) -> None:
        """Record the next row."""
        row = len(self.hashes)
        doc = self.doc_position[doc_id]
        while self._open and self._ends(self._open[-1], doc, path):
            self.columns["child_end"][self._open.pop()[0]] = row
        self._open.append((row, doc, path, _prefixes(path)))
        self.offsets.append(self.offsets[-1] + line_bytes)
        self.columns["chunk_doc"].append(doc)
        self.columns["clause"].append(self._clauses.setdefault((doc, path), len(self._clauses)))
        self.columns["part"].append(int(part))
        self.columns["child_end"].append(-1)
        self.hashes.append(id_hash(chunk_id))

    @staticmethod
    def _ends(opened: tuple[int, int, str, tuple[str, ...]], doc: int, path: str) -> bool:
        _, open_doc, open_path, prefixes = opened
        return doc != open_doc or (path != open_path and not path.startswith(prefixes))

    def arrays(self) -> dict[str, np.ndarray]:
        """The chunk arrays (every open row ends at the last row)."""
        end = len(self.hashes)
        for opened in self._open:
            self.columns["child_end"][opened[0]] = end
        out = {name: np.frombuffer(col, np.int64).astype(np.int32) for name, col in self.columns.items()}
        out["chunk_offsets"] = np.frombuffer(self.offsets, np.int64).copy()
        out["id_hash"] = np.frombuffer(self.hashes, np.uint64).copy()
        return out


def _save(folder: Path, arrays: dict[str, np.ndarray], doc_offsets: Sequence[int], metas: list[dict]) -> None:
    meta_bytes = json.dumps(metas, ensure_ascii=False).encode("utf-8")
    np.savez(Path(folder) / FILE, **arrays, doc_offsets=np.asarray(doc_offsets, np.int64),
             doc_meta=np.frombuffer(meta_bytes, np.uint8))


def _line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")  # as fmt.write_jsonl


def _without_text(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "text"}


def write(folder: Path, chunks: Iterable[ChunkRow], documents: Sequence[DocRow]) -> int:
    """Write ``chunks.jsonl``, ``documents.jsonl`` and the row table; returns the chunk count.

    Args:
        folder: The version folder being written.
        chunks: Every chunk in row order (an iterator is read once).
        documents: Every document in index order; each chunk's ``doc_id`` must be among them.
    """
    folder = Path(folder)
    builder = _Builder({d.id: i for i, d in enumerate(documents)})
    with open(folder / fmt.CHUNKS, "wb") as out:
        for chunk in chunks:
            line = _line(chunk.to_dict())
            out.write(line)
            builder.add(chunk.id, chunk.doc_id, chunk.path, chunk.part, len(line))
    doc_offsets, metas = [0], []
    with open(folder / fmt.DOCUMENTS, "wb") as out:
        for doc in documents:
            data = doc.to_dict()
            line = _line(data)
            out.write(line)
            doc_offsets.append(doc_offsets[-1] + len(line))
            metas.append(_without_text(data))
    _save(folder, builder.arrays(), doc_offsets, metas)
    return len(builder.hashes)


def _lines(path: Path) -> Iterable[tuple[bytes, int]]:
    """``(line, its byte length)`` of each non-blank line; blank lines count toward the next one."""
    pending = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield line, pending + len(line)
                pending = 0
            else:
                pending += len(line)


@dataclass
class RowTable:
    """The arrays of ``row_table.npz`` and the documents' fields but their texts."""

    chunk_offsets: np.ndarray
    chunk_doc: np.ndarray
    clause: np.ndarray
    part: np.ndarray
    child_end: np.ndarray
    id_hash: np.ndarray
    doc_offsets: np.ndarray
    doc_meta: list[dict]

    @classmethod
    def load(cls, folder: Path) -> RowTable:
        """Read ``row_table.npz`` of ``folder`` (:func:`scan` the files when there is none)."""
        path = Path(folder) / FILE
        if not path.exists():
            return cls.scan(folder)
        with np.load(path) as data:
            arrays = {name: data[name] for name in (*_CHUNK_ARRAYS, "chunk_offsets", "doc_offsets")}
            metas = json.loads(data["doc_meta"].tobytes().decode("utf-8"))
        return cls(**arrays, doc_meta=metas)

    @classmethod
    def scan(cls, folder: Path) -> RowTable:
        """The table of an index written without one, computed from its two JSON-lines files."""
        folder = Path(folder)
        doc_offsets, metas = [0], []
        for line, size in _lines(folder / fmt.DOCUMENTS):
            doc_offsets.append(doc_offsets[-1] + size)
            metas.append(_without_text(json.loads(line)))
        builder = _Builder({m["id"]: i for i, m in enumerate(metas)})
        for line, size in _lines(folder / fmt.CHUNKS):
            row = ChunkRow.from_dict(json.loads(line))
            builder.add(row.id, row.doc_id, row.path, row.part, size)
        arrays = builder.arrays()
        # Trailing blank lines belong to the last row.
        arrays["chunk_offsets"][-1] = (folder / fmt.CHUNKS).stat().st_size
        doc_offsets[-1] = (folder / fmt.DOCUMENTS).stat().st_size
        return cls(**arrays, doc_offsets=np.asarray(doc_offsets, np.int64), doc_meta=metas)

    @property
    def size(self) -> int:
        """Number of chunk rows."""
        return len(self.chunk_doc)

    def check(self, chunk_bytes: int, doc_bytes: int) -> None:
        """Refuse a table that does not describe files of these sizes.

        Raises:
            ValueError: The offsets, document count or document positions do not fit.
        """
        n = self.size
        if len(self.chunk_offsets) != n + 1 or any(len(getattr(self, a)) != n for a in _CHUNK_ARRAYS):
            raise ValueError(f"{FILE}: its chunk arrays differ in length")
        if int(self.chunk_offsets[-1]) != chunk_bytes or int(self.doc_offsets[-1]) != doc_bytes:
            raise ValueError(f"{FILE} does not describe {fmt.CHUNKS} and {fmt.DOCUMENTS}")
        if len(self.doc_offsets) != len(self.doc_meta) + 1 or \
                (n and not 0 <= int(self.chunk_doc.min()) <= int(self.chunk_doc.max()) < len(self.doc_meta)):
            raise ValueError(f"{FILE}: chunks point at documents that are not there")

    def lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sorted id hashes, their rows)``, for :meth:`rows_of_id`."""
        order = np.argsort(self.id_hash, kind="stable")
        return self.id_hash[order], order.astype(np.int32)


class LineFile:
    """Lines of a JSON-lines file read on demand by byte offset (one ``pread`` per range).

    The file stays open while the object lives, so a loaded index keeps reading the version
    it was loaded from even after a newer build has removed its folder.
    """

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self.path = Path(path)
        self.offsets = offsets
        self._fd = os.open(self.path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def read(self, first: int, last: int) -> list[bytes]:
        """Lines ``first`` to ``last`` (exclusive), without blank ones."""
        start, end = int(self.offsets[first]), int(self.offsets[last])
        data = os.pread(self._fd, end - start, start)
        if len(data) != end - start:
            raise ValueError(f"{self.path} is shorter than its row table says")
        return [line for line in data.split(b"\n") if line.strip()]

    def record(self, row: int) -> dict:
        """The parsed line ``row``."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        data = os.pread(self._fd, end - start, start)
        body = data.strip()
        if len(data) != end - start or b"\n" in body or not body.startswith(b"{"):
            raise ValueError(f"line {row} of {self.path} is not where its row table says")
        return json.loads(body)
