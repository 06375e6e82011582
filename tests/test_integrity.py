"""A damaged index is a clear error naming the rebuild command, never wrong citations."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, ROOT

from rag.index import store
from rag.index.build import build_index
from rag.index.integrity import IndexCorruptError
from rag.search.loading import load_index


@pytest.fixture
def built(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    return corpus, index_dir, store.current_version(index_dir)


def _flip_bytes(path, offset_from_end=200):
    data = bytearray(path.read_bytes())
    for i in range(len(data) - offset_from_end, len(data) - offset_from_end + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_meta_records_size_and_sha256_of_every_file(built):
    _, _, version = built
    meta = json.loads((version / "meta.json").read_text("utf-8"))
    files = {p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file()}
    assert set(meta["checksums"]) == files - {"meta.json"}
    assert all(len(v["sha256"]) == 64 and v["bytes"] > 0 for v in meta["checksums"].values())


def test_shuffled_chunk_lines_are_refused_on_load(built):
    _, index_dir, version = built
    lines = (version / "chunks.jsonl").read_text("utf-8").splitlines(keepends=True)
    random.Random(0).shuffle(lines)
    (version / "chunks.jsonl").write_text("".join(lines), "utf-8")
    with pytest.raises(IndexCorruptError, match="rag index --corpus .* --rebuild"):
        load_index(index_dir, embedder=KeywordEncoder())


@pytest.mark.parametrize("name", ["vectors.faiss", "bm25/plain/data.csc.index.npy"])
def test_truncated_files_are_a_clear_error(built, name):
    _, index_dir, version = built
    path = version / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match="truncated or changed"):
        load_index(index_dir, embedder=KeywordEncoder())


def test_flipped_vector_bytes_are_found_by_verify_and_rebuilt_by_the_next_update(built):
    corpus, index_dir, version = built
    _flip_bytes(version / "vectors.faiss")
    load_index(index_dir, embedder=KeywordEncoder())  # sizes match: only a full check sees it
    with pytest.raises(IndexCorruptError, match="sha256 differs"):
        load_index(index_dir, embedder=KeywordEncoder(), verify=True)
    report = build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert report.full_rebuild and "damaged" in report.reason and not report.unchanged
    fresh = load_index(index_dir, embedder=KeywordEncoder(), verify=True)
    assert fresh.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"


def _rag(*args):
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_verify_and_search_report_damage_without_a_traceback(built):
    _, index_dir, version = built
    ok = _rag("verify", "--index", str(index_dir), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    _flip_bytes(version / "vectors.faiss")
    bad = _rag("verify", "--index", str(index_dir))
    assert bad.returncode == 2 and "sha256 differs" in bad.stderr and "--rebuild" in bad.stderr
    path = version / "bm25" / "params.json"
    path.write_text("{", "utf-8")
    search = _rag("search", "IUU", "--index", str(index_dir), "--mode", "bm25")
    assert search.returncode == 2 and "Traceback" not in search.stderr
    assert "rag index --corpus" in search.stderr


def test_every_error_shares_one_base_and_keeps_its_builtin_one():
    import rag

    errors = [getattr(rag, name) for name in rag.__all__ if name.endswith(("Error", "Rejected"))]
    assert len(errors) == 10 and all(issubclass(e, rag.RagError) for e in errors)
    assert issubclass(rag.IndexNotFoundError, FileNotFoundError)
    assert issubclass(rag.UploadRejected, ValueError)
    with pytest.raises(rag.RagError):
        load_index("/nonexistent/index")
