"""The app's corpus/index manager with the fake encoder: uploads, trash, roles, audit, live updates."""

import shutil
import threading
import time

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING

from rag.app.datadir import DataDir
from rag.app.library import Access, Library
from rag.app.uploads import UploadRejected

KH = "KẾ HOẠCH\nVề trồng rừng phòng hộ ven biển\n\n1. Trồng mới 20 ha rừng phòng hộ ven biển.\n"


@pytest.fixture
def lib(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    corpus.chmod(0o555)  # the app only reads the corpus folder
    yield Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder())
    corpus.chmod(0o755)


def test_upload_is_searchable_and_searches_keep_working_meanwhile(lib, tmp_path):
    before = lib.index
    lib.embedder = KeywordEncoder(delay=0.3)  # a slow update
    upload = tmp_path / "kh.txt"
    upload.write_text(KH, encoding="utf-8")
    result = {}

    def add():
        result["stored"], result["rejected"] = lib.add_files([(upload, "kh.txt")], user="an")

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
    assert (lib.data.uploads / "kh.txt").is_file() and not (lib.corpus.root / "uploads").exists()

    big = tmp_path / "big.txt"
    big.write_text("a" * 4096, encoding="utf-8")
    lib.max_upload = 1024
    stored, rejected = lib.add_files([(upload, "../../again.txt"), (big, "big.txt"), (big, "x.exe")])
    assert stored == [] and len(rejected) == 3
    assert "đã có trong kho" in rejected[0] and "vượt giới hạn" in rejected[1] and "chỉ nhận" in rejected[2]
    assert "II.2.6" in lib.viewer(FOUNDING.name, f"{FOUNDING.name}#II.2.6")


def test_delete_moves_an_upload_to_the_trash_and_restore_brings_it_back(lib, tmp_path):
    upload = tmp_path / "kh.txt"
    upload.write_text(KH, encoding="utf-8")
    lib.add_files([(upload, "kh.txt")], user="an")
    entry = lib.delete("uploads/kh.txt", user="an")
    assert "uploads/kh.txt" not in lib.index.doc_keys and not (lib.data.uploads / "kh.txt").exists()
    assert lib.trash() == [entry] and (lib.data.trash / entry).read_text("utf-8") == KH
    assert lib.restore(entry, user="binh") == "uploads/kh.txt"
    assert "uploads/kh.txt" in lib.index.doc_keys and lib.trash() == []
    actions = [(e["user"], e["action"], e.get("doc_id")) for e in lib.audit.events()]
    assert actions == [("an", "upload", "uploads/kh.txt"), ("an", "delete", "uploads/kh.txt"),
                       ("binh", "restore", "uploads/kh.txt")]
    assert all(e["time"].endswith("Z") for e in lib.audit.events())


def test_corpus_documents_cannot_be_deleted_from_the_app(lib):
    for doc_id in (FOUNDING.name, f"uploads/../{FOUNDING.name}", "uploads/../../etc/passwd"):
        with pytest.raises(UploadRejected, match="chỉ xóa được|không có tệp"):
            lib.delete(doc_id)
    assert (lib.corpus.root / FOUNDING.name).is_file() and FOUNDING.name in lib.index.doc_keys


def test_an_unreadable_upload_is_reported_and_not_kept(lib, tmp_path):
    broken = tmp_path / "scan.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    stored, rejected = lib.add_files([(broken, "scan.pdf")])
    assert stored == [] and len(rejected) == 1 and rejected[0].startswith("uploads/scan.pdf: ")
    assert not (lib.data.uploads / "scan.pdf").exists()
    assert list(lib.index.doc_keys) == [FOUNDING.name]
    assert lib.audit.events()[-1]["action"] == "upload-rejected"


def test_roles():
    assert not Access().can_manage(None)
    assert Access(allow_upload=True).can_manage(None)
    admin = Access(login=True, admins=frozenset({"an"}), allow_upload=True)
    assert admin.can_manage("an") and not admin.can_manage("binh") and not admin.can_manage(None)


def test_login_pairs_and_admins_from_the_environment(monkeypatch):
    from rag.app.server import admin_names, auth_pairs

    monkeypatch.delenv("RAG_AUTH", raising=False)
    assert auth_pairs() is None
    monkeypatch.setenv("RAG_AUTH", "an:mật:khẩu, binh:pw2")
    assert auth_pairs() == [("an", "mật:khẩu"), ("binh", "pw2")]
    monkeypatch.setenv("RAG_ADMINS", "an, ")
    assert admin_names() == frozenset({"an"})


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "kh.txt").write_text(KH, encoding="utf-8")
    return corpus


def test_a_background_first_build_serves_at_once_and_reports_progress(tmp_path):
    seen = []
    slow = KeywordEncoder(delay=0.01)
    lib = Library(_corpus(tmp_path), DataDir.open(tmp_path / "data"), embedder=slow, background=True)
    while lib.index is None and lib._builder.is_alive():  # watch the build as the page's timer would
        status = lib.status()
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        time.sleep(0.005)  # poll, do not spin: the build needs the GIL
    assert lib.wait_ready(timeout=120)
    assert lib.status() == "" and lib.build_error == ""
    assert {"ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt", "kh.txt"} <= set(lib.document_ids())
    assert seen and all(s.startswith(("Đang lập chỉ mục lần đầu", "Đang chuẩn bị")) for s in seen)
    assert any("mã hóa điều khoản" in s for s in seen)
    # A restart serves the index already on disk while it is brought up to date.
    again = Library(tmp_path / "corpus", DataDir.open(tmp_path / "data"), embedder=KeywordEncoder(),
                    background=True)
    assert again.index is not None and again.index.search("trồng rừng phòng hộ", k=1)
    assert again.wait_ready(timeout=60)


def test_a_failed_first_build_is_said_in_the_status(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    lib = Library(empty, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder(), background=True)
    assert not lib.wait_ready(timeout=60)
    assert lib.status().startswith("Không lập được chỉ mục") and "nothing to index" in lib.status()
    assert lib.document_ids() == [] and lib.documents_table() == []
    assert "đang được lập" in lib.viewer(FOUNDING.name) and "Chọn một văn bản" in lib.viewer(None)
