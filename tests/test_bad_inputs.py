"""Hostile and careless inputs: zip bombs, limits, symbolic links, special files, odd encodings."""

from __future__ import annotations

import os
import zipfile

import pytest
from fake_encoder import KeywordEncoder

from rag.index.build import build_index
from rag.ingest.corpus import Corpus
from rag.ingest.documents import ingest_folder
from rag.ingest.reading import ReadError, check_zip, read_file
from rag.limits import Limits

GOOD = ("KẾT LUẬN\n\nTại Hội nghị ngày 11/10/2024, Ban Chấp hành đã thống nhất.\n\n"
        "1. Tăng cường chống khai thác hải sản bất hợp pháp.\n")


def docx_with_body(path, body_xml: str):
    """A .docx whose document.xml holds ``body_xml`` (Word's other parts from python-docx)."""
    from docx import Document

    Document().save(path)
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    head = parts["word/document.xml"].decode().split("<w:body>")[0]
    parts["word/document.xml"] = f"{head}<w:body>{body_xml}</w:body></w:document>".encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def test_a_docx_zip_bomb_is_refused_before_parsing(tmp_path):
    bomb = docx_with_body(tmp_path / "bomb.docx", paragraph("1. Nội dung lặp lại.") * 200_000)
    assert bomb.stat().st_size < 100_000  # small on disk…
    with pytest.raises(ReadError, match="zip bomb"):  # …but it would expand 100s of times
        read_file(bomb)


def test_a_docx_with_too_much_xml_is_refused(tmp_path):
    import random

    rng = random.Random(1)
    words = ["đảng", "ủy", "nghị", "quyết", "kinh", "tế", "xã", "hội", "an", "ninh", "quốc", "phòng"]
    body = "".join(paragraph(f"{i}. " + " ".join(rng.choices(words, k=12))) for i in range(5000))
    path = docx_with_body(tmp_path / "big.docx", body)
    with pytest.raises(ReadError, match="MB of XML"):
        check_zip(path, Limits(max_xml_bytes=100_000))
    with pytest.raises(ReadError, match="expands to"):
        check_zip(path, Limits(max_unzipped_bytes=100_000))
    assert read_file(path).text.startswith("0. ")  # within the default limits it is read


def test_character_and_clause_limits_reject_with_a_reason(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "long.txt").write_text(GOOD + "Nội dung dài. " * 2000, "utf-8")
    (folder / "many.txt").write_text(GOOD + "".join(f"\n{i}. Mục số {i}.\n" for i in range(2, 200)), "utf-8")
    (folder / "ok.txt").write_text(GOOD, "utf-8")
    result = ingest_folder(folder, limits=Limits(max_doc_chars=20_000, max_clauses=100))
    reasons = {r.source: r.reason for r in result.rejections}
    assert [d.id for d in result.documents] == ["ok.txt"]
    assert "characters" in reasons["long.txt"] and "20,000" in reasons["long.txt"]
    assert "limit of 100" in reasons["many.txt"]


@pytest.fixture
def linked_corpus(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("mật khẩu quản trị: hunter2\n" * 3, "utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "good.txt").write_text(GOOD, "utf-8")
    (corpus / "passwd.txt").symlink_to(outside / "secret.txt")
    (corpus / "etc").symlink_to(outside)
    (corpus / "inside.txt").symlink_to(corpus / "good.txt")  # stays in the corpus: followed
    (corpus / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "sub" / "up").symlink_to(corpus)  # a folder loop inside the corpus
    os.mkfifo(corpus / "pipe.txt")
    return corpus


def test_links_outside_loops_dangling_links_and_fifos_are_reported(linked_corpus):
    result = ingest_folder(linked_corpus)
    reasons = {r.source: r.reason for r in result.rejections}
    assert sorted(d.id for d in result.documents) == ["good.txt", "inside.txt"]
    assert set(reasons) == {"passwd.txt", "etc", "dangling.txt", "loop.txt", "sub/up", "pipe.txt"}
    assert "outside the corpus" in reasons["passwd.txt"] and "outside the corpus" in reasons["etc"]
    assert "dangling" in reasons["dangling.txt"]
    assert "loop" in reasons["loop.txt"] and "loop" in reasons["sub/up"]
    assert "FIFO" in reasons["pipe.txt"]
    assert all("hunter2" not in d.text for d in result.documents)


def test_the_index_never_holds_a_file_behind_an_outside_link(linked_corpus, tmp_path):
    from rag.search.loading import load_index

    report = build_index(linked_corpus, tmp_path / "index", embedder=KeywordEncoder())
    assert {s for s, _ in report.rejected} >= {"passwd.txt", "etc", "pipe.txt"}
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    assert not [h for h in index.search("mật khẩu quản trị hunter2", k=5, mode="bm25") if "hunter2" in h.text]


def test_links_are_followed_into_folders_the_caller_allows(linked_corpus):
    result = ingest_folder(Corpus.of(linked_corpus, link_roots=[linked_corpus.parent / "outside"]))
    assert {"passwd.txt", "etc/secret.txt"} <= {d.id for d in result.documents}


def test_mounted_folders_get_their_prefix_and_shadowed_files_are_reported(tmp_path):
    corpus, uploads = tmp_path / "corpus", tmp_path / "data" / "uploads"
    (corpus / "uploads").mkdir(parents=True)
    uploads.mkdir(parents=True)
    (corpus / "a.txt").write_text(GOOD, "utf-8")
    (corpus / "uploads" / "old.txt").write_text(GOOD + "\n2. Cũ.\n", "utf-8")
    (uploads / "new.txt").write_text(GOOD + "\n2. Mới.\n", "utf-8")
    result = ingest_folder(Corpus.of(corpus, {"uploads": uploads}))
    assert [d.id for d in result.documents] == ["a.txt", "uploads/new.txt"]
    assert [r.source for r in result.rejections] == ["uploads/old.txt"]
    assert "mounted folder" in result.rejections[0].reason


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path, codec):
    path = tmp_path / "u16.txt"
    path.write_bytes(GOOD.encode(codec))
    assert read_file(path).text.startswith("KẾT LUẬN")
