"""How the benchmark's file tiers are made: the corpus of each, and vectors for tiers too large to embed.

The ``1m`` tier is made otherwise, by copying an index (:mod:`eval.bench_scale`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.ingest.documents import iter_files

from . import datasets


@dataclass(frozen=True)
class _SyntheticInfo:
    name: str
    dimension: int
    source: str = "synthetic-passages"
    query_prompt: str = ""
    passage_prompt: str = ""


class SyntheticPassages:
    """Real query encoder, random unit vectors for passages (for tiers too large to embed here)."""

    def __init__(self, embedder) -> None:
        self.real = embedder
        self.info = _SyntheticInfo(embedder.info.name, embedder.info.dimension)
        self.rng = np.random.default_rng(0)

    def encode_passages(self, texts, *, show_progress: bool = False) -> np.ndarray:
        vectors = self.rng.normal(size=(len(texts), self.info.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_queries(self, texts, *, show_progress: bool = False) -> np.ndarray:
        return self.real.encode_queries(texts)

    def encode_passage_spans(self, texts, spans, *, late: bool = False, show_progress: bool = False):
        """Random unit vectors for the passages and for each of their sentences."""
        flat = self.encode_passages([""] * sum(len(c) for c in spans))
        out, at = [], 0
        for cuts in spans:
            out.append(flat[at:at + len(cuts)])
            at += len(cuts)
        return self.encode_passages(texts), out


def tier_corpus(tier: str, target: int, work: Path) -> Path:
    """A folder of links to enough shared files for about ``target`` clauses (~12 per 1k chars)."""
    folder = work / f"corpus-{tier}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if target >= 50_000:
        (folder / "all").symlink_to(datasets.SHARED / "corpus")
        return folder
    laws = datasets.SHARED / "corpus" / "laws-vlc"
    files = sorted(iter_files(laws), key=lambda p: p.stat().st_size)
    chars = 0
    for path in files:  # smallest first: many documents, like a real party corpus
        (folder / path.name).symlink_to(path)
        chars += path.stat().st_size // 2  # UTF-8 Vietnamese: ~2 bytes per char
        if chars * 0.009 >= target:  # laws-vlc: ~9 clauses per 1,000 chars
            break
    return folder
