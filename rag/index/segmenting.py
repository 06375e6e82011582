"""BM25 tokens made in a child process while the encoder embeds the same clauses.

Word segmentation (underthesea) is single-threaded Python and C, and the encoder does not
keep two cores fully busy: its tokeniser, table reads and pooling run between the matrix
products. So a build hands the clause texts to one worker process before it starts
embedding and collects the tokens after, instead of segmenting them once the vectors are
made. The worker runs at the lowest priority (nice 19): it takes only the CPU time the
encoder leaves idle, because a worker at equal priority preempts the encoder's threads in
the middle of a matrix product and the whole product waits (measured: 368 s against 321 s
serial for the 9 party documents on a loaded 2-core machine). The worker is a ``spawn``
process: a fork would copy the encoder's thread pools. If the worker cannot start or
fails, the texts are tokenised in this process as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from .lexical import tokenize

log = logging.getLogger(__name__)
BATCH = 2_000  # texts per task: progress is visible and a result is never one huge pickle
MIN_TEXTS = 200  # below this the worker's start (~4 s of underthesea import) costs more than it saves


def _lowest_priority() -> None:
    try:
        os.nice(19)
    except OSError:  # not allowed here: run at the same priority
        pass


def _tokenize_all(texts: Sequence[str], scheme: str) -> list[tuple[str, ...]]:
    return [tuple(tokenize(text, scheme)) for text in texts]


class BackgroundTokens:
    """The BM25 tokens of ``texts``, computed by a worker process from construction on.

    Args:
        texts: The texts that are embedded (heading trail + clause), in order.
        scheme: The lexical token scheme (``lexical_params["scheme"]``).
        enabled: ``False`` tokenises in this process when :meth:`result` is called.
    """

    def __init__(self, texts: Sequence[str], scheme: str, *, enabled: bool = True) -> None:
        self.texts, self.scheme = list(texts), scheme
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future] = []
        if not enabled or len(self.texts) < MIN_TEXTS:
            return
        try:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_lowest_priority)
            self._futures = [self._pool.submit(_tokenize_all, self.texts[at:at + BATCH], scheme)
                             for at in range(0, len(self.texts), BATCH)]
        except (OSError, RuntimeError) as exc:  # no processes allowed here: tokenise in place
            log.info("tokenising in this process (%s)", exc)
            self.close()

    def result(self) -> list[tuple[str, ...]]:
        """Tokens per text, in order (waits for the worker)."""
        if not self._futures:
            return _tokenize_all(self.texts, self.scheme)
        try:
            out = [tokens for future in self._futures for tokens in future.result()]
        except Exception as exc:  # noqa: BLE001 - a dead worker must not lose the build
            log.warning("the tokenising worker failed (%s: %s); tokenising here", type(exc).__name__, exc)
            out = _tokenize_all(self.texts, self.scheme)
        finally:
            self.close()
        return out

    def close(self) -> None:
        """Stop the worker (pending tasks are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._futures = []
