"""The package as a user installs it (slow): a built wheel in fresh virtual environments.

Core only (``pip install party-rag``): indexes and answers from the CLI with neither torch
nor gradio present. With the ``[app]`` extra: ``rag serve`` answers from outside the
checkout, so nothing is read from the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv

import pytest
from helpers import FOUNDING, ROOT, free_port, wait_for_app

pytestmark = pytest.mark.slow


def _run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("install")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "-w", work / "dist", ROOT)
    assert built.returncode == 0, built.stderr
    [wheel] = list((work / "dist").glob("party_rag-*.whl"))
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    core = _run(python, "-m", "pip", "install", "-q", wheel)
    assert core.returncode == 0, core.stderr
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["RAG_CACHE_DIR"] = str(work / "cache")
    return {"work": work, "wheel": wheel, "python": python, "bin": work / "venv" / "bin", "corpus": corpus,
            "env": env}


def test_core_install_indexes_and_answers_without_torch_or_gradio(installed):
    python, env, work = installed["python"], installed["env"], installed["work"]
    for heavy in ("torch", "gradio", "sentence_transformers", "transformers"):
        assert _run(python, "-c", f"import {heavy}", env=env).returncode != 0, f"{heavy} is installed"
    rag = installed["bin"] / "rag"
    built = _run(rag, "index", "--corpus", installed["corpus"], "--index", work / "index", "--quiet",
                 env=env, cwd=work)
    assert built.returncode == 0, built.stderr
    asked = _run(rag, "ask", "which tasks concern IUU fishing?", "--index", work / "index", "--json",
                 env=env, cwd=work)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"][0]["path"] == "II.2.6"
    served = _run(rag, "serve", "--corpus", installed["corpus"], env=env, cwd=work)
    assert served.returncode == 1 and "party-rag[app]" in served.stderr


def test_the_wheel_with_the_app_extra_serves_answers(installed):
    python, env, work = installed["python"], installed["env"], installed["work"]
    extra = _run(python, "-m", "pip", "install", "-q", f"{installed['wheel']}[app]", env=env)
    assert extra.returncode == 0, extra.stderr
    port, log_path = free_port(), work / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(installed["bin"] / "rag"), "serve", "--corpus", str(installed["corpus"]),
                                 "--data-dir", str(work / "data"), "--port", str(port)],
                                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_app(proc, port, log_path)
            from gradio_client import Client

            _, payload = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
                "nhiệm vụ chống khai thác IUU", api_name="/ask")
            assert json.loads(payload)["citations"][0]["path"] == "II.2.6"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert str(ROOT) not in log_path.read_text()  # nothing came from the checkout
