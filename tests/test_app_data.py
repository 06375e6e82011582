"""What the app keeps and hands out, without a browser: conversations, feedback and its
candidate judgments, exports, the result list, browsing by filters, metadata corrections,
Vietnamese reasons and dates."""

from __future__ import annotations

import json
import shutil

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018, KH_2020


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    from rag.app.datadir import DataDir
    from rag.app.library import Library

    work = tmp_path_factory.mktemp("lib")
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "hdnd-2018.txt").write_text(HDND_2018, encoding="utf-8")
    (corpus / "kh-2020.txt").write_text(KH_2020, encoding="utf-8")
    return Library(corpus, DataDir.open(work / "data"), embedder=KeywordEncoder())


def _turn(lib, question="nhiệm vụ chống khai thác IUU"):
    answer = lib.index.answer(question)
    return {"question": question, "answer": answer.to_dict(), "markdown": "…", "filters": {"từ năm": "2024"}}


def test_conversations_are_kept_per_browser_renamed_deleted_and_ids_are_checked(tmp_path):
    from rag.app.conversations import ConversationStore, new_id, valid_id

    store = ConversationStore(tmp_path / "conversations")
    browser, other, conversation = new_id(), new_id(), new_id()
    store.add_turn(browser, conversation, {"question": "nhiệm vụ chống khai thác IUU " * 10, "answer": {}})
    store.add_turn(browser, conversation, {"question": "Còn OCOP thì sao?", "answer": {}})
    [item] = store.list(browser)
    assert item["id"] == conversation and item["title"].startswith("nhiệm vụ chống")
    assert len(item["title"]) <= 80
    assert len(store.load(browser, conversation)["turns"]) == 2 and store.list(other) == []
    store.rename(browser, conversation, "  Thủy sản  ")
    assert store.list(browser)[0]["title"] == "Thủy sản"
    # A reload or a restart reads the same files.
    assert ConversationStore(tmp_path / "conversations").list(browser)[0]["title"] == "Thủy sản"
    for bad in ("../../etc", "", "ABC", "x" * 16, None):
        assert not valid_id(bad)
        assert store.list(bad) == []
        with pytest.raises(ValueError):
            store.add_turn(bad or "", conversation, {"question": "q"})
    store.delete(browser, conversation)
    assert store.list(browser) == []


