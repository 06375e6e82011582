"""Links between documents: references found and resolved, the graph, the filter, the CLI and the viewer."""

from __future__ import annotations

import json
import shutil

import pytest
from fake_encoder import KeywordEncoder

from rag import build_index, load_index
from rag.answer.links import LINKS_IN, LINKS_OUT, link_lines
from rag.answer.render import document_html
from rag.cli import main
from rag.ingest.links import DocKey, build_graph, document_keys, find_mentions, parse_number
from rag.records import Document
from rag.search.settings import SearchSettings

NQ_57 = """BAN CHẤP HÀNH TRUNG ƯƠNG
Số: 57-NQ/TW
Hà Nội, ngày 22 tháng 12 năm 2024

NGHỊ QUYẾT
CỦA BỘ CHÍNH TRỊ
về đột phá phát triển khoa học, công nghệ và chuyển đổi số quốc gia

I. MỤC TIÊU
1. Xây dựng trung tâm dữ liệu lớn quốc gia và hạ tầng số hiện đại.
2. Nghị quyết số 57-NQ/TW được phổ biến đến chi bộ.
"""

KH_57 = """TỈNH ỦY QUẢNG NGÃI
Số: 12-KH/TU
Quảng Ngãi, ngày 10 tháng 02 năm 2025

KẾ HOẠCH
thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị

Căn cứ Nghị quyết số 57-NQ/TW, ngày 22/12/2024 của Bộ Chính trị, Ban Thường vụ Tỉnh ủy ban hành kế hoạch:
1. Xây dựng trung tâm dữ liệu lớn của tỉnh kết nối trung tâm dữ liệu quốc gia.
2. Thực hiện Quy định số 57-QĐ/TW về bảo vệ chính trị nội bộ.
"""

KH_RUNG = """TỈNH ỦY QUẢNG NGÃI
Số: 15-KH/TU
Quảng Ngãi, ngày 12 tháng 3 năm 2025

KẾ HOẠCH
về trồng rừng phòng hộ

1. Trồng mới 20 ha rừng phòng hộ ven biển; xây dựng dữ liệu lớn về rừng.
"""


def _doc(doc_id: str, text: str, number=None, doc_type=None, issuer=None, date=None) -> Document:
    return Document(doc_id, doc_id, "txt", text, doc_type, number, issuer, date)


def _graph():
    return build_graph([_doc("nq57.txt", NQ_57, "57-NQ/TW", "Nghị quyết", "Bộ Chính trị", "2024-12-22"),
                        _doc("kh57.txt", KH_57, "12-KH/TU", "Kế hoạch", "Tỉnh ủy Quảng Ngãi", "2025-02-10")])


def test_a_reference_resolves_to_the_document_with_its_relation():
    graph = _graph()
    out = graph.outgoing("kh57.txt")
    resolved = [link for link in out if link.resolved]
    assert [link.target_doc for link in resolved] == ["nq57.txt", "nq57.txt"]
    assert [link.relation for link in resolved] == ["thực hiện", "căn cứ"]
    assert resolved[0].text == "Nghị quyết số 57-NQ/TW"
    assert KH_57[resolved[0].start:resolved[0].end] == "Nghị quyết số 57-NQ/TW"
    # Same number, another type: "Quy định số 57-QĐ/TW" is not Resolution 57; its own "Số:" line is no link.
    unresolved = [(link.text, link.target_doc) for link in out if not link.resolved]
    assert unresolved == [("Quy định số 57-QĐ/TW", None)]
    assert graph.targets("kh57.txt") == ["nq57.txt"] and graph.sources("nq57.txt") == ["kh57.txt"]


def test_a_document_never_links_to_itself():
    graph = _graph()
    assert graph.outgoing("nq57.txt") == [] and graph.incoming("kh57.txt") == []


def test_an_ambiguous_reference_is_kept_unresolved_with_its_text():
    bch = "Ban Chấp hành Trung ương"
    old = _doc("nq20-2012.md", "Nghị quyết về khoa học.", "20-NQ/TW", "Nghị quyết", bch, "2012-11-01")
    new = _doc("nq20-2022.md", "Nghị quyết về kinh tế tập thể.", "20-NQ/TW", "Nghị quyết", bch, "2022-06-16")
    citing = _doc("kl.md", "Tiếp tục thực hiện Nghị quyết số 20-NQ/TW. Sau 10 năm thực hiện Nghị quyết số "
                           "20-NQ/TW, ngày 01/11/2012 của Ban Chấp hành Trung ương.", "69-KL/TW", "Kết luận")
    vague, dated = build_graph([old, new, citing]).outgoing("kl.md")
    assert not vague.resolved and vague.text == "Nghị quyết số 20-NQ/TW"
    assert vague.candidates == ("nq20-2012.md", "nq20-2022.md")
    assert dated.target_doc == "nq20-2012.md"  # the printed date decides


