"""The index an app process searches, kept current with the versions other processes publish.

Several app servers (replicas behind a load balancer) share one data directory and, with the
Milvus backend, one Milvus: an upload in one is written through to both and published as a
new index version. Every other replica notices the new version on its next request (the
index directory's ``CURRENT`` pointer is read at most once a second) and loads it, so no
replica keeps a view of the archive that diverges from the others'. Requests that arrive while
the new version loads are served by the previous one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import RagError
from ..index import store

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0  # how often the version pointer is read


class LiveIndex:
    """Holds the loaded :class:`~rag.search.searcher.Index` and follows the published version."""

    def __init__(self, root: Path, load: Callable[[], object], *, busy: Callable[[], bool] = lambda: False,
                 check_seconds: float = CHECK_SECONDS) -> None:
        """Follow the index directory ``root``.

        Args:
            root: The index directory.
            load: Loads the live version (``load_index`` with the app's encoder).
            busy: True while this process is writing a version itself (it swaps that one in).
            check_seconds: Least time between two reads of the version pointer.
        """
        self.root, self._load, self._busy = Path(root), load, busy
        self.check_seconds = check_seconds
        self._index = None
        self._version: Path | None = None
        self._checked = 0.0
        self._loading = threading.Lock()

    def set(self, index) -> None:
        """Swap in ``index`` (``None``: nothing to search yet)."""
        self._index = index
        self._version = getattr(getattr(index, "backend", None), "folder", None)

    def get(self):
        """The index to search: the published version once it is loaded, else the one held."""
        if self._index is not None and not self._busy():
            self._follow()
        return self._index

    def _follow(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_seconds:
            return
        self._checked = now
        live = store.current_version(self.root)
        if live is None or live == self._version or not self._loading.acquire(blocking=False):
            return
        try:
            self.set(self._load())
            log.info("loaded index version %s, published by another process", live.name)
        except (RagError, OSError, ValueError, ConnectionError) as exc:
            log.warning("could not load the index version %s yet (%s); searching %s meanwhile",
                        live.name, exc, self._version.name if self._version else "nothing")
        finally:
            self._loading.release()
