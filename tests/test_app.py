"""The web app starts on the bundled corpus and answers through its API (slow: real model)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_read_paragraphs_splits_and_normalises(tmp_path):
    import unicodedata

    from app_gradio import read_paragraphs

    (tmp_path / "a.txt").write_text(unicodedata.normalize("NFD", "Đoạn một về công tác cán bộ.\n\n"
                                                          "Đoạn hai về khai thác hải sản."), "utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    paras = read_paragraphs(tmp_path)
    assert [p.number for p in paras] == [1, 2]
    assert paras[1].text == "Đoạn hai về khai thác hải sản."
    assert paras[0].source == "a.txt"


@pytest.mark.slow
def test_app_starts_and_search_endpoint_answers(tmp_path):
    from gradio_client import Client

    port = free_port()
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app_gradio.py"), "--port", str(port)],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("app did not start within 300 s")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict("Which tasks concern IUU fishing?", api_name="/search")
        first = answer.split("**2.")[0]
        assert "khai thác hải sản bất hợp pháp" in first
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
