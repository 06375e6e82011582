"""Optical character recognition of scanned PDF pages and photos (tesseract, Vietnamese model).

Pages of a PDF without a text layer are rendered by poppler's ``pdftoppm`` and read by
``tesseract -l vie``; images (``.png``, ``.jpg``, ``.jpeg``, ``.tif``, ``.tiff``; a multi-page
TIFF gives one page per frame) go to tesseract directly. The text is rebuilt from tesseract's
TSV output — one line per printed line, a blank line between paragraphs — so the same layout,
numbering and chunking as a text PDF apply. Each page keeps the mean confidence of its words
(weighted by their length): a page under :data:`LOW_CONFIDENCE` is flagged in the ingest
report and in the viewer.

Binaries come from Debian (``apt install tesseract-ocr tesseract-ocr-vie poppler-utils``);
without them a scanned file is rejected with a reason that names the packages. The
measurements behind the settings are in ``eval/reports/ocr-*.md`` (``python -m eval.ocr``).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import subprocess
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..text import normalize_text
from ..vocab import OCR_LOW_CONFIDENCE as LOW_CONFIDENCE
from .imaging import straighten
from .ocr_fix import repair

log = logging.getLogger(__name__)

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
PACKAGES = "tesseract-ocr tesseract-ocr-vie"
LANGUAGE = "vie"
DPI = 300  # eval/reports/ocr-*.md: fewer diacritic errors than 200 dpi for ~1.6x the time per page
TRUSTED = 95.0  # words read with less confidence may have their marks repaired (rag.ingest.ocr_fix)
PAGE_TIMEOUT = 300  # seconds tesseract or pdftoppm may take on one page
MAX_PAGES = 500  # scanned pages OCR'd per file; more is refused (hours of CPU for one upload)
MAX_PIXELS = 120_000_000  # per image: an A0 scan at 300 dpi; a larger header is a decompression bomb


# Tesseract sometimes prints the Icelandic eth (Ð U+00D0) for Đ (U+0110): "QÐ/TW" would not match
# "QĐ/TW" in search. Vietnamese never uses the eth.
_ETH = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})


class OcrError(Exception):
    """OCR cannot run or cannot read the page; ``str(error)`` is the reason."""


@dataclass(frozen=True)
class OcrPage:
    """The text tesseract read on one page and its mean word confidence (0–100)."""

    text: str
    confidence: float

    @property
    def low(self) -> bool:
        """Whether the page is under :data:`LOW_CONFIDENCE` and should be checked by a person."""
        return self.confidence < LOW_CONFIDENCE


def ocr_summary(ocr: tuple[float | None, ...]) -> str:
    """One Vietnamese sentence on a document read by OCR: pages, mean confidence, pages to check.

    >>> ocr_summary((None, 92.0, 71.4))  # doctest: +NORMALIZE_WHITESPACE
    'Đọc bằng nhận dạng ký tự (OCR): 2 trang, độ tin cậy trung bình 82%.
     Cần đối chiếu bản gốc: trang 3 (71%).'
    """
    read = [(i + 1, conf) for i, conf in enumerate(ocr) if conf is not None]
    if not read:
        return ""
    mean = sum(conf for _, conf in read) / len(read)
    note = f"Đọc bằng nhận dạng ký tự (OCR): {len(read)} trang, độ tin cậy trung bình {mean:.0f}%."
    low = [f"trang {page} ({conf:.0f}%)" for page, conf in read if conf < LOW_CONFIDENCE]
    return note + (f" Cần đối chiếu bản gốc: {', '.join(low)}." if low else "")


def missing_tools(*, pdf: bool = False) -> str | None:
    """A reason naming the Debian packages to install when OCR cannot run here, else ``None``."""
    if not shutil.which("tesseract"):
        return f"OCR needs tesseract with its Vietnamese model (Debian: apt install {PACKAGES})"
    if pdf and not shutil.which("pdftoppm"):
        return "OCR of a scanned PDF needs pdftoppm (Debian: apt install poppler-utils)"
    if LANGUAGE not in _languages():
        return f"tesseract has no Vietnamese model (Debian: apt install tesseract-ocr-{LANGUAGE})"
    return None


_LANGS: set[str] | None = None


def _languages() -> set[str]:
    global _LANGS
    if _LANGS is None:
        done = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                              timeout=30, check=False)
        _LANGS = {line.strip() for line in (done.stdout + done.stderr).splitlines()[1:]}
    return _LANGS


def _run(command: list[str]) -> str:
    # One thread per tesseract: pages run in parallel, which uses 2 cores better than
    # tesseract's own OpenMP threads on one page (measured in eval/reports/ocr-*.md).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=PAGE_TIMEOUT, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise OcrError(f"{command[0]} took more than {PAGE_TIMEOUT} s on one page") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"{command[0]} failed: {(reason or ['no message'])[-1][:200]}")
    return done.stdout.decode("utf-8", "replace")


def pages_from_tsv(tsv: str, *, trusted: float | None = TRUSTED) -> list[OcrPage]:
    r"""Pages of tesseract's TSV output: words joined into lines, lines into paragraphs.

    Args:
        tsv: Tesseract's ``tsv`` output (one row per page, block, paragraph, line and word).
        trusted: Words read with at least this confidence keep their marks; the others may be
            repaired by :func:`rag.ingest.ocr_fix.repair`. ``None``: no repair.

    >>> tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    ...        "\tconf\ttext\n5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t90\tĐiều\n"
    ...        "5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t70\t1.\n")
    >>> pages_from_tsv(tsv)
    [OcrPage(text='Điều 1.', confidence=83.3)]
    """
    pages: dict[int, dict] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        page = pages.setdefault(int(row["page_num"]), {"lines": {}, "weight": 0, "score": 0.0})
        word, conf = normalize_text(row["text"].strip()).translate(_ETH), float(row["conf"])
        paragraph = (int(row["block_num"]), int(row["par_num"]))
        page["lines"].setdefault(paragraph, {}).setdefault(int(row["line_num"]), []).append((word, conf))
        if conf >= 0:
            page["weight"] += len(word)
            page["score"] += conf * len(word)
    out = []
    for number in range(1, max(pages, default=0) + 1):
        page = pages.get(number)
        if not page:
            out.append(OcrPage("", 0.0))
            continue
        text, doubtful = _page_text(page["lines"], trusted)
        if trusted is not None:
            text = repair(text, doubtful)[0]
        confidence = round(page["score"] / page["weight"], 1) if page["weight"] else 0.0
        out.append(OcrPage(normalize_text(text), confidence))
    return out


def _page_text(paragraphs: dict, trusted: float | None) -> tuple[str, list[tuple[int, int]]]:
    """A page's text and the spans of the words read with less than ``trusted`` confidence."""
    parts: list[str] = []
    doubtful: list[tuple[int, int]] = []
    length = 0
    for _, lines in sorted(paragraphs.items()):
        for n, (_, words) in enumerate(sorted(lines.items())):
            for k, (word, conf) in enumerate(words):
                gap = ("\n\n" if parts else "") if n == 0 and k == 0 else ("\n" if k == 0 else " ")
                length += len(gap)
                if trusted is not None and conf < trusted:
                    doubtful.append((length, length + len(word)))
                parts += [gap, word]
                length += len(word)
    return "".join(parts), doubtful


