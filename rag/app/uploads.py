"""Accept uploaded files into the data directory's ``uploads/`` safely, and move them to a trash.

Only ``.pdf``, ``.docx``, ``.txt`` and ``.md`` up to a size limit are accepted. The name
is reduced to a plain file name (no folders, no ``..``, no control or shell characters,
at most 150 characters with its extension kept), the file never replaces another, and
a file whose content is already in the corpus is refused as a duplicate. Deleting an
upload moves it to ``trash/``, from where it can be restored.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..index.integrity import sha256_file
from ..vocab import FILE_TYPES

ALLOWED = FILE_TYPES
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_NAME = 150
UPLOAD_PREFIX = "uploads"
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_TRASH_SEPARATOR = "--"


class UploadRejected(RagError, ValueError):
    """The file was not stored (or not deleted); the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Stored:
    """A file accepted into the uploads folder."""

    name: str  # as uploaded
    path: Path  # where it was stored
    doc_id: str  # "uploads/<file name>"
    sha256: str


def safe_name(name: str) -> str:
    """A plain, safe file name from an uploaded name (``../../etc/passwd`` → ``passwd``).

    Names over 150 characters are shortened in the stem, so the extension is kept.

    Raises:
        UploadRejected: When nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    if not name or name in {".", ".."}:
        raise UploadRejected("tên tệp rỗng sau khi bỏ thư mục và ký tự không an toàn")
    stem, suffix = os.path.splitext(name)
    if len(suffix) > 10:  # not an extension, just a dot in a long name
        stem, suffix = name, ""
    return stem[: MAX_NAME - len(suffix)].rstrip(" ._") + suffix


def _exclusive(folder: Path, name: str) -> tuple[int, Path]:
    """Create ``folder/name`` (or ``name-2``, ``name-3``…) without ever replacing a file."""
    stem, suffix = os.path.splitext(name)
    target, counter = folder / name, 2
    while True:
        try:
            return os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), target
        except FileExistsError:
            target = folder / f"{stem}-{counter}{suffix}"
            counter += 1


def store_upload(uploads: Path, source: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 known: dict[str, str] | None = None) -> Stored:
    """Copy an uploaded file into ``uploads`` after every check.

    Args:
        uploads: The data directory's uploads folder (created if missing).
        source: The uploaded temporary file.
        name: The name the user gave it.
        max_bytes: Size limit.
        known: sha256 → document id of the documents already in the corpus.

    Raises:
        UploadRejected: Wrong extension, too large, empty, duplicate or unsafe name.
    """
    uploads = Path(uploads)
    clean = safe_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in ALLOWED:
        raise UploadRejected(f"{name}: chỉ nhận tệp {', '.join(ALLOWED)}")
    size = Path(source).stat().st_size
    if size > max_bytes:
        raise UploadRejected(f"{name}: {size / 2**20:.1f} MB, vượt giới hạn {max_bytes / 2**20:.0f} MB")
    if size == 0:
        raise UploadRejected(f"{name}: tệp rỗng")
    digest = sha256_file(Path(source))
    known = known or {}
    if digest in known:
        raise UploadRejected(f"{name}: nội dung này đã có trong kho với tên {known[digest]}")
    uploads.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, target = _exclusive(uploads, clean)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out)
    return Stored(name=name, path=target, doc_id=f"{UPLOAD_PREFIX}/{target.name}", sha256=digest)


def upload_path(uploads: Path, doc_id: str) -> Path:
    """The file of an uploaded document id (``uploads/<name>``).

    Raises:
        UploadRejected: When ``doc_id`` is not an upload or names no file there.
    """
    prefix, _, name = doc_id.partition("/")
    if prefix != UPLOAD_PREFIX or not name or "/" in name or name in {".", ".."}:
        raise UploadRejected(f"{doc_id}: chỉ xóa được văn bản đã tải lên (uploads/…); văn bản của kho gốc "
                             "do quản trị viên gỡ khỏi thư mục kho trên máy chủ")
    path = Path(uploads) / name
    if not path.is_file() or path.is_symlink():
        raise UploadRejected(f"{doc_id}: không có tệp này trong thư mục tải lên")
    return path


def move_to_trash(uploads: Path, trash: Path, doc_id: str) -> str:
    """Move an uploaded document to the trash; returns its trash entry name.

    Raises:
        UploadRejected: When ``doc_id`` is not an uploaded file.
    """
    path = upload_path(uploads, doc_id)
    trash.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    fd, target = _exclusive(trash, f"{stamp}{_TRASH_SEPARATOR}{path.name}")
    os.close(fd)
    os.replace(path, target)
    return target.name


def trash_entries(trash: Path) -> list[str]:
    """Names of the trash entries, newest first."""
    if not Path(trash).is_dir():
        return []
    return sorted((p.name for p in Path(trash).iterdir() if p.is_file() and _TRASH_SEPARATOR in p.name),
                  reverse=True)


def restore_from_trash(trash: Path, uploads: Path, entry: str) -> str:
    """Move a trash entry back into the uploads folder; returns its document id.

    Raises:
        UploadRejected: When ``entry`` is not in the trash.
    """
    if entry not in trash_entries(trash):
        raise UploadRejected(f"{entry}: không có trong thùng rác")
    name = entry.split(_TRASH_SEPARATOR, 1)[1]
    uploads.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, target = _exclusive(uploads, name)
    os.close(fd)
    os.replace(Path(trash) / entry, target)
    return f"{UPLOAD_PREFIX}/{target.name}"
