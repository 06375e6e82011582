"""Index build, incremental update, crash safety, filters and search, with the keyword fake encoder."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018, KH_2020, ROOT

from rag import ModelMismatchError, SearchSettings, build_index, load_index
from rag.index.store import IndexLockedError, current_version, writer_lock

FOUNDING_ID = FOUNDING.name

@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(FOUNDING, folder / FOUNDING_ID)
    (folder / "nq-12-2018.txt").write_text(HDND_2018, encoding="utf-8")
    return folder


def _versions(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def test_build_writes_a_self_describing_index(corpus, tmp_path):
    index_dir = tmp_path / "index"
    report = build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert sorted(report.added) == [FOUNDING_ID, "nq-12-2018.txt"] and report.full_rebuild
    live = current_version(index_dir)
    meta = json.loads((live / "meta.json").read_text("utf-8"))
    assert meta["model"] == {"name": "fake-keyword", "dimension": 256, "source": "test",
                             "engine": "keyword", "precision": "fp32", "query_prompt": "",
                             "passage_prompt": ""}
    assert meta["settings"]["chunker"]["max_chars"] == 1200
    assert {"faiss-cpu", "bm25s", "python"} <= set(meta["versions"])
    assert set(meta["files"]) == {FOUNDING_ID, "nq-12-2018.txt"}
    assert all(len(f["sha256"]) == 64 for f in meta["files"].values())
    chunks = (live / "chunks.jsonl").read_text("utf-8").splitlines()
    assert len(chunks) == meta["counts"]["chunks"] == report.chunks
    for name in ("vectors.faiss", "tokens.jsonl", "documents.jsonl", "bm25/params.json"):
        assert (live / name).exists(), name
    assert _versions(index_dir) == [live.name]


def test_iuu_queries_find_clause_2_6_and_hits_carry_metadata(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    for query in ("nhiệm vụ chống khai thác IUU", "chong khai thac hai san bat hop phap"):
        hits = index.search(query, k=5, doc_id=FOUNDING_ID)
        assert hits[0].path == "II.2.6", query
    hit = index.search("nhiệm vụ chống khai thác IUU", k=3)[0]
    assert hit.rank == 1 and hit.source == FOUNDING_ID and hit.year == 2024 and hit.date == "2024-10-11"
    assert hit.doc_type == "Kết luận" and "Đức Phổ" in hit.issuer and hit.headings
    assert "khai thác hải sản bất hợp pháp" in hit.text
    assert hit.dense_score is not None and hit.bm25_score is not None
    assert hit.to_dict()["clause_id"] == f"{FOUNDING_ID}#II.2.6"
    assert index.search("   ", k=3) == []


def test_filters_apply_before_the_cut(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    query = "lãnh đạo, chỉ đạo tổ chức thực hiện"
    unfiltered = index.search(query, k=3)
    assert all(h.doc_id == FOUNDING_ID for h in unfiltered)  # the 2018 clause is not in the top 3
    for mode in ("hybrid", "dense", "bm25"):
        # Many founding clauses outrank the 2018 one; k=1 must still return the 2018 clause.
        hits = index.search(query, k=1, year_to=2018, mode=mode)
        assert [h.doc_id for h in hits] == ["nq-12-2018.txt"], mode
        assert not [h for h in index.search(query, k=50, year_from=2016, year_to=2018, mode=mode)
                    if h.doc_id == FOUNDING_ID]
    assert {h.doc_id for h in index.search(query, k=20, doc_type="nghi quyet")} == {"nq-12-2018.txt"}
    assert {h.doc_id for h in index.search(query, k=20, issuer="duc pho")} == {FOUNDING_ID}
    assert index.search(query, k=5, year_from=2030) == []
    assert index.doc_types() == ["Kết luận", "Nghị quyết"]


def test_incremental_update_reembeds_only_what_changed(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    first = current_version(index_dir)
    (corpus / "kh-05-2020.txt").write_text(KH_2020, encoding="utf-8")  # added
    (corpus / "nq-12-2018.txt").write_text(HDND_2018.replace("đóng mới tàu cá", "nuôi trồng tôm hùm"),
                                           encoding="utf-8")  # changed
    shutil.copy(corpus / "nq-12-2018.txt", corpus / "copy.txt")
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    (corpus / "copy.txt").unlink()  # deleted
    encoder = KeywordEncoder()
    (corpus / "nq-12-2018.txt").write_text(HDND_2018.replace("đóng mới tàu cá", "nuôi lồng bè cá bớp"),
                                           encoding="utf-8")
    report = build_index(corpus, index_dir, embedder=encoder)
    assert report.added == [] and report.changed == ["nq-12-2018.txt"] and report.deleted == ["copy.txt"]
    assert report.embedded == 2 and len(encoder.passages) == 2  # the two clauses of the changed file
    assert all("Phổ An" not in text and "bớp" in text or "Điều 2" in text for text in encoder.passages)
    assert sorted(report.unchanged) == [FOUNDING_ID, "kh-05-2020.txt"]
    index = load_index(index_dir, embedder=KeywordEncoder())
    assert index.search("trồng rừng phòng hộ ven biển", k=1)[0].doc_id == "kh-05-2020.txt"
    assert index.search("nuôi lồng bè cá bớp", k=1)[0].doc_id == "nq-12-2018.txt"
    assert not [h for h in index.search("nuôi trồng tôm hùm", k=20) if h.doc_id == "copy.txt"]
    assert "copy.txt" not in {d.id for d in index.documents}
    assert _versions(index_dir) == [current_version(index_dir).name] != [first.name]
    # Vectors of reused chunks equal fresh ones.
    again = build_index(corpus, tmp_path / "fresh", embedder=KeywordEncoder())
    fresh = load_index(tmp_path / "fresh", embedder=KeywordEncoder())
    assert again.chunks == index.backend.size
    import numpy as np

    np.testing.assert_allclose(index.backend.dense.vectors(), fresh.backend.dense.vectors(), atol=1e-6)
    nothing = build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert not nothing.changed_anything and nothing.embedded == 0


def test_a_build_that_raises_leaves_the_previous_index_searchable(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    before = current_version(index_dir)
    (corpus / "kh-05-2020.txt").write_text(KH_2020, encoding="utf-8")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("rag.index.embedded_writer.Lexical.build", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert current_version(index_dir) == before
    index = load_index(index_dir, embedder=KeywordEncoder())
    assert index.search("chống khai thác IUU", k=1)[0].path == "II.2.6"
    monkeypatch.undo()
    report = build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert report.added == ["kh-05-2020.txt"]
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_killed_build_leaves_the_previous_index_and_frees_the_lock(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    before = current_version(index_dir)
    (corpus / "kh-05-2020.txt").write_text(KH_2020, encoding="utf-8")
    started = tmp_path / "embedding-started"
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
        from fake_encoder import KeywordEncoder
        from rag.index.build import build_index

        class Slow(KeywordEncoder):
            def encode_passages(self, texts, **kwargs):
                pathlib.Path({str(started)!r}).touch()
                time.sleep(60)

        build_index({str(corpus)!r}, {str(index_dir)!r}, embedder=Slow(), rebuild=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 60
        while not started.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert started.exists(), "the build never reached the embedding step"
        with pytest.raises(IndexLockedError), writer_lock(index_dir):
            pass
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert current_version(index_dir) == before
    index = load_index(index_dir, embedder=KeywordEncoder())
    assert index.search("chống khai thác IUU", k=1)[0].path == "II.2.6"
    report = build_index(corpus, index_dir, embedder=KeywordEncoder())  # lock was released by the kill
    assert report.added == ["kh-05-2020.txt"]


def test_lock_refuses_a_second_writer(corpus, tmp_path):
    index_dir = tmp_path / "index"
    with writer_lock(index_dir), pytest.raises(IndexLockedError, match="another process"):
        build_index(corpus, index_dir, embedder=KeywordEncoder())


def test_another_model_is_refused_with_rebuild_advice(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=KeywordEncoder())
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        load_index(index_dir, embedder=KeywordEncoder(name="other-model"))
    with pytest.raises(ModelMismatchError, match="fake-keyword"):
        load_index(index_dir, model="intfloat/multilingual-e5-base")
    report = build_index(corpus, index_dir, embedder=KeywordEncoder(name="other-model"))
    assert report.full_rebuild and "model changed" in report.reason
    assert load_index(index_dir, embedder=KeywordEncoder(name="other-model")).model_name == "other-model"


def test_split_clause_parts_merge_into_one_hit(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    sentence = "Đẩy mạnh chuyển đổi số trong hoạt động của các cơ quan đảng và chính quyền các cấp. "
    long_clause = "1. " + sentence * 12 + "Hoàn thành kho dữ liệu số về đảng viên trong năm 2025."
    (folder / "kh.txt").write_text(f"KẾ HOẠCH\nVề chuyển đổi số\n\n{long_clause}\n\n2. Tổ chức sơ kết.\n",
                                   encoding="utf-8")
    build_index(folder, tmp_path / "index", embedder=KeywordEncoder(), max_chars=400)
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    parts = [c for c in index.backend.chunks_of("kh.txt") if c.path == "1"]
    assert len(parts) >= 3
    hits = index.search("chuyển đổi số cơ quan đảng", k=5)
    assert [h.path for h in hits].count("1") == 1
    merged = next(h for h in hits if h.path == "1")
    assert len(merged.chunk_ids) >= 2 and "kho dữ liệu số" in merged.text


def test_missing_index_says_how_to_build(tmp_path):
    from rag import IndexNotFoundError

    with pytest.raises(IndexNotFoundError, match="rag index --corpus"):
        load_index(tmp_path / "nothing")


def test_query_plans_by_language(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    vi = index.plan("nhiệm vụ chống khai thác IUU")
    assert vi.kind == "vi" and "bất hợp pháp" in vi.dense_text and not vi.accentless
    plain = index.plan("chong khai thac hai san bat hop phap")
    assert plain.kind == "accentless" and "chống khai thác hải sản" in plain.dense_text
    english = index.plan("Which tasks concern IUU fishing?")
    assert english.kind == "foreign" and "nhiệm vụ" in english.lexical_text
    assert english.lexical_weight < vi.lexical_weight
    assert (tmp_path / "index").joinpath(current_version(tmp_path / "index").name, "diacritics.json").exists()


def test_repeated_questions_reuse_their_vector(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    encoder = KeywordEncoder()
    calls = []
    original = encoder.encode_queries
    encoder.encode_queries = lambda texts, **kw: calls.append(list(texts)) or original(texts, **kw)
    index = load_index(tmp_path / "index", embedder=encoder, settings=SearchSettings(query_cache=2))
    first = index.search("chống khai thác hải sản bất hợp pháp", k=3)
    again = index.search("chống khai thác hải sản bất hợp pháp", k=3, year_from=2010)
    assert len(calls) == 1 and again and first[0].chunk_id == again[0].chunk_id
    index.search("trồng rừng phòng hộ", k=3)
    index.search("hỗ trợ ngư dân", k=3)  # the cache holds 2: the first question is dropped
    index.search("chống khai thác hải sản bất hợp pháp", k=3)
    assert len(calls) == 4
    index.settings = SearchSettings(query_cache=0)
    index.search("hỗ trợ ngư dân", k=3)
    assert len(calls) == 5


FEEDBACK_DOC = """KẾ HOẠCH
Về phát triển nghề cá

