"""The Milvus backend's parts (rag.index.milvus), run on Milvus Lite where it is installed."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from rag.index.backend import Filters
from rag.index.lexical import Lexical, tokenize
from rag.index.milvus import expressions as ex
from rag.index.milvus.schema import analyzer_text, chunk_index_params, chunk_schema

ISSUERS = ['Tỉnh ủy "Quảng" Ngãi', "x' or 1==1", 'x" or 1==1 or issuer_fold like "%', "50% [TW] (a)",
           "back\\slash", "under_score", "Thị ủy Đức Phổ", "dòng\nmới", None]
TYPES = ["Nghị quyết", "Kết luận", "Chỉ thị", None]


def test_literals_and_patterns_keep_user_text_out_of_the_syntax():
    assert ex.literal('a "b" \\ c\n') == '"a \\"b\\" \\\\ c\\n"'
    assert ex.contains("issuer_fold", "50%_x") == 'issuer_fold like "%50\\\\%\\\\_x%"'
    assert ex.one_of("doc_id", []) == ex.NOTHING
    assert ex.expression(Filters()) is None
    assert ex.expression(Filters(implements="57-NQ/TW")) == f"({ex.NOTHING})"  # not resolved: nothing
    assert ex.expression(Filters(year_from=2020, year_to=2024)) == \
        "(year >= 2020) and (year <= 2024 and year != -1)"


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus (pip install '.[milvus]')")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")
    from pymilvus import MilvusClient

    client = MilvusClient(str(tmp_path_factory.mktemp("milvus") / "lite.db"))
    yield client
    client.close()


def _docs():
    years = [2012, 2018, 2024, None]
    for n, (issuer, doc_type, year) in enumerate(itertools.product(ISSUERS, TYPES, years)):
        yield SimpleNamespace(id=f"doc-{n}\"'", issuer=issuer, doc_type=doc_type, year=year)


def _entity(row: int, doc, tokens=("x",), dimension: int = 4) -> dict:
    return {"row": row, "chunk_id": f"{doc.id}#1", "doc_id": doc.id, "path": "1", "number": "", "date": "",
            "doc_type_fold": ex.fold_lower(doc.doc_type), "issuer_fold": ex.fold_lower(doc.issuer),
            "clause_key": row, "part": 1, "year": ex.UNDATED if doc.year is None else doc.year,
            "record": "{}", "tokens": analyzer_text(tokens), "folded": analyzer_text(tokens),
            "dense": [1.0] + [0.0] * (dimension - 1)}


def _collection(client, name: str, entities: list[dict], dimension: int = 4) -> None:
    if client.has_collection(name):
        client.drop_collection(name)
    client.create_collection(name, schema=chunk_schema(dimension), index_params=chunk_index_params(client))
    client.insert(name, entities)
    client.load_collection(name)


def test_filters_select_in_milvus_exactly_what_filters_admit(lite):
    docs = list(_docs())
    _collection(lite, "filters", [_entity(row, doc) for row, doc in enumerate(docs)])
    cases = [Filters(issuer=i) for i in ISSUERS if i] + [Filters(doc_type=t) for t in TYPES if t] + [
        Filters(year_from=2018), Filters(year_to=2018), Filters(year_from=2013, year_to=2024),
        Filters(issuer="ỦY", doc_type="nghi quyet", year_to=2020), Filters(issuer="%"), Filters(issuer="_"),
        Filters(issuer='" or 1==1 or "'), Filters(issuer="x') or (1==1"), Filters(issuer="[TW]"),
        Filters(doc_ids=(docs[3].id, docs[40].id, 'nope"]) or (1==1')),
        Filters(implements="57-NQ/TW", implementing=(docs[7].id,)), Filters(implements="57-NQ/TW")]
    for filters in cases:
        expected = {row for row, doc in enumerate(docs) if filters.admits(doc)}
        where = ex.expression(filters, docs)
        found = lite.query("filters", filter=where, output_fields=["row"], limit=16_384)
        assert {hit["row"] for hit in found} == expected, filters
    with pytest.raises(ValueError, match="backslash"):
        ex.expression(Filters(issuer="back\\slash"))


CLAUSES = [
    "Chống khai thác hải sản bất hợp pháp, không báo cáo và không theo quy định (IUU).",
    "Hỗ trợ ngư dân đóng mới tàu cá, chuyển đổi nghề khai thác hải sản ven bờ.",
    "Nâng cao chất lượng tổ chức cơ sở đảng và đảng viên theo Nghị quyết 57-NQ/TW.",
    "Đẩy mạnh chuyển đổi số trong cơ quan đảng, khai thác dữ liệu dùng chung.",
    "Kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên năm 2024.",
    "Phòng, chống thiên tai mùa mưa bão; bảo đảm an toàn tàu cá trên biển.",
    "Thu ngân sách nhà nước 9 tháng đầu năm đạt 75% dự toán.",
]


def test_milvus_bm25_over_our_tokens_ranks_as_bm25s(lite):
    token_lists = [tokenize(c) for c in CLAUSES]
    lexical = Lexical.build(token_lists)
    docs = [SimpleNamespace(id=f"d{n}", issuer=None, doc_type=None, year=None) for n in range(len(CLAUSES))]
    _collection(lite, "bm25", [_entity(row, doc, tokens) for row, (doc, tokens) in
                               enumerate(zip(docs, token_lists, strict=True))])
    for query in ("khai thác hải sản", "chất lượng tổ chức đảng", "57-NQ/TW", "tàu cá"):
        expected = lexical.scores(query, accentless=False)
        hits = lite.search("bm25", data=[analyzer_text(tokenize(query))], anns_field="bm25",
                           limit=len(CLAUSES), output_fields=["row"])[0]
        found = {hit["row"]: abs(hit["distance"]) for hit in hits}
        assert set(found) == set(np.flatnonzero(expected > 0)), query
        assert max(found, key=found.get) == int(np.argmax(expected)), query
        rows = sorted(found)
        # Milvus multiplies by k1 + 1 and stores each clause's length in one byte, as Lucene
        # does (22 tokens are read as 22.16): scores agree with bm25s to ~0.5 % up to that scale.
        ratio = np.array([found[r] for r in rows]) / expected[rows]
        np.testing.assert_allclose(ratio, 2.2, rtol=1e-2, err_msg=query)


def _lite_available():
    pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus (pip install '.[milvus]')")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")


def _two_documents():
    from helpers import FOUNDING, HDND_2018

    from rag import document_from_text, read_document

    return [read_document(FOUNDING, FOUNDING.parent), document_from_text("nq-12-2018.txt", HDND_2018)]


def test_meta_records_the_backend_and_uri_never_the_token(tmp_path, monkeypatch):
    _lite_available()
    from fake_encoder import KeywordEncoder

    from rag import build_index, load_index
    from rag.index import format as fmt
    from rag.index import store

    monkeypatch.setenv("RAG_MILVUS_TOKEN", "root:secret-token-123")
    index_dir = tmp_path / "index"
    build_index(documents=_two_documents(), index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    live = store.current_version(index_dir)
    text = (live / fmt.META).read_text("utf-8")
    meta = fmt.read_meta(live)
    assert meta.backend == "milvus" and meta.milvus["uri"] == str((index_dir / "milvus.db").resolve())
    assert "secret-token-123" not in text and meta.milvus["collection"].startswith("rag_")
    assert not (live / fmt.VECTORS).exists()  # the vectors are in Milvus
    index = load_index(index_dir, embedder=KeywordEncoder())  # the backend is read from meta.json
    assert index.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"
    with pytest.raises(ValueError, match="uses the milvus backend"):
        load_index(index_dir, embedder=KeywordEncoder(), backend="embedded")


def test_updates_keep_the_collection_and_a_rebuild_replaces_it(tmp_path):
    _lite_available()
    from fake_encoder import KeywordEncoder

    from rag import build_index, document_from_text
    from rag.index import format as fmt
    from rag.index import store
    from rag.index.milvus.client import connect

    index_dir, docs = tmp_path / "index", _two_documents()
    build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    first = fmt.read_meta(store.current_version(index_dir)).milvus
    extra = document_from_text("kh.txt", "KẾ HOẠCH\n1. Trồng rừng phòng hộ ven biển.")
    build_index(documents=[*docs, extra], index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    second = fmt.read_meta(store.current_version(index_dir)).milvus
    assert second["collection"] == first["collection"] and second["next_row"] > first["next_row"]
    report = build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend="milvus",
                         rebuild=True)
    third = fmt.read_meta(store.current_version(index_dir)).milvus
    assert report.full_rebuild and third["collection"] != first["collection"]
    client = connect(third["uri"])
    client.load_collection(third["collection"])  # the builds closed the file; it opens released
    rows = client.query(third["collection"], filter="row >= 0", output_fields=["doc_id"], limit=16_384)
    from rag.index.milvus.guard import COLLECTION as LEASES

    # The replaced one was dropped; beside it only the writers' lease collection.
    assert sorted(client.list_collections()) == sorted([third["collection"], LEASES])
    assert {r["doc_id"] for r in rows} == {d.id for d in docs}


def test_an_embedded_index_moves_to_milvus_on_request(tmp_path):
    _lite_available()
    from fake_encoder import KeywordEncoder

    from rag import build_index, load_index

    index_dir = tmp_path / "index"
    build_index(documents=_two_documents(), index=index_dir, embedder=KeywordEncoder())
    report = build_index(documents=_two_documents(), index=index_dir, embedder=KeywordEncoder(),
                         backend="milvus")
    assert report.full_rebuild and "milvus" in report.reason
    index = load_index(index_dir, embedder=KeywordEncoder())
    assert index.meta.backend == "milvus" and index.search("chong khai thac IUU", k=1)[0].path == "II.2.6"


SEARCH_IN_ANOTHER_PROCESS = """
import sys
sys.path.insert(0, {tests!r})
from fake_encoder import KeywordEncoder
from rag import load_index
index = load_index({index!r}, embedder=KeywordEncoder())
print(sorted(d.id for d in index.documents))
print(index.search({query!r}, k=1)[0].doc_id)
"""


def test_two_processes_on_one_milvus_server_see_each_others_documents(tmp_path, lite_server):
    import subprocess
    import sys
    from pathlib import Path

    from fake_encoder import KeywordEncoder

    from rag import build_index, document_from_text

    index_dir, docs = tmp_path / "index", _two_documents()
    build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend="milvus",
                milvus_uri=lite_server)

    def other(query: str) -> list[str]:
        code = SEARCH_IN_ANOTHER_PROCESS.format(tests=str(Path(__file__).parent), index=str(index_dir),
                                                query=query)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()

    assert other("nhiệm vụ chống khai thác IUU") == [str(sorted(d.id for d in docs)), docs[0].id]
    upload = document_from_text("kh-rung.txt", "KẾ HOẠCH\n1. Trồng rừng phòng hộ ven biển, rừng ngập mặn.")
    build_index(documents=[*docs, upload], index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    lines = other("trồng rừng phòng hộ ven biển")
    assert "kh-rung.txt" in lines[0] and lines[1] == "kh-rung.txt"


def test_migrate_moves_an_embedded_index_without_embedding_again(tmp_path, capsys):
    _lite_available()
    from fake_encoder import KeywordEncoder

    from rag import build_index, load_index
    from rag.cli import main

    index_dir, query = tmp_path / "index", "khai thác hải sản"
    build_index(documents=_two_documents(), index=index_dir, embedder=KeywordEncoder())
    before = load_index(index_dir, embedder=KeywordEncoder())
    expected = [(h.clause_id, round(h.dense_score, 4)) for h in before.search(query, k=5, mode="dense")]
    assert main(["migrate", "--to", "milvus", "--index", str(index_dir)]) == 0
    assert "migrated to Milvus" in capsys.readouterr().out
    after = load_index(index_dir, embedder=KeywordEncoder())
    assert after.meta.backend == "milvus"
    assert [d.id for d in after.documents] == [d.id for d in before.documents]
    found = [(h.clause_id, round(h.dense_score, 4)) for h in after.search(query, k=5, mode="dense")]
    assert found == expected
    assert after.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"
    assert main(["migrate", "--to", "milvus", "--index", str(index_dir)]) == 1  # already in Milvus
    assert main(["migrate", "--to", "milvus", "--index", str(tmp_path / "none")]) == 1


def test_an_update_without_a_backend_keeps_the_index_in_milvus(tmp_path):
    _lite_available()
    from fake_encoder import KeywordEncoder

    from rag import build_index, document_from_text, load_index

    index_dir, docs = tmp_path / "index", _two_documents()
    build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    upload = document_from_text("kh.txt", "KẾ HOẠCH\n1. Trồng rừng phòng hộ ven biển.")
    report = build_index(documents=[*docs, upload], index=index_dir, embedder=KeywordEncoder())  # as the app
    assert not report.full_rebuild and report.added == ["kh.txt"]
    assert load_index(index_dir, embedder=KeywordEncoder()).meta.backend == "milvus"


def test_search_reads_a_lite_index_through_its_server_and_checks_the_backend(tmp_path, capsys, monkeypatch):
    _lite_available()
    import json
    import os

    from fake_encoder import KeywordEncoder
    from helpers import serve_lite

    from rag import build_index
    from rag.cli import main
    from rag.index.milvus.client import TOKEN_ENV, default_uri

    index_dir = tmp_path / "index"
    build_index(documents=_two_documents(), index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    monkeypatch.setenv(TOKEN_ENV, "")  # so that the token the flag sets is removed after the test
    with serve_lite(default_uri(index_dir)) as uri:  # the build's Lite file, now served to other processes
        args = ["search", "chống khai thác IUU", "--index", str(index_dir), "--json", "-k", "1",
                "--mode", "bm25"]
        assert main([*args, "--milvus-uri", uri, "--backend", "milvus", "--milvus-token", "root:Milvus"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["path"] == "II.2.6"
        assert os.environ[TOKEN_ENV] == "root:Milvus"  # handed to the client, never to the index
        assert main([*args, "--backend", "embedded"]) == 2
        assert "uses the milvus backend" in capsys.readouterr().err