def test_local_numbers_resolve_only_in_their_own_province():
    nq, qn, bd = "Nghị quyết", "HĐND tỉnh Quảng Ngãi", "HĐND tỉnh Bình Định"
    cited = _doc("qn.md", "Về hỗ trợ ngư dân.", "12/2018/NQ-HĐND", nq, qn, "2018-07-10")
    same = _doc("qn2.md", "Căn cứ Nghị quyết số 12/2018/NQ-HĐND ngày 10/7/2018 của Hội đồng nhân dân tỉnh;",
                "20/2019/NQ-HĐND", nq, qn, "2019-07-12")
    other = _doc("bd.md", "Căn cứ Nghị quyết số 12/2018/NQ-HĐND của Hội đồng nhân dân tỉnh;",
                 "30/2019/NQ-HĐND", nq, bd, "2019-07-12")
    named = _doc("bd2.md", "Tham khảo Nghị quyết số 12/2018/NQ-HĐND của HĐND tỉnh Quảng Ngãi.",
                 "31/2019/NQ-HĐND", nq, bd, "2019-08-01")
    graph = build_graph([cited, same, other, named])
    assert graph.targets("qn2.md") == ["qn.md"]
    assert graph.targets("bd.md") == [] and graph.targets("bd2.md") == ["qn.md"]


def test_numbers_and_file_names_give_document_keys():
    assert parse_number("12/2018/NQ-HĐND") == DocKey(12, "nq", "hdnd", 2018)
    assert parse_number("Hướng dẫn số 06 -HD/TW") == DocKey(6, "hd", "tw")
    hdnd = _doc("hdnd/20-2017-nq-hđnd.md", "", "120/TTr-UBND", "Nghị quyết", "HĐND tỉnh Huế", "2017-07-13")
    # A submission's number read as the resolution's is not used; the file name is.
    assert document_keys(hdnd) == (DocKey(20, "nq", "hdnd", 2017),)
    found = find_mentions("Số: 57-NQ/TW\nthực hiện Kết luận số 69-KL/TW, 57-NQ/TW và 12- HD/BTCTW")
    assert [m.key for m in found] == [DocKey(69, "kl", "tw"), DocKey(57, "nq", "tw"),
                                      DocKey(12, "hd", "btctw")]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("links")
    corpus = work / "corpus"
    corpus.mkdir()
    for name, text in (("nq57.txt", NQ_57), ("kh57.txt", KH_57), ("rung.txt", KH_RUNG)):
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, work / "index", embedder=KeywordEncoder())
    return work / "index"


def test_the_implements_filter_admits_only_implementing_documents(index_dir):
    index = load_index(index_dir, embedder=KeywordEncoder())
    assert {h.doc_id for h in index.search("dữ liệu lớn", k=10)} >= {"kh57.txt", "rung.txt"}
    for spec in ("57-NQ/TW", "nq57.txt", "NQ 57", "Nghị quyết số 57"):
        assert {h.doc_id for h in index.search("dữ liệu lớn", k=10, implements=spec)} == {"kh57.txt"}
    hits, total = index.browse(implements="57-NQ/TW")
    assert {h.doc_id for h in hits} == {"kh57.txt"} and total == len(hits)
    assert index.search("dữ liệu lớn", implements="99-NQ/TW") == []


def test_an_answer_about_a_document_adds_where_it_is_implemented(index_dir):
    index = load_index(index_dir, embedder=KeywordEncoder(), settings=SearchSettings(abstain_below=0.0))
    answer = index.answer("Nghị quyết 57 xây dựng trung tâm dữ liệu lớn quốc gia thế nào?")
    assert answer.found and answer.citations[0].doc_id == "nq57.txt"
    assert answer.implemented_in and {c.doc_id for c in answer.implemented_in} == {"kh57.txt"}
    assert answer.implemented_in[0].rank == len(answer.citations) + 1
    assert not index.answer("trồng rừng phòng hộ ven biển").implemented_in


