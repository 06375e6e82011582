"""OCR measurement: text PDFs rendered to images, read by OCR and compared with their text layer.

Usage: python -m eval.ocr [--shared ../shared] [--pages-per-doc 6] [--dpi 200 300] [--json]

Pages of the text PDFs in ``../shared/corpus/party`` are rendered with ``pdftoppm`` (grey, at
each ``--dpi``), read by the project's OCR (:mod:`rag.ingest.ocr`: tesseract ``vie``) and
compared with the page's own text layer: character error rate (CER, whitespace collapsed),
CER on the characters that carry Vietnamese diacritics, and CER with diacritics removed — raw,
and with the mark repair of :mod:`rag.ingest.ocr_fix` at each ``--repair-gates`` confidence. The
same pages at the highest dpi are degraded (rotation ±2°, JPEG quality 40, Gaussian blur, all three)
and measured again. Whole documents (``--full``) are turned into image-only PDFs and ingested
end to end, and their clause paths compared with those of the text PDF. ``--ocrmypdf``
measures ocrmypdf (its text layer read back with pypdf) on the same pages for comparison.
Writes ``eval/reports/ocr-<date>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FULL = ("quy-dinh-294-QD-TW-2025-05-26.pdf", "huong-dan-06-HD-TW-2025-06-09.pdf")


# Typographic and straight quotes and dashes print alike; a text layer keeps one, OCR reads the other.
_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY).split())


def _marked(ch: str) -> bool:
    return ch in "đĐ" or len(unicodedata.normalize("NFD", ch)) > 1


def _fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def error_rates(reference: str, hypothesis: str) -> dict:
    """Edit counts of one page: all characters, those with diacritics, and with diacritics removed."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = _collapse(reference), _collapse(hypothesis)
    marked = [i for i, ch in enumerate(ref) if _marked(ch)]
    marked_set = set(marked)
    wrong = sum(1 for op in Levenshtein.editops(ref, hyp)
                if op.tag in ("replace", "delete") and op.src_pos in marked_set)
    return {"chars": len(ref), "edits": Levenshtein.distance(ref, hyp), "marked": len(marked),
            "marked_edits": wrong, "folded_edits": Levenshtein.distance(_fold(ref), _fold(hyp))}


def _rates(rows: list[dict]) -> dict:
    chars = sum(r["chars"] for r in rows) or 1
    marked = sum(r["marked"] for r in rows) or 1
    return {"pages": len(rows), "cer": sum(r["edits"] for r in rows) / chars,
            "cer_diacritics": sum(r["marked_edits"] for r in rows) / marked,
            "cer_folded": sum(r["folded_edits"] for r in rows) / chars,
            "seconds_per_page": sum(r["seconds"] for r in rows) / max(len(rows), 1)}


def _render(pdf: Path, page: int, dpi: int, folder: Path) -> Path:
    prefix = folder / f"{pdf.stem}-{page}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(pdf), str(prefix)], check=True, capture_output=True)
    return prefix.with_suffix(".png")


def _degrade(png: Path, how: str) -> Path:
    from PIL import Image, ImageFilter

    image = Image.open(png).convert("L")
    out = png.with_name(f"{png.stem}-{how}.png")
    if how in ("rot+2", "rot-2", "all"):
        image = image.rotate(2 if how == "rot+2" else -2, expand=True, fillcolor=255,
                             resample=Image.BICUBIC)
    if how in ("blur", "all"):
        image = image.filter(ImageFilter.GaussianBlur(1.2))
    if how in ("jpeg40", "all"):
        out = out.with_suffix(".jpg")
        image.save(out, quality=40)
    else:
        image.save(out)
    return out


