"""The real model on the founding document, through the CLI and the Python API (slow)."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from helpers import FOUNDING, ROOT

from rag import load_index

pytestmark = pytest.mark.slow
FOUNDING_ID = FOUNDING.name


def _rag(*args, env):
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               RAG_INDEX=str(tmp_path_factory.mktemp("idx") / "index"))
    return env


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A copy of the bundled document: tests never index the live corpus/ folder."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(FOUNDING, folder / FOUNDING.name)
    return folder


@pytest.fixture(scope="module")
def built(cli_env, corpus):
    result = _rag("index", "--corpus", str(corpus), "--quiet", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "added (1)" in result.stdout
    return cli_env["RAG_INDEX"]


@pytest.fixture(scope="module")
def index(built, default_embedder):
    return load_index(built, embedder=default_embedder)


@pytest.mark.parametrize("query", [
    "which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
])
def test_iuu_questions_find_clause_2_6_first(index, query):
    assert index.search(query, k=5)[0].clause_id == f"{FOUNDING_ID}#II.2.6"


def test_ocop_programme_is_in_the_top_3(index):
    assert "II.2.3" in [h.path for h in index.search("chương trình OCOP", k=3)]


def test_cli_search_prints_2_6_first(built, cli_env):
    result = _rag("search", "which tasks concern IUU fishing?", "-k", "3", env=cli_env)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(" 1.") and "mục II.2.6" in first and "Đức Phổ" in first


def test_cli_json_and_queries_file(built, cli_env, tmp_path):
    result = _rag("search", "nhiệm vụ chống khai thác IUU", "--json", "-k", "2", env=cli_env)
    hits = json.loads(result.stdout)
    assert len(hits) == 2 and hits[0]["path"] == "II.2.6" and hits[0]["year"] == 2024
    assert {"rank", "score", "dense_score", "bm25_score", "chunk_id", "doc_id", "source", "title", "number",
            "doc_type", "issuer", "date", "year", "path", "headings", "text", "page"} <= set(hits[0])
    queries = tmp_path / "q.txt"
    queries.write_text("chương trình OCOP\n\nchong khai thac hai san bat hop phap\n", encoding="utf-8")
    result = _rag("search", "--queries-file", str(queries), "-k", "3", env=cli_env)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["chương trình OCOP", "chong khai thac hai san bat hop phap"]
    assert lines[1]["hits"][0]["path"] == "II.2.6"


def test_rerunning_index_on_an_unchanged_corpus_embeds_nothing(built, cli_env, corpus):
    result = _rag("index", "--corpus", str(corpus), "--quiet", env=cli_env)
    assert result.returncode == 0 and "already up to date" in result.stdout


def test_search_without_an_index_fails_clearly(tmp_path, cli_env):
    result = _rag("search", "IUU", "--index", str(tmp_path / "none"), env=cli_env)
    assert result.returncode == 1 and "rag index --corpus" in result.stderr


def test_json_output_is_pure_on_a_first_run_with_an_empty_model_cache(built, cli_env, tmp_path):
    env = dict(cli_env, RAG_CACHE_DIR=str(tmp_path / "empty-cache"))
    result = _rag("ask", "nhiệm vụ chống khai thác IUU", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["path"] == "II.2.6"
    assert (tmp_path / "empty-cache").is_dir()  # the encoder really was written on this run


def test_output_cut_by_a_closed_pipe_ends_without_a_traceback(built, cli_env, corpus):
    """`rag index … | head -1`: the reader is gone before the first line is written."""
    for args in (["index", "--corpus", str(corpus), "--quiet"], ["search", "IUU", "-k", "50"]):
        proc = subprocess.Popen([sys.executable, "-m", "rag", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=cli_env, cwd=ROOT)
        proc.stdout.close()
        _, err = proc.communicate(timeout=600)
        assert "Traceback" not in err and "BrokenPipeError" not in err, err
        assert proc.returncode == 141
