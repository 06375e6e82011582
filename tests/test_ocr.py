"""Scanned PDFs and photos are read by OCR into the same document as their text (tesseract, vie).

The fixtures are drawn in the test: a short Vietnamese conclusion rendered with a TrueType font
to a page image, saved as PNG, JPEG, multi-page TIFF and an image-only PDF.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.ingest import ocr
from rag.ingest.documents import read_document
from rag.ingest.reading import ReadError, read_file

PAGE_ONE = [
    "ĐẢNG CỘNG SẢN VIỆT NAM",
    "Đức Phổ, ngày 11 tháng 10 năm 2024",
    "KẾT LUẬN",
    "Hội nghị Thị ủy lần thứ 18",
    "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ",
    "1. Tập trung chỉ đạo phòng, chống khai thác hải sản",
    "bất hợp pháp, không báo cáo (IUU) trên địa bàn.",
    "2. Đẩy mạnh chuyển đổi số trong các cơ quan đảng.",
]
PAGE_TWO = [
    "II. NHIỆM VỤ TRỌNG TÂM QUÝ IV",
    "1. Hoàn thành chỉ tiêu kết nạp đảng viên mới.",
    "2. Chuẩn bị tốt đại hội chi bộ nhiệm kỳ 2025 - 2027.",
]
# Times-like first: official documents are printed in Times New Roman.
FONTS = ["/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]


def _require_ocr() -> None:
    reason = ocr.missing_tools(pdf=True)
    if reason:
        if os.environ.get("RAG_REQUIRE_TOOLS"):
            pytest.fail(f"RAG_REQUIRE_TOOLS is set but {reason}")
        pytest.skip(reason)


def _font():
    from PIL import ImageFont

    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, 42)
    if os.environ.get("RAG_REQUIRE_TOOLS"):
        pytest.fail("no TrueType font with Vietnamese glyphs (Debian: fonts-dejavu-core)")
    pytest.skip("no TrueType font with Vietnamese glyphs to draw the fixture")


def _page(lines: list[str]):
    """An A4 page at 200 dpi with the lines printed in a 42 px serif font."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    font = _font()
    for row, line in enumerate(lines):
        draw.text((150, 150 + row * 80), line, font=font, fill=0)
    return image


def _paths(doc) -> list[str]:
    return [c.path for c in doc.clauses]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_a_photo_of_a_page_reads_as_the_document(tmp_path, suffix):
    _require_ocr()
    path = tmp_path / f"ket-luan{suffix}"
    _page(PAGE_ONE).save(path, quality=85) if suffix == ".jpg" else _page(PAGE_ONE).save(path)
    doc = read_document(path, tmp_path)
    assert doc.doc_type == "Kết luận" and doc.date == "2024-10-11"
    assert {"I.1", "I.2"} <= set(_paths(doc))
    iuu = next(c for c in doc.clauses if c.path == "I.1")
    assert "khai thác hải sản" in iuu.text and "IUU" in iuu.text
    assert len(doc.ocr) == 1 and doc.ocr[0] is not None and doc.ocr[0] > 80
    assert doc.low_confidence_pages == ()


def test_a_scanned_pdf_is_read_page_by_page_with_page_numbers(tmp_path):
    _require_ocr()
    path = tmp_path / "scan.pdf"
    first, second = _page(PAGE_ONE), _page(PAGE_TWO)
    first.save(path, save_all=True, append_images=[second], resolution=200)
    doc = read_document(path, tmp_path)
    assert doc.format == "pdf" and doc.pages == 2 and len(doc.ocr) == 2
    pages = {c.path: c.page for c in doc.clauses}
    assert pages["I.1"] == 1 and pages["II.2"] == 2
    assert "Chuẩn bị tốt đại hội" in next(c.text for c in doc.clauses if c.path == "II.2")


def test_a_multi_page_tiff_gives_one_page_per_frame(tmp_path):
    _require_ocr()
    path = tmp_path / "scan.tiff"
    _page(PAGE_ONE).save(path, save_all=True, append_images=[_page(PAGE_TWO)])
    raw = read_file(path)
    assert raw.format == "tiff" and len(raw.page_starts) == 2 and len(raw.ocr) == 2
    assert raw.page_at(raw.text.index("NHIỆM VỤ TRỌNG TÂM")) == 2


