"""The embedded backend, write side: a new index version assembled in memory, then published.

The writer starts from the live version (its documents, vectors and BM25 tokens are kept
unless deleted or replaced) or from nothing, and :meth:`EmbeddedWriter.persist` writes a
complete version folder and switches ``CURRENT`` to it (:mod:`rag.index.store`), so
readers never see a half-written index. Call it with the writer lock held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import format as fmt
from . import row_table, sentences, store
from .backend import NewDocument
from .dense import Dense
from .diacritics import Restorer
from .integrity import checksums, verify
from .lexical import DEFAULT_PARAMS, Lexical, tokenize
from .rows import ChunkRow, DocRow, Meta


@dataclass(frozen=True)
class _Block:
    """One document's rows, vectors and BM25 tokens."""

    row: DocRow
    chunks: tuple[ChunkRow, ...]
    vectors: np.ndarray
    tokens: tuple[list[str], ...]
    spans: tuple[np.ndarray, ...]  # per chunk, its sentences (rag.index.sentences)
    sentence_vectors: tuple[np.ndarray, ...]


class EmbeddedWriter:
    """Builds the next version of an embedded index directory."""

    def __init__(self, root: Path, base: Path | None = None, *, faiss_kind: str = "auto",
                 lexical_params: dict | None = None, progress: bool = False) -> None:
        """Start from the version folder ``base`` (verified in full), or from an empty index.

        Args:
            root: Index directory the new version is published in.
            base: A version folder whose documents are kept unless deleted or replaced.
            faiss_kind: FAISS index kind for the new version (see :func:`rag.index.dense.choose_kind`).
            lexical_params: BM25 settings (``k1``, ``b``, ``method``, ``scheme``).
            progress: Show a progress bar while tokenising.

        Raises:
            IndexCorruptError: ``base`` does not match its checksums.
            OSError, ValueError, KeyError, RuntimeError: ``base`` cannot be read.
        """
        self.root = Path(root)
        self.faiss_kind = faiss_kind
        self.lexical_params = {**DEFAULT_PARAMS, **(lexical_params or {})}
        self.progress = progress
        self._blocks: dict[str, _Block] = {}
        if base is not None:
            self._load(Path(base))

    def _load(self, base: Path) -> None:
        meta = fmt.read_meta(base)
        verify(base, meta, full=True)
        documents = fmt.parse_documents((base / fmt.DOCUMENTS).read_bytes())
        chunks = fmt.parse_chunks((base / fmt.CHUNKS).read_bytes())
        tokens = fmt.read_tokens(base)
        vectors = Dense.load(base / fmt.VECTORS, meta.faiss["kind"]).vectors()
        if not (len(chunks) == len(tokens) == len(vectors)):
            raise ValueError(f"{base}: {len(chunks)} chunks, {len(tokens)} token rows, "
                             f"{len(vectors)} vectors")
        rows_by_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            rows_by_doc.setdefault(chunk.doc_id, []).append(row)
        stored = sentences.StoredSentences(base, len(chunks))
        for doc in documents:
            rows = rows_by_doc.get(doc.id, [])
            kept = [stored.of(r) for r in rows]
            self._blocks[doc.id] = _Block(doc, tuple(chunks[r] for r in rows), vectors[rows],
                                          tuple(tokens[r] for r in rows), tuple(k[0] for k in kept),
                                          tuple(k[1] for k in kept))

    def document_hashes(self) -> dict[str, str]:
        """Document id → the hash it was indexed from."""
        return {doc_id: block.row.sha256 for doc_id, block in self._blocks.items()}

    def add_documents(self, documents: Iterable[NewDocument]) -> None:
        """Add documents (replacing any with the same id); their texts are tokenised for BM25."""
        documents = list(documents)
        scheme = self.lexical_params["scheme"]
        items = documents
        if self.progress:
            from tqdm import tqdm

            items = tqdm(documents, desc="Tokenising", unit="doc")
        for doc in items:
            if not (len(doc.chunks) == len(doc.texts) == len(doc.vectors)):
                raise ValueError(f"{doc.row.id}: chunks, texts and vectors differ in number")
            tokens = doc.tokens if len(doc.tokens) == len(doc.chunks) else \
                tuple(tokenize(text, scheme) for text in doc.texts)
            vectors = np.asarray(doc.vectors, np.float32)
            spans, sentence_vectors = doc.sentence_spans, doc.sentence_vectors
            if len(spans) != len(doc.chunks) or len(sentence_vectors) != len(doc.chunks):
                spans = (np.zeros((0, 2), np.int32),) * len(doc.chunks)  # none given: encoded when asked
                sentence_vectors = (np.zeros((0, vectors.shape[1]), np.float32),) * len(doc.chunks)
            self._blocks[doc.row.id] = _Block(doc.row, doc.chunks, vectors, tokens, tuple(spans),
                                              tuple(sentence_vectors))

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        """Remove documents (unknown ids are ignored)."""
        for doc_id in doc_ids:
            self._blocks.pop(doc_id, None)

    def persist(self, meta: Meta, order: Sequence[str] | None = None) -> Path:
        """Write the new version and make it live; returns its folder.

        Args:
            meta: What the caller records (model, settings, corpus, files, …); the format,
                backend, FAISS kind, BM25 parameters, counts and checksums are filled in here.
            order: Document ids in the order to write them; others follow in insertion order.

        Raises:
            ValueError: When there is no chunk to write.
        """
        blocks = self._ordered(order)
        workspace = store.new_workspace(self.root)
        dense = Dense.build(np.concatenate([b.vectors for b in blocks if len(b.chunks)]), self.faiss_kind)
        dense.save(workspace / fmt.VECTORS)
        tokens = write_rows(workspace, blocks, dense.dimension)
        Lexical.build(tokens, self.lexical_params).save(workspace / fmt.BM25)
        meta = replace(meta, backend="embedded", faiss={"kind": dense.kind, "metric": "inner_product"})
        return self._publish(workspace, meta, blocks)

    def _ordered(self, order: Sequence[str] | None) -> list[_Block]:
        """The blocks in ``order``, then the others in insertion order.

        Raises:
            ValueError: When they hold no chunk.
        """
        ids = list(dict.fromkeys(i for i in (order or ()) if i in self._blocks))
        listed = set(ids)
        ids += [i for i in self._blocks if i not in listed]
        blocks = [self._blocks[i] for i in ids]
        if not any(b.chunks for b in blocks):
            raise ValueError("no chunks to index")
        return blocks

    def _publish(self, workspace: Path, meta: Meta, blocks: list[_Block]) -> Path:
        """Write ``meta.json`` (counts, checksums) into ``workspace`` and make it the live version."""
        meta = replace(meta, format=fmt.FORMAT_VERSION, lexical=self.lexical_params,
                       counts={"documents": len(blocks), "chunks": sum(len(b.chunks) for b in blocks)})
        fmt.write_meta(workspace, replace(meta, checksums=checksums(workspace)))
        version = store.publish(self.root, workspace)
        store.cleanup(self.root)
        return version


def write_rows(workspace: Path, blocks: Sequence[_Block], dimension: int) -> list[list[str]]:
    """Write the rows every backend keeps in the version folder; returns the BM25 tokens per chunk.

    Chunks, documents and their row table, the tokens, the sentence vectors and the
    diacritics restorer: what the search reads row by row, whichever engine ranks the rows.
    """
    chunks = [c for b in blocks for c in b.chunks]
    sentences.write(workspace, [s for b in blocks for s in b.spans],
                    [v for b in blocks for v in b.sentence_vectors], dimension)
    tokens = [list(t) for b in blocks for t in b.tokens]
    row_table.write(workspace, chunks, [b.row for b in blocks])  # chunks, documents, row table
    fmt.write_jsonl(workspace / fmt.TOKENS, tokens)
    Restorer.build(c.text for c in chunks).save(workspace / fmt.DIACRITICS)
    return tokens
