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
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..limits import DEFAULT_LIMITS, MB, Limits
from ..text import normalize_text
from ..vocab import FILE_TYPES
from .ocr import IMAGE_TYPES

SUPPORTED = FILE_TYPES
OTHER_FORMATS = (".doc", ".rtf", ".odt", ".html", ".htm")  # rag.ingest.formats


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
    from . import paged  # after this module: paged reads RawText and ReadError from it

    if suffix == ".pdf":
        raw = paged.read_pdf(path, limits.max_doc_chars, _check_chars)
    elif suffix == ".docx":
        check_zip(path, limits)
        raw = RawText(_read_docx(path), "docx")
    elif suffix in IMAGE_TYPES:
        raw = paged.read_image(path)
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