1. Kiên quyết chống khai thác hải sản bất hợp pháp trên vùng biển của tỉnh.

2. Tổ chức lễ hội văn hóa, chống dịch bệnh vào dịp đầu xuân.

3. Kiên quyết xử lý tàu cá vi phạm trên vùng biển của tỉnh.
"""


def test_feedback_pulls_up_clauses_like_the_best_hits_and_keeps_filters(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "kh.txt").write_text(FEEDBACK_DOC, encoding="utf-8")
    build_index(folder, tmp_path / "index", embedder=KeywordEncoder())
    question = "chống khai thác hải sản bất hợp pháp"
    plain = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                       settings=SearchSettings(feedback_weight=0.0, lexical_weight=0.0))
    paths = [h.path for h in plain.search(question, k=3)]
    assert paths[0] == "1" and paths.index("2") < paths.index("3")  # 2 shares "chống"
    # Clause 3 shares "kiên quyết … trên vùng biển của tỉnh" with clause 1 (the best hit) but
    # no word with the question: feedback lifts it above clause 2.
    moved = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                       settings=SearchSettings(feedback_weight=1.0, feedback_depth=1, lexical_weight=0.0))
    paths = [h.path for h in moved.search(question, k=3)]
    assert paths[0] == "1" and paths.index("3") < paths.index("2")
    assert moved.search(question, k=3, doc_id="no-such-document") == []


def test_search_runs_the_stages_the_settings_name(corpus, tmp_path):
    from rag.search.stages import STAGES, pipeline

    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    full = load_index(tmp_path / "index", embedder=KeywordEncoder())
    query = "nhiệm vụ chống khai thác IUU"
    assert pipeline("hybrid", full.settings) == ("dense", "lexical", "fuse", "feedback", "references")
    assert pipeline("bm25", full.settings) == ("lexical", "rank")
    assert full.search(query, k=1)[0].path == "II.2.6"
    calls = []
    STAGES["spy"] = lambda index, c: calls.append(len(c.ranked))
    try:
        plain = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                           settings=SearchSettings(stages=("dense", "lexical", "fuse", "spy")))
        assert plain.search(query, k=1)[0].path == "II.2.6" and calls and calls[0] > 0
    finally:
        del STAGES["spy"]
    lexical_only = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                              settings=SearchSettings(stages=("lexical", "rank")))
    hit = lexical_only.search(query, k=1)[0]
    assert hit.dense_score is None and hit.bm25_score > 0
    with pytest.raises(ValueError, match="unknown search stage"):
        load_index(tmp_path / "index", embedder=KeywordEncoder(),
                   settings=SearchSettings(stages=("dense", "nope"))).search(query)


def test_eval_set_parses_stage_lists():
    from eval.run import parse_settings

    assert parse_settings(["stages=dense, lexical,fuse"]).stages == ("dense", "lexical", "fuse")


def test_a_build_reports_its_progress_in_order(corpus, tmp_path, monkeypatch):
    import rag.index.build as build

    monkeypatch.setattr(build, "EMBED_BATCH", 16)  # several embedding steps on a small corpus
    steps = []
    report = build_index(corpus, tmp_path / "index", embedder=KeywordEncoder(), on_progress=steps.append)
    stages = [s.stage for s in steps]
    assert stages[0] == "reading" and stages[-2:] == ["writing", "done"]
    assert stages.index("embedding") > max(i for i, s in enumerate(stages) if s == "reading")
    embedding = [s for s in steps if s.stage == "embedding"]
    assert embedding[-1].done == embedding[-1].total == report.chunks > 16
    assert [s.done for s in embedding] == sorted(s.done for s in embedding)
    assert embedding[1].eta_seconds is not None and embedding[0].eta_seconds is None
    steps.clear()
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder(), on_progress=steps.append)
    assert "embedding" not in [s.stage for s in steps] and steps[-1].stage == "done"  # nothing changed
