"""Reading formats and rejecting bad files with a reason (files made in tmp_path)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from rag.ingest.documents import EXIT_SOME_REJECTED, ingest_folder
from rag.ingest.layout import clean_markdown, paragraphs
from rag.ingest.reading import ReadError, decode_text, read_file
from rag.limits import Limits

GOOD = ("KẾT LUẬN\n\nTại Hội nghị ngày 11/10/2024, Ban Chấp hành đã thống nhất.\n\n"
        "1. Tăng cường chống khai thác hải sản bất hợp pháp.\n")


def blank_pdf(path, *, password=None):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


@pytest.fixture
def bad_folder(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "random.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "latin1.txt").write_bytes("Nghị quyết".encode()[:3] + b"\xff\xfe\xfa ngh\xe9")
    data = blank_pdf(folder / "scan.pdf")
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 3])
    blank_pdf(folder / "locked.pdf", password="secret")
    with zipfile.ZipFile(folder / "fake.docx", "w") as zf:
        zf.writestr("hello.txt", "not a word document")
    (folder / "big.txt").write_text(GOOD * 2000, "utf-8")
    (folder / "notes.xyz").write_text("whatever", "utf-8")
    return folder


def test_good_file_is_read_and_each_bad_file_has_its_own_reason(bad_folder):
    result = ingest_folder(bad_folder, limits=Limits(max_bytes=100_000))
    assert [d.source for d in result.documents] == ["good.txt"]
    reasons = {r.source: r.reason for r in result.rejections}
    assert set(reasons) == {"empty.txt", "random.txt", "latin1.txt", "scan.pdf", "truncated.pdf",
                            "locked.pdf", "fake.docx", "big.txt", "notes.xyz"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["random.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "no text layer" in reasons["scan.pdf"]
    assert "PDF" in reasons["truncated.pdf"] and "text layer" not in reasons["truncated.pdf"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "DOCX" in reasons["fake.docx"]
    assert "too large" in reasons["big.txt"]
    assert "unsupported" in reasons["notes.xyz"]
    assert len(set(reasons.values())) == len(reasons)


def test_cli_exit_code_says_some_rejected(bad_folder, tmp_path):
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "rag", "ingest", str(bad_folder), "--max-mb", "0.1",
                           "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == EXIT_SOME_REJECTED, proc.stderr
    assert "good.txt" in proc.stdout and "rejected: encrypted PDF" in proc.stdout
    data = json.loads(report.read_text("utf-8"))
    assert len(data["documents"]) == 1 and len(data["rejections"]) == 9


def test_cli_json_and_fatal_error(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD, "utf-8")
    proc = subprocess.run([sys.executable, "-m", "rag", "ingest", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    record = json.loads(proc.stdout.splitlines()[0])
    assert record["status"] == "ok" and record["date"] == "2024-10-11"
    assert any(c["path"] == "1" for c in record["clauses"])
    missing = subprocess.run([sys.executable, "-m", "rag", "ingest", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "not found" in missing.stderr


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(GOOD.encode(encoding))
    assert read_file(path).text.startswith("KẾT LUẬN")


def test_decode_rejects_undecodable_bytes():
    with pytest.raises(ReadError, match="UTF-8"):
        decode_text(b"Ngh\xe9 quy\xea\xfft")


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("CHỈ THỊ")
    document.add_paragraph("1. Tăng cường công tác phòng, chống thiên tai.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Chỉ tiêu"
    table.rows[0].cells[1].text = "95%"
    document.save(tmp_path / "ct.docx")
    result = ingest_folder(tmp_path)
    doc = result.documents[0]
    assert doc.doc_type == "Chỉ thị"
    assert "Chỉ tiêu | 95%" in doc.text
    assert any(c.path == "1" for c in doc.clauses)


def test_sidecar_and_csv_override_metadata(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD, "utf-8")
    (tmp_path / "b.md").write_text(GOOD, "utf-8")
    sidecar = {"issuer": "Huyện ủy Mộ Đức", "number": "12-KL/HU"}
    (tmp_path / "a.meta.json").write_text(json.dumps(sidecar), "utf-8")
    (tmp_path / "metadata.csv").write_text("file,date,issuer\nb.md,2023-05-02,Tỉnh ủy Quảng Ngãi\n", "utf-8")
    docs = {d.source: d for d in ingest_folder(tmp_path).documents}
    assert set(docs) == {"a.txt", "b.md"}
    assert (docs["a.txt"].issuer, docs["a.txt"].number) == ("Huyện ủy Mộ Đức", "12-KL/HU")
    assert docs["b.md"].date == "2023-05-02" and docs["b.md"].date_source == "override"
    assert docs["b.md"].issuer == "Tỉnh ủy Quảng Ngãi"


def test_sidecars_inside_a_linked_folder_apply_when_links_may_lead_there(tmp_path):
    from rag.ingest.corpus import Corpus

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kl.txt").write_text(GOOD, "utf-8")
    (elsewhere / "kl.meta.json").write_text(json.dumps({"issuer": "Huyện ủy Mộ Đức"}), "utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "linked").symlink_to(elsewhere)
    result = ingest_folder(Corpus.of(corpus, link_roots=[elsewhere]))
    docs = {d.source: d for d in result.documents}
    assert set(docs) == {"linked/kl.txt"} and not result.rejections
    assert docs["linked/kl.txt"].issuer == "Huyện ủy Mộ Đức"


def test_filename_date_is_marked_as_such(tmp_path):
    (tmp_path / "ket-luan-2019-03.txt").write_text("1. Nội dung kết luận về công tác cán bộ.\n", "utf-8")
    doc = ingest_folder(tmp_path).documents[0]
    assert (doc.date, doc.date_source, doc.doc_type) == ("2019-03", "filename", "Kết luận")


def test_layout_rejoins_hard_wraps_and_page_breaks():
    text = ("1.1. Các cấp ủy tích cực. Tập\n\ntrung tuyên truyền các vấn đề\nmới trong chủ trương."
            "\n\n1.2. Tiếp theo")
    paras = [p.text for p in paragraphs(text)]
    assert paras == ["1.1. Các cấp ủy tích cực. Tập trung tuyên truyền các vấn đề mới trong chủ trương.",
                     "1.2. Tiếp theo"]


def test_markdown_cleanup():
    md = "# Nghị quyết 20 \\- 2012\n\n| :---- | :---- |\n| Số: 20-NQ/TW | *Hà Nội* |\n**1-** Trong quá trình"
    cleaned = clean_markdown(md)
    assert "Nghị quyết 20 - 2012" in cleaned
    assert "Số: 20-NQ/TW | Hà Nội" in cleaned
    assert "1- Trong quá trình" in cleaned and ":----" not in cleaned
    assert cleaned.count("\n") == md.count("\n")


def test_nfd_file_is_nfc_after_reading(tmp_path):
    import unicodedata

    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", GOOD) + "\u200b", "utf-8")
    text = read_file(path).text
    assert text == unicodedata.normalize("NFC", text) and "\u200b" not in text
    assert os.path.getsize(path) > 0


def test_pdf_page_numbers_and_running_headers_are_removed():
    from rag.ingest.paged import strip_running_lines

    pages = [["ĐẢNG CỘNG SẢN VIỆT NAM - Hướng dẫn 06", f"Nội dung trang {i} của văn bản.", f"- {i} -"]
             for i in range(1, 6)]
    cleaned = strip_running_lines(pages)
    assert cleaned == [[f"Nội dung trang {i} của văn bản."] for i in range(1, 6)]
