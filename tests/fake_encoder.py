"""A keyword-based stand-in for the embedding model: fast, deterministic, no torch.

Each text becomes a bag of its diacritic-folded, lower-cased syllables hashed into
``dimension`` buckets and L2-normalised, so texts sharing words are close. It records
every passage it encodes, which lets tests check what an incremental update re-embedded.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass

import numpy as np

from rag.vietnamese import fold


@dataclass(frozen=True)
class FakeInfo:
    name: str
    dimension: int
    source: str = "test"
    engine: str = "keyword"
    query_prompt: str = ""
    passage_prompt: str = ""


class KeywordEncoder:
    def __init__(self, name: str = "fake-keyword", dimension: int = 256, delay: float = 0.0) -> None:
        self.info = FakeInfo(name, dimension)
        self.delay = delay
        self.passages: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.info.dimension, dtype=np.float32)
        for word in re.findall(r"\w+", fold(text).lower()):
            vec[zlib.crc32(word.encode()) % self.info.dimension] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def encode_queries(self, texts, *, show_progress: bool = False) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts]) if texts else \
            np.zeros((0, self.info.dimension), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def encode_passages(self, texts, *, show_progress: bool = False) -> np.ndarray:
        out = []
        for text in texts:
            if self.delay:
                time.sleep(self.delay)
            self.passages.append(text)
            out.append(self._vector(text))
        return np.vstack(out) if out else np.zeros((0, self.info.dimension), np.float32)

    def encode_passage_spans(self, texts, spans, *, late: bool = False, show_progress: bool = False):
        """Clause vectors (recorded as passages) and a keyword vector per span (not recorded)."""
        vectors = self.encode_passages(texts)
        empty = np.zeros((0, self.info.dimension), np.float32)
        return vectors, [np.vstack([self._vector(t[a:b]) for a, b in cuts]) if cuts else empty
                         for t, cuts in zip(texts, spans, strict=True)]
