"""The archive's other formats: .doc, .rtf, .odt and saved web pages, each read into the same
document (type, number, date, issuer, clauses) as its .docx, and each bad file refused with a
reason. Fixtures are made here; the .doc one with LibreOffice (installed by ``.ci/run``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

PARAGRAPHS = ["ĐẢNG BỘ TỈNH QUẢNG NGÃI", "HUYỆN ỦY BÌNH SƠN", "Số: 15-CT/HU",
              "Bình Sơn, ngày 05 tháng 3 năm 2023", "CHỈ THỊ",
              "về tăng cường chống khai thác hải sản bất hợp pháp",
              "1. Các cấp ủy đảng tăng cường lãnh đạo chống khai thác IUU, gỡ thẻ vàng.",
              "2. Ủy ban nhân dân huyện kiểm tra tàu cá hằng tháng, xử lý nghiêm vi phạm."]
ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _odt(path: Path, paragraphs) -> Path:
    body = "".join(f"<text:p>{p.replace('  ', ' <text:s/>')}</text:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                                        f'{ODT_NS}><office:body><office:text>{body}</office:text>'
                                        f'</office:body></office:document-content>')
    return path


def _rtf_escape(text: str) -> str:
    # Vietnamese letters as \uN? escapes, as Word writes them.
    return "".join(c if ord(c) < 128 else f"\\u{ord(c) if ord(c) < 32768 else ord(c) - 65536}?" for c in text)


def _rtf(path: Path, paragraphs) -> Path:
    body = "".join(f"{_rtf_escape(p)}\\par\n" for p in paragraphs)
    path.write_text("{\\rtf1\\ansi\\ansicpg1258\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n" + body + "}",
                    encoding="ascii")
    return path


def _html(path: Path, paragraphs) -> Path:
    article = "".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Chỉ thị</title>'
        "<script>var track = 1;</script></head><body><header><nav><a href='/'>Trang chủ</a> | "
        "<a href='/tin'>Tin tức</a></nav></header><main><article>" + article + "</article></main>"
        "<aside><h3>Tin liên quan</h3><ul><li><a href='/a'>Hội nghị tổng kết năm</a></li></ul></aside>"
        "<footer>Bản quyền © Cổng thông tin điện tử Huyện ủy Bình Sơn. Chia sẻ: Facebook Zalo</footer>"
        "</body></html>", encoding="utf-8")
    return path


def _doc(path: Path, paragraphs) -> Path:
    from docx import Document

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("RAG_REQUIRE_TOOLS"):
            pytest.fail("soffice (LibreOffice) is missing but RAG_REQUIRE_TOOLS is set")
        pytest.skip("LibreOffice is not installed (apt install libreoffice-writer-nogui): no .doc fixture")
    source = path.with_suffix(".docx")
    document = Document()
    for p in paragraphs:
        document.add_paragraph(p)
    document.save(source)
    subprocess.run([soffice, "--headless", "--convert-to", "doc", "--outdir", str(path.parent), str(source)],
                   check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(path.parent)})
    source.unlink()
    return path


@pytest.mark.parametrize("make,name", [(_odt, "chi-thi.odt"), (_rtf, "chi-thi.rtf"), (_html, "chi-thi.html"),
                                       (_doc, "chi-thi.doc")])
def test_each_format_reads_into_the_same_document(tmp_path, make, name):
    from rag.ingest.documents import read_document

    path = make(tmp_path / name, PARAGRAPHS)
    doc = read_document(path, root=tmp_path)
    assert (doc.doc_type, doc.number, doc.date, doc.issuer) == ("Chỉ thị", "15-CT/HU", "2023-03-05",
                                                                  "Huyện ủy Bình Sơn")
    assert doc.title == "CHỈ THỊ về tăng cường chống khai thác hải sản bất hợp pháp"
    assert [c.path for c in doc.clauses] == ["1", "2"]
    assert doc.clauses[0].text.startswith("1. Các cấp ủy đảng tăng cường lãnh đạo chống khai thác IUU")
    assert "Trang chủ" not in doc.text and "Bản quyền" not in doc.text and "Tin liên quan" not in doc.text


def test_a_folder_of_every_format_is_ingested_with_nothing_lost(tmp_path):
    from rag.ingest.documents import ingest_folder

    folder = tmp_path / "kho"
    folder.mkdir()
    _odt(folder / "a.odt", PARAGRAPHS)
    _rtf(folder / "b.rtf", PARAGRAPHS)
    _html(folder / "c.htm", PARAGRAPHS)
    _doc(folder / "d.doc", PARAGRAPHS)
    (folder / "hong.odt").write_bytes(b"not a zip")
    (folder / "hong.rtf").write_text("plain text, not RTF", encoding="utf-8")
    (folder / "trong.html").write_text("<html><body><nav><a href='/'>Trang chủ</a></nav></body></html>",
                                       encoding="utf-8")
    (folder / "hong.doc").write_bytes(b"\xd0\xcf\x11\xe0 not really a Word file" * 20)
    result = ingest_folder(folder)
    documents, rejections = result.documents, result.rejections
    assert sorted(d.id for d in documents) == ["a.odt", "b.rtf", "c.htm", "d.doc"]
    assert {d.format for d in documents} == {"odt", "rtf", "html", "doc"}
    assert all(d.number == "15-CT/HU" and len(d.clauses) == 2 for d in documents)
    reasons = {r.source: r.reason for r in rejections}
    assert set(reasons) == {"hong.odt", "hong.rtf", "trong.html", "hong.doc"}
    assert "not a ZIP" in reasons["hong.odt"] and "not an RTF file" in reasons["hong.rtf"]
    assert "no article text" in reasons["trong.html"] and "Word 97-2003" in reasons["hong.doc"]


def test_without_antiword_and_catdoc_a_doc_is_refused_naming_the_package(tmp_path, monkeypatch):
    from rag.ingest import formats
    from rag.ingest.reading import ReadError, read_file

    path = tmp_path / "cu.doc"
    path.write_bytes(formats.OLE2 + bytes(500))
    monkeypatch.setattr(formats.shutil, "which", lambda name: None)
    with pytest.raises(ReadError, match="apt install antiword"):
        read_file(path)
