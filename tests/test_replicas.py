"""Several app processes on one archive (replicas): an upload in one is searched in every other."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, free_port, wait_for_app

from rag import build_index
from rag.app.datadir import DataDir
from rag.app.library import Library

KH = "KẾ HOẠCH\nVề trồng rừng phòng hộ ven biển\n\n1. Trồng mới 20 ha rừng ngập mặn phòng hộ ven biển.\n"
QUERY = "trồng rừng ngập mặn phòng hộ ven biển"


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    return corpus


@pytest.mark.parametrize("backend", ["embedded", "milvus"])
def test_a_replica_searches_what_another_uploaded(tmp_path, backend, request):
    uri = None
    if backend == "milvus":
        uri = request.getfixturevalue("lite_server")  # replicas share a server, not a Lite file
    corpus, data = _corpus(tmp_path), tmp_path / "data"
    one = Library(corpus, DataDir.open(data), embedder=KeywordEncoder(), backend=backend, milvus_uri=uri)
    two = Library(corpus, DataDir.open(data), embedder=KeywordEncoder())  # the backend comes from the index
    two._live.check_seconds = 0.0
    assert two.index.meta.backend == backend
    upload = tmp_path / "kh.txt"
    upload.write_text(KH, encoding="utf-8")
    stored, rejected = one.add_files([(upload, "kh.txt")])
    assert stored == ["uploads/kh.txt"] and rejected == []
    assert two.index.search(QUERY, k=1)[0].doc_id == "uploads/kh.txt"
    assert "uploads/kh.txt" in two.document_ids()
    two.delete("uploads/kh.txt")
    one._live.check_seconds = 0.0
    assert "uploads/kh.txt" not in one.document_ids()
    assert all(h.doc_id != "uploads/kh.txt" for h in one.index.search(QUERY, k=5))
    # A full rebuild in one replica (a new Milvus collection; the old one is dropped): the other
    # loads the new version on its next request instead of searching a collection that is gone.
    build_index(one.corpus, one.index_dir, embedder=KeywordEncoder(), rebuild=True)
    assert two.index.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"


def test_a_version_that_cannot_be_loaded_yet_leaves_the_held_one_searching(tmp_path, monkeypatch):
    corpus, data = _corpus(tmp_path), tmp_path / "data"
    one = Library(corpus, DataDir.open(data), embedder=KeywordEncoder())
    two = Library(corpus, DataDir.open(data), embedder=KeywordEncoder())
    two._live.check_seconds = 0.0
    held = two.index
    upload = tmp_path / "kh.txt"
    upload.write_text(KH, encoding="utf-8")
    one.add_files([(upload, "kh.txt")])

    def fails():
        raise ConnectionError("Milvus is restarting")

    monkeypatch.setattr(two._live, "_load", fails)
    assert two.index is held  # logged, and searched meanwhile
    monkeypatch.undo()
    assert two.index is not held and "uploads/kh.txt" in two.document_ids()


def _search(url: str, query: str) -> list[dict]:
    from gradio_client import Client

    return json.loads(Client(url, verbose=False).predict(query, api_name="/search"))


@pytest.mark.slow
def test_two_app_servers_on_one_milvus_server_see_each_others_uploads(tmp_path, lite_server):
    """A real ``rag serve`` replica (real model) finds what the app's upload path wrote in another process."""
    corpus, data = _corpus(tmp_path), tmp_path / "data"
    port, log_path = free_port(), tmp_path / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port), "--corpus",
                                 str(corpus), "--data-dir", str(data), "--backend", "milvus",
                                 "--milvus-uri", lite_server],
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_app(proc, port, log_path)
            url = f"http://127.0.0.1:{port}/"
            assert _search(url, "nhiệm vụ chống khai thác IUU")[0]["path"] == "II.2.6"
            # The other replica: the app's own upload path, in this process, on the same data and Milvus.
            other = Library(corpus, DataDir.open(data))
            assert other.index.meta.backend == "milvus"
            upload = tmp_path / "kh.txt"
            upload.write_text(KH, encoding="utf-8")
            assert other.add_files([(upload, "kh.txt")])[0] == ["uploads/kh.txt"]
            deadline = time.monotonic() + 60
            while (found := _search(url, QUERY))[0]["doc_id"] != "uploads/kh.txt":
                assert time.monotonic() < deadline, (found[:2], log_path.read_text()[-3000:])
                time.sleep(1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
