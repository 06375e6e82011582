"""The Milvus backend, write side: rows updated in place in Milvus, the row files in a new version folder.

Milvus holds each chunk's vector, its BM25 tokens (scored by Milvus' BM25 function,
:mod:`.schema`) and the fields filters read. The version folder holds what the search reads
row by row — chunks, documents, the row table, tokens, sentence vectors, the diacritics
restorer (:func:`rag.index.embedded_writer.write_rows`) — plus ``milvus_rows.npy``, the Milvus
primary key of each line of ``chunks.jsonl``. An update deletes the rows of removed and
changed documents and inserts the new ones under fresh keys, then publishes the folder, so
a reader of the previous version never sees a key it does not know (it skips those). A full
rebuild writes a new collection and drops the old one once the folder is published.
Call :meth:`MilvusWriter.persist` with the writer lock held (:func:`rag.index.store.writer_lock`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ... import vietnamese as vn
from .. import format as fmt
from .. import sentences, store
from ..backend import NewDocument, fold_lower
from ..embedded_writer import EmbeddedWriter, _Block, write_rows
from ..rows import Meta
from . import expressions as ex
from . import guard
from .client import close, connect
from .schema import MAX_TEXT, analyzer_text, chunk_index_params, chunk_schema

ROWS = "milvus_rows.npy"  # Milvus primary key of each chunk line
INSERT_BATCH = 512


def clause_key(doc_id: str, path: str) -> int:
    """A signed 64-bit key shared by the parts of one clause."""
    digest = hashlib.blake2b(f"{doc_id}#{path}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _record(chunk) -> str:
    """The chunk as JSON for other readers of the collection ("" when over the field's size)."""
    text = json.dumps(chunk.to_dict(), ensure_ascii=False)
    return text if len(text.encode("utf-8")) <= MAX_TEXT else ""


def chunk_entities(block: _Block, keys: np.ndarray) -> list[dict]:
    """One document's chunks as Milvus entities under ``keys``."""
    doc = block.row
    common = {"doc_id": doc.id, "number": doc.number or "", "date": doc.date or "",
              "year": ex.UNDATED if doc.year is None else doc.year,
              "doc_type_fold": fold_lower(doc.doc_type), "issuer_fold": fold_lower(doc.issuer)}
    return [{**common, "row": int(key), "chunk_id": chunk.id, "path": chunk.path, "part": chunk.part,
             "clause_key": clause_key(doc.id, chunk.path), "record": _record(chunk),
             "tokens": analyzer_text(tokens), "folded": analyzer_text(vn.folded_tokens(list(tokens))),
             "dense": np.asarray(vector, np.float32).tolist()}
            for key, chunk, tokens, vector in zip(keys, block.chunks, block.tokens, block.vectors,
                                                  strict=True)]


class MilvusWriter(EmbeddedWriter):
    """Builds the next version of an index whose rows are searched in Milvus."""

    def __init__(self, root: Path, base: Path | None = None, *, uri: str, lexical_params: dict | None = None,
                 progress: bool = False, lock_timeout: float = 0.0, **_: object) -> None:
        """Start from the version folder ``base`` (its Milvus collection is updated), or from nothing.

        Args:
            root: Index directory the new version is published in.
            base: A live version built with this backend, whose documents are kept unless
                deleted or replaced.
            uri: Milvus URI (a Lite file or a server).
            lexical_params: BM25 settings (``k1`` and ``b`` go to Milvus' BM25 index).
            progress: Show a progress bar while tokenising.
            lock_timeout: Seconds to wait for another writer's Milvus lease (:mod:`.guard`).

        Raises:
            IndexLockedError: Another writer holds the index's lease in Milvus.
        """
        self.uri = uri
        self.client = connect(uri)
        self._lease = None
        self._rows: dict[str, np.ndarray] = {}  # doc id -> Milvus keys of its kept chunks
        self._gone: list[int] = []  # keys to delete
        self._collection = self._previous = None
        self._next_row = 0
        try:
            self._lease = guard.acquire(self.client, root, lock_timeout)
            super().__init__(root, base, lexical_params=lexical_params, progress=progress)
        except BaseException:
            self.close()
            raise
        if self._collection is None:  # a full rebuild: a new collection, the old one dropped on publish
            self._collection = f"rag_{secrets.token_hex(6)}"
            self._previous = self._live_collection()

    def _live_collection(self) -> str | None:
        """The collection of the live version, when it is a milvus index on this URI."""
        live = store.current_version(self.root)
        try:
            meta = fmt.read_meta(live) if live is not None else None
        except (OSError, ValueError):
            return None
        if meta is None or meta.backend != "milvus" or meta.milvus.get("uri") != self.uri:
            return None
        return meta.milvus.get("collection")

    def _load(self, base: Path) -> None:
        meta = fmt.read_meta(base)
        record = meta.milvus
        if meta.backend != "milvus" or record.get("uri") != self.uri or \
                not self.client.has_collection(record.get("collection", "")):
            raise ValueError(f"{base} is not a milvus index on {self.uri}")
        documents = fmt.parse_documents((base / fmt.DOCUMENTS).read_bytes())
        chunks = fmt.parse_chunks((base / fmt.CHUNKS).read_bytes())
        tokens = fmt.read_tokens(base)
        keys = np.load(base / ROWS)
        if not (len(chunks) == len(tokens) == len(keys)):
            raise ValueError(f"{base}: {len(chunks)} chunks, {len(tokens)} token rows, {len(keys)} keys")
        stored = sentences.StoredSentences(base, len(chunks))
        rows_by_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            rows_by_doc.setdefault(chunk.doc_id, []).append(row)
        empty = np.zeros((0, meta.dimension), np.float32)
        for doc in documents:
            rows = rows_by_doc.get(doc.id, [])
            kept = [stored.of(r) for r in rows]
            self._blocks[doc.id] = _Block(doc, tuple(chunks[r] for r in rows), empty,
                                          tuple(tokens[r] for r in rows), tuple(k[0] for k in kept),
                                          tuple(k[1] for k in kept))
            self._rows[doc.id] = keys[rows]
        self._collection, self._previous = record["collection"], record["collection"]
        self._next_row = int(record.get("next_row", int(keys.max(initial=-1)) + 1))

    def add_documents(self, documents: Iterable[NewDocument]) -> None:
        """Add documents (replacing any with the same id: their old rows are deleted on persist)."""
        documents = list(documents)
        for doc in documents:
            self._forget(doc.row.id)
        super().add_documents(documents)

    def add_documents_from(self, other: EmbeddedWriter) -> None:
        """Add every document another writer holds, with its vectors, tokens and sentences (a migration)."""
        for doc_id, block in other._blocks.items():
            self._forget(doc_id)
            self._blocks[doc_id] = block

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        """Remove documents (unknown ids are ignored)."""
        for doc_id in doc_ids:
            self._forget(doc_id)
            self._blocks.pop(doc_id, None)

    def _forget(self, doc_id: str) -> None:
        keys = self._rows.pop(doc_id, None)
        if keys is not None:
            self._gone.extend(int(k) for k in keys)

    def persist(self, meta: Meta, order: Sequence[str] | None = None) -> Path:
        """Update the Milvus collection, write the new version folder and make it live."""
        blocks = self._ordered(order)
        dimension = meta.dimension
        self._ensure_collection(dimension)
        for at in range(0, len(self._gone), INSERT_BATCH):
            self.client.delete(self._collection, ids=self._gone[at:at + INSERT_BATCH])
        keys, pending = [], []
        for block in blocks:
            if block.row.id not in self._rows:  # new or changed: fresh keys
                self._rows[block.row.id] = np.arange(self._next_row, self._next_row + len(block.chunks))
                self._next_row += len(block.chunks)
                pending.extend(chunk_entities(block, self._rows[block.row.id]))
                if len(pending) >= INSERT_BATCH:  # many small documents go in few calls
                    pending = self._insert(pending)
            keys.append(self._rows[block.row.id])
        self._insert(pending, everything=True)
        workspace = store.new_workspace(self.root)
        write_rows(workspace, blocks, dimension)
        np.save(workspace / ROWS, np.concatenate(keys).astype(np.int64))
        record = {"uri": self.uri, "collection": self._collection, "next_row": self._next_row}
        version = self._publish(workspace, replace(meta, backend="milvus", faiss={}, milvus=record), blocks)
        previous = self._previous
        if previous and previous != self._collection and self.client.has_collection(previous):
            self.client.drop_collection(previous)  # readers of the replaced version must reload
        self._gone = []
        return version

    def _ensure_collection(self, dimension: int) -> None:
        if not self.client.has_collection(self._collection):
            self.client.create_collection(self._collection, schema=chunk_schema(dimension),
                                          index_params=chunk_index_params(self.client, self.lexical_params),
                                          consistency_level="Strong")

    def _insert(self, entities: list[dict], everything: bool = False) -> list[dict]:
        """Insert whole batches of ``entities`` (all of them with ``everything``); returns the rest."""
        end = len(entities) if everything else len(entities) - len(entities) % INSERT_BATCH
        for at in range(0, end, INSERT_BATCH):
            self.client.insert(self._collection, entities[at:min(at + INSERT_BATCH, end)])
        return entities[end:]

    def close(self) -> None:
        """Give up the writer lease and close the connection (a second call does nothing)."""
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        if self.client is not None:  # closing twice would stop a Lite server a reader still uses
            close(self.client, self.uri)
            self.client = None
