"""The app's corpus/index manager with the fake encoder: uploads, deletes, searching during an update."""

import shutil
import threading

from conftest import FOUNDING
from fake_encoder import KeywordEncoder

KH = "KẾ HOẠCH\nVề trồng rừng phòng hộ ven biển\n\n1. Trồng mới 20 ha rừng phòng hộ ven biển.\n"


def test_upload_is_searchable_and_searches_keep_working_meanwhile(tmp_path):
    from app_gradio import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    lib = Library(corpus, tmp_path / "index", embedder=KeywordEncoder())
    before = lib.index
    lib.embedder = KeywordEncoder(delay=0.3)  # a slow update
    upload = tmp_path / "kh.txt"
    upload.write_text(KH, encoding="utf-8")
    result = {}

    def add():
        result["stored"], result["rejected"] = lib.add_files([(upload, "kh.txt")])

    worker = threading.Thread(target=add)
    worker.start()
    searches = 0
    while worker.is_alive():
        assert lib.index.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"
        searches += 1
    worker.join()
    assert searches > 0 and result == {"stored": ["uploads/kh.txt"], "rejected": []}
    assert lib.index is not before
    assert lib.index.search("trồng rừng phòng hộ ven biển", k=1)[0].doc_id == "uploads/kh.txt"
    assert ["uploads/kh.txt", 1] == [r for r in lib.documents_table() if r[0] == "uploads/kh.txt"][0][::6]

    big = tmp_path / "big.txt"
    big.write_text("a" * 4096, encoding="utf-8")
    lib.max_upload = 1024
    stored, rejected = lib.add_files([(upload, "../../again.txt"), (big, "big.txt"), (big, "x.exe")])
    assert stored == [] and len(rejected) == 3
    assert "already in the corpus" in rejected[0] and "over the" in rejected[1] and "only" in rejected[2]

    lib.delete("uploads/kh.txt")
    assert "uploads/kh.txt" not in lib.index.doc_by_id and not (corpus / "uploads" / "kh.txt").exists()
    assert "II.2.6" in lib.viewer(FOUNDING.name, f"{FOUNDING.name}#II.2.6")


def test_login_pairs_from_the_environment(monkeypatch):
    from app_gradio import _auth

    monkeypatch.delenv("RAG_AUTH", raising=False)
    assert _auth() is None
    monkeypatch.setenv("RAG_AUTH", "an:mật:khẩu, binh:pw2")
    assert _auth() == [("an", "mật:khẩu"), ("binh", "pw2")]


def test_an_unreadable_upload_is_reported_and_not_kept(tmp_path):
    from app_gradio import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    lib = Library(corpus, tmp_path / "index", embedder=KeywordEncoder())
    broken = tmp_path / "scan.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    stored, rejected = lib.add_files([(broken, "scan.pdf")])
    assert stored == [] and len(rejected) == 1 and rejected[0].startswith("uploads/scan.pdf: ")
    assert not (corpus / "uploads" / "scan.pdf").exists()
    assert list(lib.index.doc_by_id) == [FOUNDING.name]
