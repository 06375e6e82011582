import pytest

from rag.app.uploads import UploadRejected, move_to_trash, safe_name, store_upload


@pytest.fixture
def corpus(tmp_path):
    """The uploads folder (the name stays from when uploads lived in the corpus)."""
    folder = tmp_path / "uploads"
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
    assert stored.path.parent == corpus
    assert stored.doc_id == f"uploads/{stored.path.name}" and ".." not in stored.doc_id


def test_unusable_names_and_types_are_refused(corpus, tmp_path):
    with pytest.raises(UploadRejected, match="rỗng"):
        safe_name("../..")
    with pytest.raises(UploadRejected, match="chỉ nhận"):
        store_upload(corpus, _file(tmp_path, "x.exe", b"MZ"), "x.exe")


def test_oversize_and_empty_files_are_refused(corpus, tmp_path):
    big = _file(tmp_path, "big.txt", b"a" * 2048)
    with pytest.raises(UploadRejected, match="vượt giới hạn"):
        store_upload(corpus, big, "big.txt", max_bytes=1024)
    with pytest.raises(UploadRejected, match="rỗng"):
        store_upload(corpus, _file(tmp_path, "e.txt", b""), "e.txt")
    assert [p.name for p in corpus.iterdir()] == ["a.txt"]


def test_duplicates_refused_and_names_never_overwritten(corpus, tmp_path):
    from rag.index.integrity import sha256_file

    known = {sha256_file(corpus / "a.txt"): "a.txt"}
    with pytest.raises(UploadRejected, match="đã có trong kho với tên a.txt"):
        store_upload(corpus, _file(tmp_path, "copy.txt", (corpus / "a.txt").read_bytes()), "copy.txt",
                     known=known)
    first = store_upload(corpus, _file(tmp_path, "n.txt", b"mot"), "n.txt")
    second = store_upload(corpus, _file(tmp_path, "n2.txt", b"hai"), "n.txt")
    assert first.path.name == "n.txt" and second.path.name == "n-2.txt"
    assert first.path.read_bytes() == b"mot"


def test_only_uploads_move_to_the_trash(corpus, tmp_path):
    outside = tmp_path / "keep.txt"
    outside.write_text("x", encoding="utf-8")
    trash = tmp_path / "trash"
    for doc_id in ("uploads/../keep.txt", "../keep.txt", "keep.txt", "uploads/", "uploads/nope.txt"):
        with pytest.raises(UploadRejected):
            move_to_trash(corpus, trash, doc_id)
    assert outside.exists()
    entry = move_to_trash(corpus, trash, "uploads/a.txt")
    assert not (corpus / "a.txt").exists() and (trash / entry).is_file() and entry.endswith("--a.txt")


def test_long_names_keep_their_extension():
    name = safe_name("Nghị quyết " + "rất dài " * 40 + ".docx")
    assert len(name) == 150 and name.endswith(".docx")
    assert safe_name("a" * 300 + ".PDF").endswith(".PDF")
