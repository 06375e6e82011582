"""Versioned, atomically switched index directories with a single-writer lock.

Layout of an index directory::

    index/
      CURRENT              name of the live version (replaced atomically)
      .lock                held by the one process that is building or updating
      v-20261127T101500-3f2a/   a complete version: meta.json, chunks.jsonl, ...
      .tmp-…/              a version being written (removed if a build dies)

A build writes a complete version under ``.tmp-…``, renames it to ``v-…`` and then
replaces ``CURRENT``; readers resolve ``CURRENT`` once and read only complete versions,
so they never see a half-written index and a crash leaves the previous one live.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import RagError

CURRENT = "CURRENT"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
VERSION_PREFIX = "v-"


class IndexLockedError(RagError, RuntimeError):
    """Another process holds the index's writer lock."""


def current_version(root: Path) -> Path | None:
    """The live version folder of the index at ``root``, or ``None`` when there is none."""
    pointer = Path(root) / CURRENT
    try:
        name = pointer.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    folder = Path(root) / name
    return folder if name and folder.is_dir() else None


@contextlib.contextmanager
def writer_lock(root: Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold the exclusive writer lock of ``root`` (created if needed).

    Args:
        root: Index directory.
        timeout: Seconds to wait for a running build to finish; 0 fails at once.

    Raises:
        IndexLockedError: When another process still holds the lock after ``timeout``.
    """
    import fcntl  # POSIX only; the index is built on Linux and macOS

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is building or updating the index in {root} "
                        f"(lock file {root / LOCK}); wait for it to finish and try again"
                    ) from None
                time.sleep(0.2)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_workspace(root: Path) -> Path:
    """Create an empty folder for a version being built (call with the lock held)."""
    folder = Path(root) / f"{TMP_PREFIX}{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    return folder


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(root: Path, workspace: Path) -> Path:
    """Turn a finished workspace into the live version; returns its folder."""
    root = Path(root)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    final = root / f"{VERSION_PREFIX}{stamp}-{secrets.token_hex(2)}"
    os.replace(workspace, final)
    pointer_tmp = root / f"{CURRENT}.{secrets.token_hex(4)}.tmp"
    with open(pointer_tmp, "w", encoding="utf-8") as handle:
        handle.write(final.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, root / CURRENT)
    _fsync_dir(root)
    return final


def cleanup(root: Path) -> list[str]:
    """Remove every version but the live one, and leftovers of dead builds (lock held).

    Returns:
        Names of the removed folders and files.
    """
    root = Path(root)
    live = current_version(root)
    removed = []
    for entry in root.iterdir():
        stale_version = entry.name.startswith(VERSION_PREFIX) and (live is None or entry.name != live.name)
        if entry.is_dir() and (stale_version or entry.name.startswith(TMP_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
        elif entry.is_file() and entry.name.startswith(f"{CURRENT}.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed
