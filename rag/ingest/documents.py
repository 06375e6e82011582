"""Read a folder of documents into :class:`~rag.records.Document` records with clauses.

Usage:
    rag ingest DIR [--json] [--report [FILE]] [--max-mb 50] [--max-chars 1200]

Files are read recursively (:mod:`rag.ingest.corpus` says which); unreadable files, files over
a limit (:mod:`rag.limits`) and links that lead outside the corpus are rejected with a
reason and never stop the batch. Sidecar ``NAME.meta.json`` files and a ``metadata.csv`` (column ``file`` plus
any metadata field) in the corpus folder override extracted metadata.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..limits import DEFAULT_LIMITS, Limits
from ..records import Document, Rejection
from ..text import normalize_text
from ..vocab import DEFAULT_MAX_CHARS
from .chunking import build_clauses
from .corpus import Corpus, CorpusFile
from .layout import Paragraph, clean_markdown, paragraphs
from .metadata import extract
from .reading import ReadError, read_file

OVERRIDABLE = ("doc_type", "number", "issuer", "date", "term", "signer", "title")

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


def read_document(path: Path, root: Path | None = None, *, doc_id: str | None = None,
                  limits: Limits = DEFAULT_LIMITS, max_chars: int = DEFAULT_MAX_CHARS,
                  overrides: dict | None = None) -> Document:
    """Read, clean, describe and chunk one file.

    Args:
        path: The file.
        root: Corpus root; the document id is the path relative to it (unless ``doc_id``).
        doc_id: The document id (a mounted folder's files carry its prefix).
        limits: Size, character and clause limits (:class:`rag.limits.Limits`).
        max_chars: Clause length above which clauses are split at sentence boundaries.
        overrides: Metadata fields that replace the extracted ones.

    Raises:
        ReadError: When the file cannot be read or is over a limit.
    """
    raw = read_file(path, limits=limits)
    source_text = clean_markdown(raw.text) if raw.format == "md" else raw.text
    doc = _parse(source_text, doc_id or path.relative_to(root).as_posix(), path.name, raw.format,
                 raw.page_at if raw.page_starts else None, len(raw.page_starts) if raw.page_starts else None,
                 limits=limits, max_chars=max_chars, overrides=overrides)
    return dataclasses.replace(doc, ocr=raw.ocr) if raw.ocr else doc


def document_from_text(doc_id: str, text: str, *, file_format: str = "txt", limits: Limits = DEFAULT_LIMITS,
                       max_chars: int = DEFAULT_MAX_CHARS, metadata: dict | None = None) -> Document:
    """A document from text in memory, read as a ``.txt`` file with that content would be.

    Use it with ``build_index(documents=…)`` to index text that is not in files.

    Args:
        doc_id: Document id (also its ``source``); its last part stands for the file name
            when metadata is guessed (a date in the name, for instance).
        text: The text (normalised to NFC here); ``md`` text has its Markdown removed.
        file_format: ``txt`` or ``md``.
        limits: Character and clause limits.
        max_chars: Clause length above which clauses are split.
        metadata: Fields that replace the extracted ones (``doc_type``, ``number``, ``issuer``,
            ``date``, ``term``, ``signer``, ``title``).

    Raises:
        ReadError: When the text is empty or over a limit.
    """
    text = normalize_text(text)
    if not text.strip():
        raise ReadError("no text found")
    if len(text) > limits.max_doc_chars:
        raise ReadError(f"more than {limits.max_doc_chars:,} characters of text, over the limit per document")
    source_text = clean_markdown(text) if file_format == "md" else text
    return _parse(source_text, doc_id, doc_id.rsplit("/", 1)[-1], file_format, None, None,
                  limits=limits, max_chars=max_chars, overrides=metadata)


def _parse(source_text: str, doc_id: str, name: str, file_format: str, page_at, page_count: int | None,
           *, limits: Limits, max_chars: int, overrides: dict | None) -> Document:
    """Paragraphs, metadata and clauses of a document's text."""
    source_paras = paragraphs(source_text)
    if not source_paras:
        raise ReadError("no paragraphs of text found")
    if len(source_paras) > limits.max_clauses:
        raise ReadError(f"{len(source_paras):,} paragraphs, over the limit of {limits.max_clauses:,} "
                        "clauses per document")
    # The document text is the rebuilt paragraphs; clause spans point into it.
    paras, offset = [], 0
    for para in source_paras:
        paras.append(Paragraph(para.text, offset))
        offset += len(para.text) + 2
    text = "\n\n".join(p.text for p in paras)
    pages = [page_at(p.offset) for p in source_paras] if page_at else None
    meta = extract(text, paras, name)
    if overrides:
        meta.update({k: v for k, v in overrides.items() if k in OVERRIDABLE})
        if "date" in overrides:
            meta["date_source"] = "override"
    clauses = build_clauses(doc_id, text, paras, pages=pages, max_chars=max_chars)
    if len(clauses) > limits.max_clauses:
        raise ReadError(f"{len(clauses):,} clauses, over the limit of {limits.max_clauses:,} per document")
    return Document(id=doc_id, source=doc_id, format=file_format, text=text, pages=page_count,
                    clauses=tuple(clauses), **meta)


def iter_files(root: Path, link_roots: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Readable files under ``root`` in id order (rejected entries left out; see :mod:`rag.ingest.corpus`)."""
    yield from (f.path for f in Corpus.of(root, link_roots=link_roots).scan().files)


def with_progress(files: list, progress: bool):
    """``files``, wrapped in a tqdm "Reading" bar when ``progress``."""
    if not progress:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="Reading", unit="file")


def try_read(item: CorpusFile, rejections: list[Rejection], **kwargs) -> Document | None:
    """:func:`read_document`, or ``None`` with the reason appended to ``rejections``."""
    try:
        return read_document(item.path, doc_id=item.doc_id, **kwargs)
    except ReadError as exc:
        rejections.append(Rejection(item.doc_id, str(exc)))
    except MemoryError:
        rejections.append(Rejection(item.doc_id, "too large to read in the available memory"))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        rejections.append(Rejection(item.doc_id, f"unexpected error: {type(exc).__name__}: {exc}"))
    return None


def ingest_folder(root: str | Path | Corpus, *, limits: Limits = DEFAULT_LIMITS,
                  max_chars: int = DEFAULT_MAX_CHARS, progress: bool = False) -> IngestResult:
    """Read every file under ``root``; rejected files and links are listed with their reason.

    Args:
        root: Corpus folder (or a :class:`rag.ingest.corpus.Corpus` with mounts and link roots).
        limits: Size, character and clause limits.
        max_chars: Clause length above which clauses are split.
        progress: Show a progress bar on stderr.

    Raises:
        FileNotFoundError: When ``root`` is not a folder.
    """
    scan = Corpus.of(root).scan()
    result = IngestResult(rejections=list(scan.rejections))
    start = time.perf_counter()
    for item in with_progress(scan.files, progress):
        doc = try_read(item, result.rejections, limits=limits, max_chars=max_chars,
                       overrides=scan.overrides.get(item.doc_id))
        if doc is None:
            continue
        result.documents.append(doc)
        result.chars += len(doc.text)
    result.rejections.sort(key=lambda r: r.source)
    result.seconds = time.perf_counter() - start
    return result