def test_feedback_is_appended_and_becomes_candidate_judgments(lib, tmp_path):
    from eval.feedback import candidates, main, read_entries
    from rag.app.feedback import FeedbackLog

    log = FeedbackLog(tmp_path / "feedback.jsonl")
    turn = _turn(lib)
    log.record("up", turn, comment="Đúng ý", who="an")
    log.record("down", _turn(lib, "Chương trình OCOP được chỉ đạo thế nào?"), comment="Thiếu ý")
    log.record("wrong-citation", turn, cited=1)
    with pytest.raises(ValueError):
        log.record("maybe", turn)
    entries = log.entries()
    assert [e["rating"] for e in entries] == ["wrong-citation", "down", "up"]  # newest first
    assert entries[2]["citations"][0]["path"] == "II.2.6" and log.table()[2][1] == "👍 hữu ích"
    known = {"nhiệm vụ chống khai thác iuu": "pg-777"}
    queries, judgments = candidates(read_entries(log.path), known)
    assert {q["_id"] for q in queries} >= {"pg-777"} and any(q["_id"].startswith("fb-") for q in queries)
    # One "useful" and one "wrong citation" on II.2.6 cancel out: no judgment for it.
    assert not [j for j in judgments if j[0] == "pg-777" and j[1].endswith("#II.2.6")]
    assert all(score == 0 for q, _, score in judgments if q.startswith("fb-"))
    out = tmp_path / "candidates"
    assert main(["--feedback", str(log.path), "--out", str(out)]) == 0
    lines = (out / "qrels.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "query-id\tcorpus-id\tscore" and len(lines) == len(judgments) + 1
    assert len((out / "queries.jsonl").read_text(encoding="utf-8").splitlines()) == len(queries)
    assert main(["--feedback", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 1


def test_an_answer_exports_as_markdown_and_word_with_its_citations(lib, tmp_path):
    from docx import Document

    from rag.answer.export import turns_docx, turns_markdown

    turns = [_turn(lib)]
    markdown = turns_markdown(turns, "Thủy sản")
    assert markdown.startswith("# Thủy sản") and "## 1. nhiệm vụ chống khai thác IUU" in markdown
    assert "[1] **Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6**" in markdown
    assert "*Bộ lọc:* từ năm: 2024" in markdown
    (tmp_path / "a.docx").write_bytes(turns_docx(turns, "Thủy sản"))
    text = [p.text for p in Document(tmp_path / "a.docx").paragraphs]
    assert "[1] Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6" in text
    assert any(t.startswith("2.6. Tăng cường công tác lãnh đạo") for t in text)


def test_the_result_list_keeps_matching_clauses_pages_and_exports(lib, tmp_path):
    from openpyxl import load_workbook

    from rag.answer.listing import hits_xlsx, pages, relevant, results_html, timeline_html

    hits = lib.index.search("khai thác hải sản", 100)
    kept = relevant(hits)
    assert {(h.doc_id, h.path) for h in kept} >= {(FOUNDING.name, "II.2.6"), ("hdnd-2018.txt", "Điều 1")}
    assert len(kept) < len(hits)  # not every clause the ranking reaches
    assert [h.rank for h in kept] == list(range(1, len(kept) + 1))
    assert pages(0) == 1 and pages(10) == 1 and pages(11) == 2
    page = results_html(kept, 1)
    assert page.count("class='result'") == min(10, len(kept)) and "phát triển bền vững ngành thủy sản" in page
    assert "Không có kết quả" in results_html(kept, 99)
    timeline = timeline_html(kept)
    assert timeline.index("2024") < timeline.index("2018")  # newest year first
    (tmp_path / "r.xlsx").write_bytes(hits_xlsx(kept))
    rows = list(load_workbook(tmp_path / "r.xlsx").active.values)
    assert rows[0][0] == "Hạng" and len(rows) == len(kept) + 1 and rows[1][8] == kept[0].path


def test_browsing_by_filters_alone_lists_the_admitted_documents_clauses_newest_first(lib):
    hits, total = lib.index.browse(500, year_from=2018, year_to=2020)
    assert {h.doc_id for h in hits} == {"hdnd-2018.txt", "kh-2020.txt"} and total == len(hits)
    assert hits[0].doc_id == "kh-2020.txt" and hits[-1].doc_id == "hdnd-2018.txt"
    few, total_all = lib.index.browse(3)
    assert len(few) == 3 and total_all > 3
    assert lib.index.browse(10, issuer="không có cơ quan này") == ([], 0)
    # The same rule as the search's own filtering.
    from rag.index.backend import Filters

    docs = {d.id: d for d in lib.index.documents}
    assert Filters(doc_type="nghi quyet").admits(docs["hdnd-2018.txt"])
    assert not Filters(year_from=2019).admits(docs["hdnd-2018.txt"])


def test_a_metadata_correction_reindexes_the_document_and_a_blank_field_drops_it(tmp_path):
    from rag.app.datadir import DataDir
    from rag.app.library import Library
    from rag.app.uploads import UploadRejected

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kh-2020.txt").write_text(KH_2020, encoding="utf-8")
    lib = Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder())
    assert lib.index.documents[0].issuer != "Đảng ủy xã Phổ Châu"
    saved = lib.edit_metadata("kh-2020.txt", {"issuer": "Đảng ủy xã Phổ Châu", "number": "05-KH/ĐU"})
    assert saved == {"issuer": "Đảng ủy xã Phổ Châu"}  # the number was already that: no correction
    assert lib.index.documents[0].issuer == "Đảng ủy xã Phổ Châu"
    assert [h.doc_id for h in lib.index.search("rừng phòng hộ", 3, issuer="Phổ Châu")]
    assert json.loads((tmp_path / "data" / "metadata.json").read_text("utf-8")) == {"kh-2020.txt": saved}
    lib.edit_metadata("kh-2020.txt", {"issuer": ""})
    assert lib.index.documents[0].issuer != "Đảng ủy xã Phổ Châu"
    with pytest.raises(UploadRejected):
        lib.edit_metadata("khong-co.txt", {"title": "x"})
    with pytest.raises(UploadRejected):
        lib.edit_metadata("kh-2020.txt", {"signer": "x"})
    assert lib.original("kh-2020.txt") == corpus / "kh-2020.txt" and lib.original("../etc/passwd") is None


def test_reasons_and_dates_read_in_vietnamese():
    from rag.app.texts import parse_date_vi, reason_vi

    assert reason_vi("uploads/x.docx: corrupt DOCX: not a ZIP container (bad)").startswith(
        "uploads/x.docx: tệp hỏng hoặc không đúng định dạng (Chi tiết: corrupt DOCX")
    assert reason_vi("empty file").startswith("tệp không có nội dung chữ")
    assert "chưa cài công cụ nhận dạng chữ" in reason_vi(
        "a.pdf: PDF has no text layer (scanned image?) and cannot be read: OCR needs tesseract with its "
        "Vietnamese model (Debian: apt install tesseract-ocr tesseract-ocr-vie)")
    assert "bản quét trống hoặc quá mờ" in reason_vi(
        "a.pdf: PDF has no text layer, and OCR found no text on its 2 page(s) (blank or unreadable scan)")
    assert "chưa cài công cụ nhận dạng chữ" in reason_vi(
        "anh.png: OCR needs tesseract with its Vietnamese model (Debian: apt install tesseract-ocr)")
    assert reason_vi("x.docx: tệp rỗng") == "x.docx: tệp rỗng"  # already Vietnamese
    assert parse_date_vi("11/10/2024") == "2024-10-11" and parse_date_vi("2024-10-11") == "2024-10-11"
    assert parse_date_vi("31/02/2024") is None and parse_date_vi("hôm qua") is None


def test_a_standalone_question_with_the_nao_is_not_a_follow_up():
    from rag.search.answering import is_follow_up

    assert not is_follow_up("Chương trình OCOP được chỉ đạo thế nào?")
    assert is_follow_up("Còn OCOP thì thế nào?") and is_follow_up("Huy hiệu 30 năm thì sao?")
