import pytest

from rag.uploads import UploadRejected, remove_document, safe_name, store_upload


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Nghị quyết về chuyển đổi số.", encoding="utf-8")
    return folder


def _file(tmp_path, name, content: bytes):
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\..\\evil.txt", "/abs/path/x.txt",
                                  "a/../../b.txt"])
def test_path_traversal_names_stay_inside_the_corpus(corpus, tmp_path, name):
    stored = store_upload(corpus, _file(tmp_path, "u.txt", (name + " kế hoạch").encode()), name)
    assert stored.path.parent == corpus.resolve() / "uploads"
    assert ".." not in stored.doc_id and not stored.doc_id.startswith("/")


def test_unusable_names_and_types_are_refused(corpus, tmp_path):
    with pytest.raises(UploadRejected, match="empty"):
        safe_name("../..")
    with pytest.raises(UploadRejected, match="only"):
        store_upload(corpus, _file(tmp_path, "x.exe", b"MZ"), "x.exe")


def test_oversize_and_empty_files_are_refused(corpus, tmp_path):
    big = _file(tmp_path, "big.txt", b"a" * 2048)
    with pytest.raises(UploadRejected, match="over the"):
        store_upload(corpus, big, "big.txt", max_bytes=1024)
    with pytest.raises(UploadRejected, match="empty"):
        store_upload(corpus, _file(tmp_path, "e.txt", b""), "e.txt")
    assert not (corpus / "uploads").exists() or not list((corpus / "uploads").iterdir())


def test_duplicates_refused_and_names_never_overwritten(corpus, tmp_path):
    with pytest.raises(UploadRejected, match="already in the corpus as a.txt"):
        store_upload(corpus, _file(tmp_path, "copy.txt", (corpus / "a.txt").read_bytes()), "copy.txt")
    first = store_upload(corpus, _file(tmp_path, "n.txt", b"mot"), "n.txt")
    second = store_upload(corpus, _file(tmp_path, "n2.txt", b"hai"), "n.txt")
    assert first.path.name == "n.txt" and second.path.name == "n-2.txt"
    assert first.path.read_bytes() == b"mot"


def test_remove_document_only_inside_the_corpus(corpus, tmp_path):
    outside = tmp_path / "keep.txt"
    outside.write_text("x", encoding="utf-8")
    with pytest.raises(UploadRejected):
        remove_document(corpus, "../keep.txt")
    assert outside.exists()
    remove_document(corpus, "a.txt")
    assert not (corpus / "a.txt").exists()