def _ocr_many(images: list[Path]) -> list[tuple[str, float]]:
    """Tesseract's TSV of each image, two at a time, and its wall seconds (2 in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.ingest.ocr import image_tsv

    def one(path: Path) -> tuple[str, float]:
        start = time.perf_counter()
        tsv = image_tsv(path)
        return tsv, time.perf_counter() - start

    with ThreadPoolExecutor(2) as pool:
        # Two pages in flight share two cores: a page's wall time is what a user waits per page.
        results = list(pool.map(one, images))
    return [(tsv, seconds / 2) for tsv, seconds in results]


def _rows(sample, read, trusted) -> list[dict]:
    from rag.ingest.ocr import pages_from_tsv

    return [{**error_rates(ref, "\n\n".join(p.text for p in pages_from_tsv(tsv, trusted=trusted))),
             "seconds": sec} for (_, _, ref), (tsv, sec) in zip(sample, read, strict=True)]


def _sample(pdfs: list[Path], per_doc: int) -> list[tuple[Path, int, str]]:
    from pypdf import PdfReader

    sample = []
    for pdf in pdfs:
        reader = PdfReader(str(pdf))
        count = len(reader.pages)
        picks = sorted({1 + round(i * (count - 1) / max(per_doc - 1, 1)) for i in range(min(per_doc, count))})
        for page in picks:
            text = reader.pages[page - 1].extract_text() or ""
            if len(text.strip()) > 200:  # a page with a real text layer to compare with
                sample.append((pdf, page, text))
    return sample


def measure_pages(sample, dpis, degradations, gates, tmp: Path) -> dict:
    """CER rows per dpi (with the mark repair at each gate, and without) and per degradation."""
    from rag.ingest.ocr import TRUSTED

    out = {}
    for dpi in dpis:
        read = _ocr_many([_render(pdf, page, dpi, tmp) for pdf, page, _ in sample])
        out[f"{dpi} dpi, no repair"] = _rates(_rows(sample, read, None))
        for gate in gates:
            out[f"{dpi} dpi, repair below {gate:g}"] = _rates(_rows(sample, read, gate))
        logging.info("%d dpi: %s", dpi, {k: v["cer"] for k, v in out.items()})
    best = max(dpis)
    for how in degradations:
        read = _ocr_many([_degrade(_render(pdf, page, best, tmp), how) for pdf, page, _ in sample])
        out[f"{best} dpi, {how}"] = _rates(_rows(sample, read, TRUSTED))
        logging.info("%s: %s", how, out[f"{best} dpi, {how}"])
    return out


def measure_ocrmypdf(sample, dpi: int, tmp: Path) -> dict:
    """The same pages through ocrmypdf (image-only PDF in, its text layer read back with pypdf)."""
    from PIL import Image
    from pypdf import PdfReader

    rows = []
    for pdf, page, ref in sample:
        scan = tmp / f"{pdf.stem}-{page}-scan.pdf"
        Image.open(_render(pdf, page, dpi, tmp)).save(scan, resolution=dpi)
        out = scan.with_name(scan.stem + "-ocrmypdf.pdf")
        start = time.perf_counter()
        subprocess.run(["ocrmypdf", "-q", "-l", "vie", "--jobs", "2", "--optimize", "0",
                        "--output-type", "pdf",
                        str(scan), str(out)], check=True, capture_output=True)
        seconds = time.perf_counter() - start
        text = PdfReader(str(out)).pages[0].extract_text() or ""
        rows.append({**error_rates(ref, text), "seconds": seconds})
    return _rates(rows)


def measure_paths(pdf: Path, dpi: int, tmp: Path) -> dict:
    """Clause paths of a text PDF and of its image-only copy read end to end (OCR'd)."""
    from PIL import Image

    from rag.ingest.documents import read_document

    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    images = [Image.open(_render(pdf, n, dpi, tmp)) for n in range(1, count + 1)]
    scan = tmp / f"scan-{pdf.name}"
    images[0].save(scan, save_all=True, append_images=images[1:], resolution=dpi)
    text_doc = read_document(pdf, pdf.parent)
    start = time.perf_counter()
    ocr_doc = read_document(scan, tmp)
    seconds = time.perf_counter() - start
    want = [c.clause_id for c in text_doc.clauses if c.part == 1]
    got = {c.clause_id.replace(f"scan-{pdf.name}", pdf.name) for c in ocr_doc.clauses if c.part == 1}
    same = sum(1 for path in want if path in got)
    conf = [c for c in ocr_doc.ocr if c is not None]
    return {"document": pdf.name, "pages": count, "paths": len(want), "paths_ocr": len(got),
            "identical": same / max(len(want), 1), "seconds_per_page": seconds / count,
            "mean_confidence": sum(conf) / max(len(conf), 1), "low_pages": list(ocr_doc.low_confidence_pages),
            "metadata_same": {k: getattr(text_doc, k) == getattr(ocr_doc, k)
                              for k in ("doc_type", "number", "issuer", "date")}}


def report_markdown(result: dict) -> str:
    """The measurement as the Markdown report of ``eval/reports``."""
    lines = [f"# OCR measurement — {result['date']}", "",
             f"Command: `{result['command']}`. Engine: {result['engine']}. Machine: {result['machine']}.",
             f"Pages: {result['sample']} pages of {result['documents']} text PDFs in ../shared/corpus/party "
             "(evenly spaced, pages with a text layer over 200 characters); reference = the page's own "
             "text layer (pypdf), whitespace collapsed, typographic quotes and dashes read as ASCII ones. "
             "CER on diacritics = edits at reference characters that carry a Vietnamese mark (đ included) "
             "/ those characters; folded = both sides without marks. "
             "Repair below N: words tesseract read with confidence < N may have their marks repaired "
             "(rag.ingest.ocr_fix); the degraded rows use the shipped gate. "
             "Seconds per page = wall time with two pages OCR'd at once on the 2 cores, per page.", "",
             "| input | pages | CER | CER diacritics | CER folded | s/page |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, row in result["pages"].items():
        lines.append(f"| {name} | {row['pages']} | {row['cer']:.2%} | {row['cer_diacritics']:.2%} | "
                     f"{row['cer_folded']:.2%} | {row['seconds_per_page']:.1f} |")
    if result.get("ocrmypdf"):
        row = result["ocrmypdf"]
        lines.append(f"| ocrmypdf at {result['dpi_paths']} dpi (pypdf reads its layer) | {row['pages']} | "
                     f"{row['cer']:.2%} | {row['cer_diacritics']:.2%} | {row['cer_folded']:.2%} | "
                     f"{row['seconds_per_page']:.1f} |")
    if result.get("paths"):
        lines += ["", f"Whole documents as image-only PDFs at {result['dpi_paths']} dpi, ingested end to end "
                  "(`read_document`), clause ids compared with the text PDF's:", "",
                  "| document | pages | clauses (text) | clauses (OCR) | identical | mean conf. | low pages "
                  "| metadata same | s/page |", "|---|---:|---:|---:|---:|---:|---|---|---:|"]
        for row in result["paths"]:
            same = ", ".join(k for k, v in row["metadata_same"].items() if v) or "none"
            lines.append(f"| {row['document']} | {row['pages']} | {row['paths']} | {row['paths_ocr']} | "
                         f"{row['identical']:.1%} | {row['mean_confidence']:.1f} | "
                         f"{', '.join(map(str, row['low_pages'])) or '—'} | {same} | "
                         f"{row['seconds_per_page']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; exit 0, or 2 when ../shared or the OCR tools are missing."""
    parser = argparse.ArgumentParser(prog="python -m eval.ocr", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="Folder with corpus/party (default: ../shared).")
    parser.add_argument("--pages-per-doc", type=int, default=6, help="Sample pages per PDF (default 6).")
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300], help="Render resolutions.")
    parser.add_argument("--degrade", nargs="*", default=["rot+2", "rot-2", "jpeg40", "blur", "all"],
                        help="Degradations measured at the highest dpi (rot+2 rot-2 jpeg40 blur all).")
    parser.add_argument("--repair-gates", type=float, nargs="*", default=[90.0, 95.0, 97.0, 101.0],
                        help="OCR confidences under which a word's marks may be repaired, each measured "
                             "(101: every word may be).")
    parser.add_argument("--full", nargs="*", default=list(DEFAULT_FULL),
                        help="PDFs ingested whole from their image-only copy (clause path agreement).")
    parser.add_argument("--ocrmypdf", action="store_true", help="Also measure ocrmypdf on the sample pages.")
    parser.add_argument("--out", type=Path, default=None,
                        help="Report path without suffix (default eval/reports/ocr-<date>).")
    parser.add_argument("--json", action="store_true", help="Print the result as JSON on stdout.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from rag.ingest.ocr import DPI, missing_tools

    party = args.shared / "corpus" / "party"
    if not party.is_dir():
        print(f"skipped: {party} not found (the OCR measurement needs ../shared)", file=sys.stderr)
        return 2
    if missing_tools(pdf=True):
        print(f"skipped: {missing_tools(pdf=True)}", file=sys.stderr)
        return 2
    pdfs = sorted(party.glob("*.pdf"))
    sample = _sample(pdfs, args.pages_per_doc)
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    date = dt.date.today().isoformat()
    result = {"date": date, "command": "python -m eval.ocr " + " ".join(argv or sys.argv[1:]),
              "engine": f"{version}, vie model, --psm 3, OMP_THREAD_LIMIT=1", "machine": "2 cores, no GPU",
              "documents": len(pdfs), "sample": len(sample), "dpi_paths": DPI}
    with tempfile.TemporaryDirectory(prefix="eval-ocr-") as tmp:
        result["pages"] = measure_pages(sample, args.dpi, args.degrade, args.repair_gates, Path(tmp))
        if args.ocrmypdf:
            result["ocrmypdf"] = measure_ocrmypdf(sample, DPI, Path(tmp))
        result["paths"] = [measure_paths(party / name, DPI, Path(tmp)) for name in args.full]
    out = args.out or ROOT / "eval" / "reports" / f"ocr-{date}"
    out.with_suffix(".md").write_text(report_markdown(result), "utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(report_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
