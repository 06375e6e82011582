"""Behaviour of an index backend through the seam (rag.index.backend), run for every backend.

A second backend joins by adding its name to ``rag.vocab.BACKENDS``: every test here then
runs on it too (build from files and from memory, IUU → II.2.6, filters before the cut,
incremental update, delete, model mismatch, the protocol's row and filter methods).
"""

import shutil

import numpy as np
import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018, KH_2020

from rag import ModelMismatchError, build_index, document_from_text, load_index, read_document
from rag.index.backend import Filters, IndexWriter, SearchBackend
from rag.index.embedded_writer import EmbeddedWriter
from rag.vocab import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def _documents():
    return [read_document(FOUNDING, FOUNDING.parent), document_from_text("nq-12-2018.txt", HDND_2018)]


def _open(index_dir, backend):
    return load_index(index_dir, embedder=KeywordEncoder(), backend=backend)


def test_the_backend_implements_the_protocols(backend, tmp_path):
    build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    index = _open(tmp_path / "index", backend)
    assert isinstance(index.backend, SearchBackend)
    assert isinstance(EmbeddedWriter(tmp_path / "other"), IndexWriter)


def test_documents_from_memory_index_like_the_same_files(backend, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(FOUNDING, folder / FOUNDING.name)
    (folder / "nq-12-2018.txt").write_text(HDND_2018, encoding="utf-8")
    build_index(folder, tmp_path / "files", embedder=KeywordEncoder(), backend=backend)
    report = build_index(documents=_documents(), index=tmp_path / "memory", embedder=KeywordEncoder(),
                         backend=backend)
    assert sorted(report.added) == [FOUNDING.name, "nq-12-2018.txt"] and not report.rejected
    files, memory = _open(tmp_path / "files", backend), _open(tmp_path / "memory", backend)
    assert [d.id for d in files.documents] == [d.id for d in memory.documents]
    for query in ("nhiệm vụ chống khai thác IUU", "hỗ trợ ngư dân đóng mới tàu cá"):
        expected = [h.clause_id for h in files.search(query, k=5)]
        assert [h.clause_id for h in memory.search(query, k=5)] == expected, query
    assert memory.meta.corpus == "documents given in memory" and isinstance(files.meta.corpus, dict)


def test_the_iuu_question_finds_clause_2_6(backend, tmp_path):
    build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    index = _open(tmp_path / "index", backend)
    for query in ("nhiệm vụ chống khai thác IUU", "chong khai thac hai san bat hop phap"):
        assert index.search(query, k=5, doc_id=FOUNDING.name)[0].path == "II.2.6", query
    answer = index.answer("nhiệm vụ chống khai thác IUU", k=3, doc_id=FOUNDING.name)
    assert answer.citations and answer.citations[0].path == "II.2.6"


def test_filters_are_applied_before_the_cut(backend, tmp_path):
    build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    index = _open(tmp_path / "index", backend)
    query = "lãnh đạo, chỉ đạo tổ chức thực hiện"
    assert all(h.doc_id == FOUNDING.name for h in index.search(query, k=3))
    for mode in ("hybrid", "dense", "bm25"):
        assert [h.doc_id for h in index.search(query, k=1, year_to=2018, mode=mode)] == ["nq-12-2018.txt"]
    assert {h.doc_id for h in index.search(query, k=20, doc_type="nghi quyet")} == {"nq-12-2018.txt"}
    assert index.search(query, k=5, year_from=2030) == []


def test_rows_selection_and_scores_through_the_protocol(backend, tmp_path):
    build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    store = _open(tmp_path / "index", backend).backend
    chunks = store.chunks_of("nq-12-2018.txt")
    assert [c.path for c in chunks] == [c.path for c in sorted(chunks, key=lambda c: c.start)]
    assert store.document("nq-12-2018.txt").year == 2018 and store.document("missing") is None
    only_2018 = store.select(Filters(year_to=2018))
    assert not only_2018.nothing and store.select(Filters(year_from=2030)).nothing
    vector = KeywordEncoder().encode_query("chống khai thác hải sản bất hợp pháp")
    found = store.dense_search(vector, 50, only_2018)
    assert found and {store.chunk(r).doc_id for r in found} == {"nq-12-2018.txt"}
    everything = store.dense_search(vector, store.size, store.select(Filters()))
    assert len(everything) == store.size
    lexical = store.lexical_search("khai thác hải sản", accentless=False, selection=only_2018)
    top = lexical.top(10)
    assert top and {store.chunk(r).doc_id for r in top} == {"nq-12-2018.txt"}
    np.testing.assert_allclose(lexical.of(list(top)), list(top.values()), rtol=1e-6)
    row = next(iter(found))
    assert row in store.clause_rows(row)
    assert store.vectors([row]).shape == (1, KeywordEncoder().info.dimension)


def test_clause_keys_and_document_ids_match_the_rows(backend, tmp_path):
    sentence = "Câu thứ {} nói về phát triển kinh tế biển bền vững."
    long_clause = "1. " + " ".join(sentence.format(n) for n in range(400))
    docs = _documents() + [document_from_text("kh-dai.txt", "KẾ HOẠCH\n" + long_clause)]
    build_index(documents=docs, index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    store = _open(tmp_path / "index", backend).backend
    rows = list(range(store.size))
    chunks = [store.chunk(r) for r in rows]
    keys = store.clause_keys(rows)
    assert keys.dtype == np.int64 and store.doc_ids_of(rows) == [c.doc_id for c in chunks]
    by_clause = {(c.doc_id, c.path) for c in chunks}
    assert len(set(keys.tolist())) == len(by_clause) < store.size  # the long clause was split in parts
    for row in rows:  # equal keys exactly for the parts of one clause
        parts = store.clause_rows(row)
        assert {r for r in rows if keys[r] == keys[row]} == set(parts)
    assert store.doc_ids_of([]) == [] and len(store.clause_keys([])) == 0


def test_incremental_update_and_delete(backend, tmp_path):
    index_dir = tmp_path / "index"
    docs = _documents()
    build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend=backend)
    encoder = KeywordEncoder()
    changed = document_from_text("nq-12-2018.txt",
                                 HDND_2018.replace("đóng mới tàu cá", "nuôi lồng bè cá bớp"))
    report = build_index(documents=[docs[0], changed, document_from_text("kh-05-2020.txt", KH_2020)],
                         index=index_dir, embedder=encoder, backend=backend)
    assert report.changed == ["nq-12-2018.txt"] and report.added == ["kh-05-2020.txt"]
    assert report.unchanged == [FOUNDING.name] and report.embedded == len(encoder.passages) == 4
    index = _open(index_dir, backend)
    assert index.search("cá bớp lồng bè", k=1)[0].doc_id == "nq-12-2018.txt"
    assert index.search("trồng rừng phòng hộ ven biển", k=1)[0].doc_id == "kh-05-2020.txt"
    report = build_index(documents=[docs[0], changed], index=index_dir, embedder=KeywordEncoder(),
                         backend=backend)
    assert report.deleted == ["kh-05-2020.txt"] and report.embedded == 0
    index = _open(index_dir, backend)
    assert "kh-05-2020.txt" not in {d.id for d in index.documents}
    assert all(h.doc_id != "kh-05-2020.txt" for h in index.search("trồng rừng phòng hộ ven biển", k=10))
    again = build_index(documents=[docs[0], changed], index=index_dir, embedder=KeywordEncoder(),
                        backend=backend)
    assert not again.changed_anything


def test_another_model_is_refused(backend, tmp_path):
    build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend=backend)
    with pytest.raises(ModelMismatchError, match="build_index\\(documents="):
        load_index(tmp_path / "index", embedder=KeywordEncoder(name="other-model"), backend=backend)


def test_an_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ValueError, match="available: embedded"):
        build_index(documents=_documents(), index=tmp_path / "index", embedder=KeywordEncoder(), backend="x")
    with pytest.raises(ValueError, match="unknown index backend"):
        load_index(tmp_path / "index", backend="x")
