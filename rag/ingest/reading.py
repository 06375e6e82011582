"""Reading files into normalised text: .txt, .md, .docx, .pdf, .doc, .rtf, .odt, web pages and images.

``.doc``, ``.rtf``, ``.odt`` and web pages are read by :mod:`rag.ingest.formats`; images and the
pages of a PDF without a text layer by OCR (:mod:`rag.ingest.ocr`).

Each reader returns a :class:`RawText` — the whole text and, for PDFs, where each page
starts — or raises :class:`ReadError` with a reason a person can act on. Page numbers,
running headers and footers of PDFs are removed here; paragraph re-joining is the job
of :mod:`rag.ingest.layout`.
"""

from __future__ import annotations

import bisect
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..limits import DEFAULT_LIMITS, MB, Limits
from ..text import normalize_text
from ..vocab import FILE_TYPES
from .ocr import IMAGE_TYPES, OcrError, OcrPage, missing_tools, ocr_image, ocr_pdf_pages

SUPPORTED = FILE_TYPES
OTHER_FORMATS = (".doc", ".rtf", ".odt", ".html", ".htm")  # rag.ingest.formats
MIN_PAGE_CHARS = 20  # a PDF page with less text than this has no text layer: it is OCR'd


class ReadError(RagError):
    """A file cannot be read; ``str(error)`` is the reason."""


@dataclass(frozen=True)
class RawText:
    """Normalised text of one file; ``page_starts[i]`` is where page ``i + 1`` begins.

    ``ocr[i]`` is the mean OCR word confidence (0–100) of page ``i + 1`` when that page was
    read by OCR, ``None`` for a page read from its text layer (empty: no page was OCR'd).
    """

    text: str
    format: str
    page_starts: tuple[int, ...] | None = None
    ocr: tuple[float | None, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page containing character ``offset`` (``None`` for paged-less formats)."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))


def read_file(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> RawText:
    """Read one file.

    Args:
        path: File to read; the format comes from the extension.
        limits: Size, character and ZIP limits (:class:`rag.limits.Limits`).

    Returns:
        The normalised text.

    Raises:
        ReadError: Unsupported, oversize, empty, binary, undecodable, encrypted,
            scanned (no text layer) files when OCR cannot run, corrupt files, zip bombs
            and texts over the character limit.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ReadError(f"unsupported file type '{suffix or path.name}' (supported: {', '.join(SUPPORTED)})")
    size = path.stat().st_size
    if size == 0:
        raise ReadError("empty file")
    if size > limits.max_bytes:
        raise ReadError(f"file too large: {size / MB:.1f} MB > limit {limits.max_bytes / MB:.1f} MB")
    if suffix == ".pdf":
        raw = _read_pdf(path, limits.max_doc_chars)
    elif suffix == ".docx":
        check_zip(path, limits)
        raw = RawText(_read_docx(path), "docx")
    elif suffix in IMAGE_TYPES:
        raw = _read_image(path)
    elif suffix in OTHER_FORMATS:
        fmt = "html" if suffix == ".htm" else suffix[1:]
        raw = RawText(normalize_text(_read_other(path, suffix, limits)), fmt)
    else:
        raw = RawText(decode_text(path.read_bytes()), suffix[1:])
    if not raw.text.strip():
        raise ReadError("no text found in the file")
    _check_chars(len(raw.text), limits.max_doc_chars)
    return raw


def _read_other(path: Path, suffix: str, limits: Limits) -> str:
    from . import formats

    if suffix == ".doc":
        return formats.read_doc(path)
    if suffix == ".rtf":
        return formats.read_rtf(path)
    if suffix == ".odt":
        return formats.read_odt(path, limits)
    return formats.read_html(path, decode_text)


def _check_chars(chars: int, limit: int) -> None:
    if chars > limit:
        raise ReadError(f"more than {limit:,} characters of text, over the limit per document")


def check_zip(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a ZIP container (``.docx``) whose parts would expand beyond the limits.

    The sizes come from the ZIP directory, before anything is decompressed; Python's
    ``zipfile`` never returns more bytes than a part declares, so they cannot lie.

    Raises:
        ReadError: Not a ZIP, too many parts, a part over ``max_xml_bytes`` (XML) or
            expanding more than ``max_zip_ratio`` times, or over ``max_unzipped_bytes`` in all.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"corrupt DOCX: not a ZIP container ({exc})") from exc
    if len(infos) > limits.max_zip_members:
        raise ReadError(f"DOCX with {len(infos):,} parts, over the limit of {limits.max_zip_members:,}")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_zip_ratio:
            raise ReadError(f"DOCX part {info.filename} expands {ratio:,.0f} times "
                            f"({info.file_size / MB:,.1f} MB from {info.compress_size / 1024:,.1f} KB): "
                            "refused as a possible zip bomb")
        if info.filename.lower().endswith((".xml", ".rels")) and info.file_size > limits.max_xml_bytes:
            raise ReadError(f"DOCX part {info.filename} holds {info.file_size / MB:,.1f} MB of XML, over "
                            f"the limit of {limits.max_xml_bytes / MB:,.0f} MB")
    if total > limits.max_unzipped_bytes:
        raise ReadError(f"DOCX expands to {total / MB:,.1f} MB, over the limit of "
                        f"{limits.max_unzipped_bytes / MB:,.0f} MB")


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte is mostly NUL (ASCII-heavy UTF-16 text)."""
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 (with or without BOM) and normalise it.

    Raises:
        ReadError: Binary content or bytes that are not valid UTF-8/UTF-16.
    """
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data)
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ReadError(f"invalid UTF-16 text ({exc.reason} at byte {exc.start})") from exc
    else:
        if b"\x00" in data[:4096]:
            raise ReadError("binary file (NUL bytes), not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"not valid UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
            ) from exc
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 4096):
        raise ReadError("binary file (control characters), not text")
    return normalize_text(text)


def _read_docx(path: Path) -> str:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover
        raise ImportError("Reading .docx needs python-docx: pip install python-docx") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types
        raise ReadError(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
            lines.append("")
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    if value and value not in cells:  # merged cells repeat their text
                        cells.append(value)
                lines.append(" | ".join(cells))
            lines.append("")
    return normalize_text("\n".join(lines))


_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?(?:trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*[-–])?\s*$", re.I)


def _read_pdf(path: Path, max_chars: int) -> RawText:
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
            _check_chars(chars, max_chars)  # stop a decompression bomb at the first page over
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
        logging.getLogger(__name__).warning("%s: %d page(s) without text left unread: %s",
                                            path.name, len(blank), reason)
        return ()
    try:
        read = ocr_pdf_pages(path, blank)
    except OcrError as exc:
        raise ReadError(f"OCR of the scanned pages failed: {exc}") from exc
    confidence: list[float | None] = [None] * len(pages)
    for number, page in read.items():
        pages[number - 1] = page.text
        confidence[number - 1] = page.confidence if page.text.strip() else None
    if scanned and not any(p.strip() for p in pages):
        raise ReadError(f"PDF has no text layer, and OCR found no text on its {len(pages)} page(s) "
                        "(blank or unreadable scan)")
    return tuple(confidence)


def _read_image(path: Path) -> RawText:
    try:
        read: list[OcrPage] = ocr_image(path)
    except OcrError as exc:
        raise ReadError(str(exc)) from exc
    confidence = tuple(p.confidence if p.text.strip() else None for p in read)
    return _paged([p.text for p in read], path.suffix.lower().lstrip(".").replace("jpeg", "jpg"),
                  confidence)


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
