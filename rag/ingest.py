"""Read a folder of documents into :class:`~rag.records.Document` records with clauses.

Usage:
    rag ingest DIR [--json] [--report FILE] [--max-mb 50] [--max-chars 1200]

Files are read recursively; unreadable files are rejected with a reason and never stop
the batch. Sidecar ``NAME.meta.json`` files and a ``metadata.csv`` (column ``file`` plus
any metadata field) in the corpus folder override extracted metadata.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import DEFAULT_MAX_CHARS, build_clauses
from .layout import Paragraph, clean_markdown, paragraphs
from .metadata import extract
from .reading import DEFAULT_MAX_BYTES, ReadError, read_file
from .records import Document, Rejection

OVERRIDABLE = ("doc_type", "number", "issuer", "date", "term", "signer", "title")
_SKIP_NAMES = {"metadata.csv"}

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_SOME_REJECTED = 3


@dataclass
class IngestResult:
    """Documents read from a folder and the files rejected, in path order."""

    documents: list[Document] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0
    chars: int = 0


def read_document(path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_chars: int = DEFAULT_MAX_CHARS, overrides: dict | None = None) -> Document:
    """Read, clean, describe and chunk one file.

    Args:
        path: The file.
        root: Corpus root; the document id is the path relative to it.
        max_bytes: Size limit (larger files raise :class:`ReadError`).
        max_chars: Clause length above which clauses are split at sentence boundaries.
        overrides: Metadata fields that replace the extracted ones.

    Raises:
        ReadError: When the file cannot be read.
    """
    raw = read_file(path, max_bytes=max_bytes)
    source_text = clean_markdown(raw.text) if raw.format == "md" else raw.text
    source_paras = paragraphs(source_text)
    if not source_paras:
        raise ReadError("no paragraphs of text found")
    # The document text is the rebuilt paragraphs; clause spans point into it.
    paras, offset = [], 0
    for para in source_paras:
        paras.append(Paragraph(para.text, offset))
        offset += len(para.text) + 2
    text = "\n\n".join(p.text for p in paras)
    pages = [raw.page_at(p.offset) for p in source_paras] if raw.page_starts else None
    doc_id = path.relative_to(root).as_posix()
    meta = extract(text, paras, path.name)
    if overrides:
        meta.update({k: v for k, v in overrides.items() if k in OVERRIDABLE})
        if "date" in overrides:
            meta["date_source"] = "override"
    clauses = build_clauses(doc_id, text, paras, pages=pages, max_chars=max_chars)
    return Document(
        id=doc_id, source=doc_id, format=raw.format, text=text,
        pages=len(raw.page_starts) if raw.page_starts else None,
        clauses=tuple(clauses), **meta,
    )


def load_overrides(root: Path) -> dict[str, dict]:
    """Metadata overrides by file (relative path) from ``metadata.csv`` and ``*.meta.json`` sidecars."""
    table: dict[str, dict] = {}
    csv_path = root / "metadata.csv"
    if csv_path.is_file():
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                name = (row.pop("file", "") or "").strip()
                if name:
                    table[name] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
    for folder, names in _walk(root):
        for name in names:
            if not name.endswith(".meta.json"):
                continue
            sidecar = folder / name
            target = name[: -len(".meta.json")]
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            rel_dir = folder.relative_to(root)
            for candidate in names:
                if candidate != name and (candidate == target or Path(candidate).stem == target):
                    table.setdefault((rel_dir / candidate).as_posix(), {}).update(data)
    return table


def _walk(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """``(folder, file names)`` under ``root``, hidden entries skipped, folder links followed once."""
    seen = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link cycle
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        yield Path(folder), [n for n in names if not n.startswith(".")]


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` in path order, without hidden files and metadata sidecars.

    Symbolic links to folders are followed (once each), so a corpus can gather folders
    that live elsewhere; their ``*.meta.json`` sidecars apply too (:func:`load_overrides`).
    """
    found = [folder / name for folder, names in _walk(root) for name in names
             if name not in _SKIP_NAMES and not name.endswith(".meta.json") and (folder / name).is_file()]
    yield from sorted(found, key=lambda p: p.relative_to(root).as_posix())


def with_progress(files: list[Path], progress: bool):
    """``files``, wrapped in a tqdm "Reading" bar when ``progress``."""
    if not progress:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="Reading", unit="file")


def try_read(path: Path, root: Path, rejections: list[Rejection], **kwargs) -> Document | None:
    """:func:`read_document`, or ``None`` with the reason appended to ``rejections``."""
    rel = path.relative_to(root).as_posix()
    try:
        return read_document(path, root, **kwargs)
    except ReadError as exc:
        rejections.append(Rejection(rel, str(exc)))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        rejections.append(Rejection(rel, f"unexpected error: {type(exc).__name__}: {exc}"))
    return None


def ingest_folder(root: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_chars: int = DEFAULT_MAX_CHARS, progress: bool = False) -> IngestResult:
    """Read every file under ``root``; rejected files are listed with their reason.

    Raises:
        FileNotFoundError: When ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {root}")
    overrides = load_overrides(root)
    files = list(iter_files(root))
    result = IngestResult()
    start = time.perf_counter()
    for path in with_progress(files, progress):
        rel = path.relative_to(root).as_posix()
        doc = try_read(path, root, result.rejections, max_bytes=max_bytes, max_chars=max_chars,
                       overrides=overrides.get(rel))
        if doc is None:
            continue
        result.documents.append(doc)
        result.chars += len(doc.text)
    result.seconds = time.perf_counter() - start
    return result