def test_a_blurred_page_is_flagged_low_confidence(tmp_path):
    _require_ocr()
    from PIL import ImageFilter

    path = tmp_path / "mo.png"
    # 100 dpi and blurred: tesseract still reads most words, but misreads ("DA Phó") and says so.
    _page(PAGE_ONE).resize((827, 1170)).filter(ImageFilter.GaussianBlur(2)).save(path)
    raw = read_file(path)
    assert raw.ocr[0] is not None and raw.ocr[0] < 80


def test_without_tesseract_the_reason_names_the_packages(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    image = tmp_path / "anh.png"
    Image.new("L", (200, 100), 255).save(image)
    with pytest.raises(ReadError, match="tesseract-ocr-vie"):
        read_file(image)
    scan = tmp_path / "scan.pdf"
    Image.new("L", (200, 100), 255).save(scan)
    with pytest.raises(ReadError, match="no text layer.*tesseract-ocr tesseract-ocr-vie"):
        read_file(scan)


def test_an_image_header_over_the_pixel_limit_is_refused_before_ocr(tmp_path, monkeypatch):
    from PIL import Image

    if not shutil.which("tesseract"):
        monkeypatch.setattr(ocr, "missing_tools", lambda pdf=False: None)
    path = tmp_path / "bom.png"
    Image.new("1", (11_000, 11_000), 1).save(path)
    with pytest.raises(ReadError, match="over the limit"):
        read_file(path)


def test_a_broken_image_gets_a_reason(tmp_path, monkeypatch):
    if not shutil.which("tesseract"):
        monkeypatch.setattr(ocr, "missing_tools", lambda pdf=False: None)
    path = tmp_path / "hong.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ReadError, match="not a readable image"):
        read_file(path)


def test_tsv_lines_and_paragraphs_and_weighted_confidence():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = ["5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t96\tI.", "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t90\tMỤC",
            "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t60\ttiêu", "5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t90\t1.",
            "4\t1\t2\t1\t2\t0\t0\t0\t1\t1\t-1\t", "5\t3\t1\t1\t1\t1\t0\t0\t1\t1\t50\tx"]
    pages = ocr.pages_from_tsv(header + "\n".join(rows) + "\n")
    assert [p.text for p in pages] == ["I. MỤC\ntiêu\n\n1.", "", "x"]
    assert pages[0].confidence == round((96 * 2 + 90 * 3 + 60 * 4 + 90 * 2) / 11, 1)
    assert pages[1].confidence == 0.0 and pages[2].low


def test_rag_ingest_reads_a_folder_of_scans_photos_and_office_formats(tmp_path, capsys):
    _require_ocr()
    import json

    from test_formats import PARAGRAPHS, _doc, _html, _odt, _rtf

    from rag.cli import main

    folder = tmp_path / "kho"
    folder.mkdir()
    _page(PAGE_ONE).save(folder / "anh-chup.jpg", quality=80)
    _page(PAGE_ONE).save(folder / "ban-quet.pdf", save_all=True, append_images=[_page(PAGE_TWO)])
    for make, name in ((_odt, "a.odt"), (_rtf, "b.rtf"), (_html, "c.html"), (_doc, "d.doc")):
        make(folder / name, PARAGRAPHS)
    assert main(["ingest", str(folder), "--json"]) == 0
    rows = {row["source"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(rows) == {"anh-chup.jpg", "ban-quet.pdf", "a.odt", "b.rtf", "c.html", "d.doc"}
    for name in ("anh-chup.jpg", "ban-quet.pdf"):
        assert rows[name]["doc_type"] == "Kết luận" and rows[name]["date"] == "2024-10-11"
        assert {"I.1", "I.2"} <= {c["path"] for c in rows[name]["clauses"]}
    assert rows["ban-quet.pdf"]["pages"] == 2 and len(rows["ban-quet.pdf"]["ocr"]) == 2
    assert all(rows[n]["number"] == "15-CT/HU" and rows[n]["ocr"] == [] for n in ("a.odt", "b.rtf", "d.doc"))
    assert main(["ingest", str(folder)]) == 0
    assert "Đọc bằng nhận dạng ký tự (OCR): 2 trang" in capsys.readouterr().out


def test_the_viewer_flags_pages_to_check_and_the_index_keeps_the_confidences():
    from rag.answer.render import document_html
    from rag.index.rows import DocRow
    from rag.records import Clause

    text = "I. Mục tiêu\n\n1. Chống khai thác IUU."
    row = DocRow("scan.pdf", "scan.pdf", "pdf", text, "0" * 64, pages=3, ocr=(None, 92.0, 71.4))
    assert DocRow.from_dict(row.to_dict()) == row and row.low_confidence_pages == (3,)
    chunks = [Clause("scan.pdf#I", "scan.pdf", "I", 1, "roman", "I", (), "I. Mục tiêu", 0, 11, 2),
              Clause("scan.pdf#I.1", "scan.pdf", "I.1", 1, "item", "1", ("I. Mục tiêu",),
                     "1. Chống khai thác IUU.", 13, len(text), 3)]
    page = document_html(row, chunks)
    assert "Văn bản đọc bằng nhận dạng ký tự (OCR): 2 trang" in page
    assert "Cần đối chiếu bản gốc: trang 3 (71%)" in page
    assert page.count("low-ocr") == 1 and "Trang 3 đọc bằng OCR, độ tin cậy 71%" in page
    plain = document_html(DocRow("a.txt", "a.txt", "txt", text, "0" * 64), chunks)
    assert "ocr-note" not in plain and "low-ocr" not in plain


def test_a_text_pdf_with_one_scanned_page_has_only_that_page_ocrd(monkeypatch, caplog):
    from rag.ingest import paged

    text = "Điều 1. Phạm vi điều chỉnh của quy định này gồm các nội dung sau đây."
    asked = []

    def fake_ocr(path, numbers, dpi=ocr.DPI):
        asked.extend(numbers)
        return {n: ocr.OcrPage("Điều 3. Chữ ký và con dấu", 77.0) for n in numbers}

    monkeypatch.setattr(paged, "missing_tools", lambda pdf=False: None)
    monkeypatch.setattr(paged, "ocr_pdf_pages", fake_ocr)
    pages = [text, text, "  ", text]
    assert paged._ocr_blank_pages(Path("x.pdf"), pages) == (None, None, 77.0, None)
    assert asked == [3] and pages[2] == "Điều 3. Chữ ký và con dấu"
    # Without tesseract the text pages are still read; the scanned one is left out with a warning.
    monkeypatch.setattr(paged, "missing_tools", lambda pdf=False: "OCR needs tesseract")
    pages = [text, text, "", text]
    assert paged._ocr_blank_pages(Path("x.pdf"), pages) == () and pages[2] == ""
    assert "1 page(s) without text left unread" in caplog.text


@pytest.mark.slow
def test_real_pages_rendered_as_a_scan_read_into_the_same_clauses(tmp_path):
    """Pages 1-4 of QĐ 294-QĐ/TW (../shared), rendered at 300 dpi and ingested as an image-only PDF."""
    _require_ocr()
    import subprocess

    from helpers import shared_path
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    source = shared_path("corpus", "party", "quy-dinh-294-QD-TW-2025-05-26.pdf")
    text_pdf = tmp_path / "text" / "qd-294.pdf"
    text_pdf.parent.mkdir()
    writer = PdfWriter()
    for page in PdfReader(str(source)).pages[:4]:
        writer.add_page(page)
    writer.write(str(text_pdf))
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(text_pdf), str(tmp_path / "p")], check=True)
    images = [Image.open(p) for p in sorted(tmp_path.glob("p-*.png"))]
    scan = tmp_path / "scan" / "qd-294.pdf"
    scan.parent.mkdir()
    images[0].save(scan, save_all=True, append_images=images[1:], resolution=300)
    want, got = read_document(text_pdf, text_pdf.parent), read_document(scan, scan.parent)
    assert (got.doc_type, got.number, got.date) == (want.doc_type, want.number, want.date) == \
        ("Quy định", "294-QĐ/TW", "2025-05-26")
    paths = [c.path for c in want.clauses]
    same = sum(1 for p in paths if p in {c.path for c in got.clauses})
    assert same >= 0.95 * len(paths) and len(paths) >= 10
    assert got.pages == 4 and all(c is not None and c > 85 for c in got.ocr)
