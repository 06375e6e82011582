"""Paged formats: PDFs (text layer, OCR for the pages without one) and images (OCR).

Each page's text is normalised, running headers, footers and page numbers are removed
(:func:`strip_running_lines`), and :class:`~rag.ingest.reading.RawText` keeps where every page
starts; OCR'd pages keep their confidence (:mod:`rag.ingest.ocr`).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from ..text import normalize_text
from .ocr import OcrError, OcrPage, missing_tools, ocr_image, ocr_pdf_pages
from .ocr_fix import repair_numbering
from .reading import RawText, ReadError

MIN_PAGE_CHARS = 20  # a PDF page with less text than this has no text layer: it is OCR'd


log = logging.getLogger(__name__)


_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?(?:trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*[-–])?\s*$", re.I)


def read_pdf(path: Path, max_chars: int, check_chars) -> RawText:
    """A PDF's text, page by page; pages without a text layer are OCR'd.

    Args:
        path: The file.
        max_chars: Characters allowed in all (checked page by page: a decompression bomb stops early).
        check_chars: ``check_chars(chars, max_chars)`` raises :class:`ReadError` over the limit.

    Raises:
        ReadError: Encrypted, corrupt, truncated, page-less or unreadable scanned PDFs.
    """
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover
        raise ImportError("Reading .pdf needs pypdf: pip install pypdf") from exc
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001
                ok = 0
            if not ok:
                raise ReadError("encrypted PDF (password required)")
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            check_chars(chars, max_chars)  # stop a decompression bomb at the first page over
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise ReadError(f"corrupt or truncated PDF: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises a wide range on broken files
        if "crypt" in str(exc).lower():
            raise ReadError("encrypted PDF that cannot be opened") from exc
        raise ReadError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    if not pages:
        raise ReadError("PDF has no pages")
    confidence = _ocr_blank_pages(path, pages)
    return _paged(pages, "pdf", confidence)


def _paged(pages: list[str], file_format: str, ocr: tuple[float | None, ...] = ()) -> RawText:
    cleaned = strip_running_lines([normalize_text(p).split("\n") for p in pages])
    text, starts = "", []
    for lines in cleaned:
        starts.append(len(text))
        text += "\n".join(lines).strip("\n") + "\n"
    return RawText(text, file_format, tuple(starts), ocr)


def _ocr_blank_pages(path: Path, pages: list[str]) -> tuple[float | None, ...]:
    """OCR the pages without a text layer in place; their confidences (``()`` when none was)."""
    blank = [i + 1 for i, page in enumerate(pages) if len(page.strip()) < MIN_PAGE_CHARS]
    if not blank:
        return ()
    # A text PDF with a blank separator page or a scanned signature page is still read when
    # OCR cannot run; a PDF that is mostly scanned is not.
    scanned = sum(len(p.strip()) for p in pages) < MIN_PAGE_CHARS * len(pages) / 2
    reason = missing_tools(pdf=True)
    if reason:
        if scanned:
            raise ReadError(f"PDF has no text layer (scanned image?) and cannot be read: {reason}")
        log.warning("%s: %d page(s) without text left unread: %s", path.name, len(blank), reason)
        return ()
    try:
        read = ocr_pdf_pages(path, blank)
    except OcrError as exc:
        raise ReadError(f"OCR of the scanned pages failed: {exc}") from exc
    confidence: list[float | None] = [None] * len(pages)
    for number, page in read.items():
        pages[number - 1] = page.text
        confidence[number - 1] = page.confidence if page.text.strip() else None
    pages[:] = repair_numbering(pages, {number - 1 for number in read})
    if scanned and not any(p.strip() for p in pages):
        raise ReadError(f"PDF has no text layer, and OCR found no text on its {len(pages)} page(s) "
                        "(blank or unreadable scan)")
    return tuple(confidence)


def read_image(path: Path) -> RawText:
    """An image's text by OCR, one page per frame.

    Raises:
        ReadError: OCR cannot run, or the image is unreadable or over the pixel limit.
    """
    try:
        read: list[OcrPage] = ocr_image(path)
    except OcrError as exc:
        raise ReadError(str(exc)) from exc
    confidence = tuple(p.confidence if p.text.strip() else None for p in read)
    texts = repair_numbering([p.text for p in read], set(range(len(read))))
    return _paged(texts, path.suffix.lower().lstrip(".").replace("jpeg", "jpg"), confidence)


def strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and headers/footers repeated at the top or bottom of pages.

    A line is a running header/footer when the same text (digits ignored) appears among
    the first or last two non-blank lines of at least half of the pages (three or more).
    """
    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()).lower())

    def edges(content: list) -> list:
        # Short pages: only the very first and last lines can be running lines.
        k = 2 if len(content) >= 6 else 1
        return content[:k] + content[-k:]

    edge_counts: Counter[str] = Counter()
    for lines in pages:
        content = [ln for ln in lines if ln.strip()]
        for line in set(edges(content)):
            edge_counts[key(line)] += 1
    threshold = max(3, len(pages) // 2)
    running = {k for k, n in edge_counts.items() if n >= threshold and len(k) > 1}
    out = []
    for lines in pages:
        edge_idx = set(edges([i for i, ln in enumerate(lines) if ln.strip()]))
        kept = [ln for i, ln in enumerate(lines)
                if not (i in edge_idx and (_PAGE_NUMBER.match(ln) or key(ln) in running))]
        out.append(kept)
    return out