def image_tsv(path: Path) -> str:
    """Tesseract's TSV output for an image file (every frame of a multi-page TIFF).

    Raises:
        OcrError: Tesseract is missing, the image is too large or unreadable.
    """
    reason = missing_tools()
    if reason:
        raise OcrError(reason)
    _check_pixels(path)
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as tmp:
        try:
            straight, angle = straighten(path, tmp)
        except (OSError, ValueError) as exc:
            raise OcrError(f"not a readable image ({type(exc).__name__}: {exc})") from exc
        if angle:
            log.info("%s: straightened by %.2f°", path.name, angle)
        return _run(["tesseract", str(straight), "stdout", "-l", LANGUAGE, "--psm", "3", "tsv"])


def ocr_image(path: Path) -> list[OcrPage]:
    """Read an image file (every frame of a multi-page TIFF).

    Raises:
        OcrError: Tesseract is missing, the image is too large or unreadable.
    """
    return pages_from_tsv(image_tsv(path))


def _check_pixels(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the core dependencies
        return
    try:
        with warnings.catch_warnings():
            # Pillow warns over 89 M pixels; the limit that applies is ours, checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header, not the pixels
                frames = getattr(image, "n_frames", 1)
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise OcrError(f"image over the limit of {MAX_PIXELS:,} pixels ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on broken files
        raise OcrError(f"not a readable image ({type(exc).__name__}: {exc})") from exc
    if width * height > MAX_PIXELS:
        raise OcrError(f"image of {width:,}×{height:,} pixels, over the limit of {MAX_PIXELS:,}")
    if frames > MAX_PAGES:
        raise OcrError(f"image with {frames:,} pages, over the limit of {MAX_PAGES:,} OCR pages")


def ocr_pdf_pages(path: Path, pages: list[int], *, dpi: int = DPI) -> dict[int, OcrPage]:
    """OCR the given 1-based pages of a PDF, two at a time on two cores.

    Raises:
        OcrError: A tool is missing, too many pages, or a page cannot be rendered or read.
    """
    reason = missing_tools(pdf=True)
    if reason:
        raise OcrError(reason)
    if len(pages) > MAX_PAGES:
        raise OcrError(f"{len(pages):,} scanned pages, over the limit of {MAX_PAGES:,} OCR pages per file")
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as tmp:
        def one(number: int) -> OcrPage:
            prefix = Path(tmp) / f"p{number}"
            _run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", str(number),
                  "-l", str(number), str(path), str(prefix)])
            read = pages_from_tsv(image_tsv(Path(f"{prefix}.png")))
            return read[0] if read else OcrPage("", 0.0)

        workers = max(1, min(len(pages), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            read = list(pool.map(one, pages))
    log.info("OCR of %d page(s) of %s: mean confidence %.1f", len(pages), path.name,
             sum(p.confidence for p in read) / max(len(read), 1))
    return dict(zip(pages, read, strict=True))
