"""Accept uploaded files into a corpus folder safely (used by the web app).

Only ``.pdf``, ``.docx``, ``.txt`` and ``.md`` up to a size limit are accepted. The name
is reduced to a plain file name (no folders, no ``..``, no control or shell characters),
the file is stored under ``<corpus>/uploads/`` and never replaces another file, and a
file whose content is already in the corpus is refused as a duplicate.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .ingest import iter_files

ALLOWED = (".pdf", ".docx", ".txt", ".md")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
UPLOAD_DIR = "uploads"
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


class UploadRejected(ValueError):
    """The file was not stored; the message says why."""


@dataclass(frozen=True)
class Stored:
    """A file accepted into the corpus."""

    name: str  # as uploaded
    path: Path  # where it was stored
    doc_id: str  # path relative to the corpus root
    sha256: str


def safe_name(name: str) -> str:
    """A plain, safe file name from an uploaded name (``../../etc/passwd`` → ``passwd``).

    Raises:
        UploadRejected: When nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    if not name or name in {".", ".."}:
        raise UploadRejected("the file name is empty once folders and unsafe characters are removed")
    return name[:150]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_hashes(corpus: Path) -> dict[str, str]:
    """sha256 → relative path of every document in the corpus."""
    return {sha256_file(p): p.relative_to(corpus).as_posix() for p in iter_files(corpus)}


def store_upload(corpus: Path, source: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 known: dict[str, str] | None = None) -> Stored:
    """Copy an uploaded file into ``<corpus>/uploads/`` after every check.

    Args:
        corpus: Corpus root.
        source: The uploaded temporary file.
        name: The name the user gave it.
        max_bytes: Size limit.
        known: sha256 → path of the documents already in the corpus (computed if omitted).

    Raises:
        UploadRejected: Wrong extension, too large, empty, duplicate or unsafe name.
    """
    corpus = Path(corpus).resolve()
    clean = safe_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in ALLOWED:
        raise UploadRejected(f"{name}: only {', '.join(ALLOWED)} files are accepted")
    size = Path(source).stat().st_size
    if size > max_bytes:
        raise UploadRejected(f"{name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit")
    if size == 0:
        raise UploadRejected(f"{name}: the file is empty")
    digest = sha256_file(Path(source))
    known = corpus_hashes(corpus) if known is None else known
    if digest in known:
        raise UploadRejected(f"{name}: the same content is already in the corpus as {known[digest]}")
    folder = corpus / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem, target = Path(clean).stem, folder / clean
    counter = 2
    while True:
        try:  # O_EXCL: never replace a file, even one created a moment ago
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            target = folder / f"{stem}-{counter}{suffix}"
            counter += 1
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out)
    if target.resolve().parent != folder.resolve():  # pragma: no cover - safe_name prevents it
        target.unlink()
        raise UploadRejected(f"{name}: refused, it would be stored outside the corpus")
    return Stored(name=name, path=target, doc_id=target.relative_to(corpus).as_posix(), sha256=digest)


def remove_document(corpus: Path, doc_id: str) -> Path:
    """Delete a document file of the corpus (``doc_id`` relative to it).

    Raises:
        UploadRejected: When ``doc_id`` points outside the corpus or to no file.
    """
    corpus = Path(corpus).resolve()
    target = (corpus / doc_id).resolve()
    if corpus not in target.parents or not target.is_file():
        raise UploadRejected(f"{doc_id}: not a document of the corpus")
    target.unlink()
    return target
