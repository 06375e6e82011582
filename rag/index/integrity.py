"""Checksums of an index version's files: recorded at build time, verified before use.

``meta.json`` holds ``{"checksums": {"chunks.jsonl": {"bytes": …, "sha256": …}, …}}`` for
every other file of the version folder. Sizes are checked on every load (one ``stat``
per file); the sha256 of every file is checked by ``rag index`` before it reuses the live
version, by ``rag verify``, and on load with ``--verify``. A damaged index — shuffled
lines, flipped bytes, a truncated file — is then a clear error naming the rebuild
command, never a list of wrong citations.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import RagError
from .format import META
from .rows import Meta


class IndexCorruptError(RagError, RuntimeError):
    """An index file is missing, truncated or changed since the index was built."""


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, dict]:
    """``{relative path: {"bytes", "sha256"}}`` of every file under ``folder`` but ``meta.json``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).as_posix() != META}


def verify(folder: Path, meta: Meta, *, full: bool, hint: str = "",
           known: dict[str, str] | None = None) -> int:
    """Check the files of an index version against its recorded checksums.

    Args:
        folder: The version folder.
        meta: Its ``meta.json``.
        full: Also compare sha256 digests (else sizes only).
        hint: What to run to repair it, appended to the error.
        known: sha256 digests the caller already computed (files it read whole anyway).

    Returns:
        The number of bytes checked.

    Raises:
        IndexCorruptError: A recorded file is missing, has another size or another digest,
            or the index records no checksums at all.
    """
    recorded = meta.checksums
    suffix = f" Rebuild it: {hint}" if hint else ""
    if not recorded:
        raise IndexCorruptError(f"the index in {folder} records no checksums (built by an older "
                                f"version of party-rag), so it cannot be trusted.{suffix}")
    total = 0
    for name, expected in recorded.items():
        path = Path(folder) / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise IndexCorruptError(f"index file {path} is missing.{suffix}") from None
        if size != expected["bytes"]:
            raise IndexCorruptError(f"index file {path} has {size:,} bytes, {expected['bytes']:,} were "
                                    f"written (truncated or changed).{suffix}")
        digest = (known or {}).get(name) or (sha256_file(path) if full else None)
        if digest is not None and digest != expected["sha256"]:
            raise IndexCorruptError(f"index file {path} was changed after the index was built "
                                    f"(sha256 differs).{suffix}")
        total += size
    return total
