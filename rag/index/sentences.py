"""Sentence vectors stored beside the clause vectors, read by the direct answer.

The direct answer scores the sentences of the best clauses against the question. Encoding
them at question time cost ~11 ms a sentence on 2 cores; here they are embedded once, at
build time (:meth:`rag.models.embedding.Embedder.encode_passage_spans`), so a question only
reads them: each sentence on its own (pooling ``apart``, the default), or pooled from its
clause's own encoder pass (``late``, no extra encoder time, a little less accurate; see
eval/EXPERIMENTS.md row 30).

Files of a version folder (:mod:`rag.index.format`)::

    sentences.npy        float16 unit vectors, one row per sentence, chunk after chunk
    sentence_index.npz   ``spans`` (n, 2) int32 offsets into the chunk's text, and
                         ``offsets`` (chunks + 1) int64: chunk ``r``'s sentences are rows
                         ``offsets[r]:offsets[r + 1]``

An encoder without ``encode_passage_spans`` (a test double, say) stores no sentence for
its chunks; the direct answer then encodes the sentences it needs at question time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text import normalize_text, sentence_spans
from ..vocab import SENTENCE_POOLINGS

SPLITTER_VERSION = 1  # bump when rag.text.sentence_spans cuts differently
VECTORS = "sentences.npy"
INDEX = "sentence_index.npz"


@dataclass(frozen=True)
class ChunkSentences:
    """The stored sentences of one chunk.

    Attributes:
        text: The chunk's text.
        spans: ``(n, 2)`` offsets of its sentences in ``text``.
        vectors: ``(n, dimension)`` float32 unit vectors, aligned with ``spans``.
    """

    text: str
    spans: np.ndarray
    vectors: np.ndarray


def check_pooling(pooling: str, embedder=None) -> None:
    """Refuse an unknown pooling, or one ``embedder`` (when given) cannot do, before any work.

    Raises:
        ValueError: An unknown pooling, or ``late`` with an encoder that cannot pool spans.
    """
    if pooling not in SENTENCE_POOLINGS:
        raise ValueError(f"unknown sentence pooling {pooling!r}; expected one of {SENTENCE_POOLINGS}")
    if pooling == "late" and embedder is not None and not getattr(embedder, "can_pool_late", False):
        raise ValueError("late sentence pooling needs the bundled model on the ONNX engine; "
                         "use 'apart' or 'none'")


def settings(embedder, pooling: str) -> dict:
    """What ``meta.json`` records of the sentence vectors (a change re-embeds everything)."""
    stored = pooling != "none" and hasattr(embedder, "encode_passage_spans")
    return {"splitter": SPLITTER_VERSION, "pooling": pooling if stored else "none"}


def embed(embedder, texts: Sequence[str], chunk_texts: Sequence[str], *, pooling: str = "apart"
          ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Vectors of the embedded ``texts`` and of the sentences of each chunk inside them.

    Args:
        embedder: The build's encoder.
        texts: Per chunk, the text that is embedded (heading trail, then the chunk's text).
        chunk_texts: Per chunk, its own text (a suffix of its embedded text).
        pooling: One of :data:`rag.vocab.SENTENCE_POOLINGS`.

    Returns:
        ``(vectors, spans, sentence_vectors)``: one row per chunk; per chunk its sentence
        offsets in the chunk's text ``(n, 2)``, and their vectors ``(n, dimension)``.
    """
    clean = [normalize_text(t).strip() for t in texts]
    if settings(embedder, pooling)["pooling"] == "none":
        vectors = embedder.encode_passages(clean)
        empty = np.zeros((0, 2), np.int32)
        return vectors, [empty] * len(clean), [np.zeros((0, vectors.shape[1]), np.float32)] * len(clean)
    spans, shifted = [], []
    for text, chunk in zip(clean, chunk_texts, strict=True):
        tail = chunk.rstrip()
        base = len(text) - len(tail)
        cuts = [(a, min(b, len(tail))) for a, b in sentence_spans(tail)]
        if base < 0 or not text.endswith(tail):
            cuts = []  # the chunk's text changed on its way in: its sentences are encoded when asked
        spans.append(np.asarray(cuts, np.int32).reshape(-1, 2))
        shifted.append([(base + a, base + b) for a, b in cuts])
    vectors, sentence_vectors = embedder.encode_passage_spans(clean, shifted, late=pooling == "late")
    return vectors, spans, [np.asarray(v, np.float32) for v in sentence_vectors]


def write(folder: Path, spans: Sequence[np.ndarray], vectors: Sequence[np.ndarray], dimension: int) -> None:
    """Write the sentences of every chunk, in row order."""
    counts = np.array([len(s) for s in spans], np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    flat = np.concatenate([np.asarray(v, np.float32).reshape(-1, dimension) for v in vectors]) if vectors \
        else np.zeros((0, dimension), np.float32)
    np.save(Path(folder) / VECTORS, flat.astype(np.float16))
    all_spans = np.concatenate([np.asarray(s, np.int32).reshape(-1, 2) for s in spans]) if spans \
        else np.zeros((0, 2), np.int32)
    np.savez(Path(folder) / INDEX, spans=all_spans, offsets=offsets)


class StoredSentences:
    """The sentences of a version folder; vectors stay on disk (memory-mapped) until read."""

    def __init__(self, folder: Path, chunks: int) -> None:
        """Open the files of ``folder``.

        Raises:
            ValueError: When they do not match ``chunks`` rows or each other.
        """
        with np.load(Path(folder) / INDEX) as index:
            self.spans, self.offsets = index["spans"], index["offsets"]
        self.vectors = np.load(Path(folder) / VECTORS, mmap_mode="r")
        if len(self.offsets) != chunks + 1 or self.offsets[-1] != len(self.spans) or \
                len(self.spans) != len(self.vectors):
            raise ValueError(f"{folder}: sentence files hold {len(self.vectors)} vectors and "
                             f"{len(self.spans)} spans for {chunks} chunks")

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """``(spans, float32 vectors)`` of chunk ``row``."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.spans[a:b], np.asarray(self.vectors[a:b], np.float32)