def test_rag_links_prints_both_directions(index_dir, capsys):
    assert main(["links", "57-NQ/TW", "--index", str(index_dir)]) == 0
    text = capsys.readouterr().out
    assert f"{LINKS_IN}:" in text and "kh57.txt" in text and "[thực hiện] Nghị quyết số 57-NQ/TW" in text
    assert main(["links", "kh57.txt", "--index", str(index_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [o["doc_id"] for o in report["outgoing"] if o["resolved"]] == ["nq57.txt"]
    assert any(o["text"] == "Quy định số 57-QĐ/TW" and not o["resolved"] for o in report["outgoing"])
    assert report["incoming"] == []
    assert main(["links", "99-NQ/TW", "--index", str(index_dir)]) == 1
    assert "không khớp" in capsys.readouterr().err


def test_search_cli_takes_implements(index_dir, capsys):
    args = ["search", "dữ liệu lớn", "--index", str(index_dir), "--mode", "bm25", "--json"]
    assert main(args + ["--implements", "57-NQ/TW"]) == 0
    assert {h["doc_id"] for h in json.loads(capsys.readouterr().out)} == {"kh57.txt"}


def test_the_viewer_shows_links_to_the_linked_documents(index_dir, tmp_path):
    index = load_index(index_dir, embedder=KeywordEncoder())
    doc = index.backend.document("nq57.txt")
    related = link_lines(index.links, doc.id, index.backend.document, lambda i: f"/van-ban-goc/{i}")
    page = document_html(doc, index.backend.chunks_of(doc.id), related=related)
    assert f"{LINKS_IN}: <a href='/van-ban-goc/kh57.txt'" in page and LINKS_OUT not in page
    from rag.app.datadir import DataDir
    from rag.app.library import Library

    corpus = tmp_path / "corpus"
    shutil.copytree(index_dir.parent / "corpus", corpus)
    lib = Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder())
    assert f"{LINKS_OUT}: <a href='/van-ban-goc/nq57.txt'" in lib.viewer("kh57.txt")


def test_the_measurement_scores_rows_and_skips_without_shared(tmp_path, capsys):
    from eval.links import main as measure
    from eval.links import score

    assert measure(["--shared", str(tmp_path / "absent")]) == 2
    assert "skipped" in capsys.readouterr().err
    gold = [{"source": "kh57.txt", "reference": "NGHỊ QUYẾT SỐ 57-NQ/TW", "target": "nq57.txt", "note": ""},
            {"source": "kh57.txt", "reference": "Quy định số 57-QĐ/TW", "target": "-", "note": ""},
            {"source": "nq57.txt", "reference": "Nghị quyết số 57-NQ/TW", "target": "-", "note": "itself"}]
    result = score(_graph(), gold)
    assert (result["tp"], result["fp"], result["fn"], result["found"]) == (1, 0, 0, 2)
    assert [r["outcome"] for r in result["rows"]] == ["TP", "TN", "TN"]


def test_the_search_tab_reads_a_request_for_implementing_documents(index_dir, tmp_path):
    from rag.app.datadir import DataDir
    from rag.app.library import Library
    from rag.app.searching import Search
    from rag.app.server import Exports
    from rag.search.references import implementing_request

    assert implementing_request("van ban thuc hien nghi quyet 57") == ("nghi quyet 57", "")
    assert implementing_request("Các kế hoạch triển khai Nghị quyết số 57-NQ/TW, dữ liệu") == \
        ("Nghị quyết số 57-NQ/TW", "dữ liệu")
    assert implementing_request("thực hiện NQ 57 thế nào?") == (None, "thực hiện NQ 57 thế nào?")
    corpus = tmp_path / "corpus"
    shutil.copytree(index_dir.parent / "corpus", corpus)
    search = Search(Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder()),
                    Exports(tmp_path / "exports"))
    for query in ("văn bản thực hiện NQ 57", "van ban trien khai 57-NQ/TW dữ liệu lớn"):
        listing, _, status, _, hits, *_ = search.run(query, "", "", "", "", "hybrid", "Danh sách")
        assert status.startswith("Văn bản thực hiện") and {h.doc_id for h in hits} == {"kh57.txt"}
        assert "kh57.txt" in listing
