"""The app's safety pieces without a server: private temp folder, exports, parameters, escaping."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, ROOT


def test_the_private_temp_folder_is_mode_700_and_removed_at_exit():
    code = ("import os; from rag.app.server import prepare_environment; p = prepare_environment(); "
            "print(p); print(os.environ['GRADIO_TEMP_DIR']); print(os.environ['GRADIO_ANALYTICS_ENABLED'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.split()
    private, gradio_tmp, analytics = out
    assert gradio_tmp.startswith(private) and analytics == "False"
    assert not os.path.exists(private)


def test_exports_get_their_own_folder_and_old_ones_are_pruned(tmp_path):
    from rag.app.server import Exports

    exports = Exports(tmp_path / "exports", keep_seconds=60)
    first = exports.write("ket-qua.csv", "a,b\n")
    assert first.read_text("utf-8") == "a,b\n" and stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    old = time.time() - 3600
    os.utime(first.parent, (old, old))
    second = exports.write("ket-qua.csv", "c\n")
    assert not first.exists() and second.exists() and second.parent != first.parent
    assert len(list((tmp_path / "exports").iterdir())) == 1


def test_search_parameters_are_checked_and_k_is_clamped():
    from rag.app.params import search_params
    from rag.limits import MAX_K, QuestionTooLongError

    ok = search_params("IUU", "2020", 2024, "", None, "bm25", "7")
    assert ok == {"query": "IUU", "k": 7, "mode": "bm25", "year_from": 2020, "year_to": 2024,
                  "doc_type": None, "issuer": None}
    assert search_params("IUU", k=10**9)["k"] == MAX_K and search_params("IUU", k=-3)["k"] == 1
    for kwargs, message in (({"mode": "x"}, "Chế độ"), ({"k": "nhiều"}, "k phải"),
                            ({"year_from": "abc"}, "năm"), ({"year_to": 99999}, "1900"),
                            ({"year_from": 2025, "year_to": 2020}, "lớn hơn")):
        with pytest.raises(ValueError, match=message):
            search_params("IUU", **kwargs)
    with pytest.raises(QuestionTooLongError, match="2,000"):
        search_params("a" * 2001)


def test_hostile_document_text_is_escaped_in_answer_markdown(tmp_path):
    from rag import SearchSettings, build_index, load_index
    from rag.answer.render import answer_markdown, citation_card, hits_by_year

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "x.txt").write_text(
        "KẾ HOẠCH <b>Ban</b> [Tỉnh ủy](javascript:alert(1))\n\n"
        "1. Nuôi chim yến <img src=x onerror=alert(1)> **đậm** `mã` _nghiêng_.\n", "utf-8")
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                       settings=SearchSettings(abstain_below=0))
    answer = index.answer("nuôi chim yến")
    text = answer_markdown(answer)
    assert any(c.doc_id == "x.txt" for c in answer.citations)
    assert "<img" not in text and "<b>" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    # The source's own emphasis is dropped, its other Markdown shown literally, never run.
    assert "**đậm**" not in text and " đậm " in text
    assert "\\`mã\\`" in text and "\\_nghiêng\\_" in text and "](javascript" not in text.replace("\\]", "")
    assert text.startswith("**Trả lời:** ")  # our own bold stays
    card = citation_card(next(c for c in answer.citations if c.doc_id == "x.txt"))
    assert "<img" not in card and "<mark class='hl'>" in card
    grouped = hits_by_year(index.search("nuôi chim yến", k=3))
    assert "<img" not in grouped and "&lt;img" in grouped


def test_a_zip_bomb_upload_is_refused_and_not_kept(tmp_path):
    from test_bad_inputs import docx_with_body, paragraph

    from rag.app.datadir import DataDir
    from rag.app.library import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    lib = Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder())
    bomb = docx_with_body(tmp_path / "bomb.docx", paragraph("1. Nội dung lặp lại.") * 200_000)
    stored, rejected = lib.add_files([(bomb, "bomb.docx")])
    assert stored == [] and "zip bomb" in rejected[0]
    assert list(lib.data.uploads.iterdir()) == [] and list(lib.index.doc_keys) == [FOUNDING.name]


def _chat(lib, tmp_path):
    from rag.app.chat import Chat
    from rag.app.conversations import ConversationStore
    from rag.app.feedback import FeedbackLog
    from rag.app.server import Exports

    return Chat(lib, ConversationStore(lib.data.conversations), FeedbackLog(lib.data.feedback),
                Exports(tmp_path / "exports"))


def test_before_the_first_index_every_view_says_it_is_being_built(tmp_path):
    import gradio as gr

    from rag.app.datadir import DataDir
    from rag.app.handlers import Handlers
    from rag.app.library import Access, Library
    from rag.app.searching import Search
    from rag.app.server import Exports

    empty = tmp_path / "empty"
    empty.mkdir()
    lib = Library(empty, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder(), background=True)
    assert not lib.wait_ready(timeout=60)
    h = Handlers(lib, Access(), Exports(tmp_path / "exports"))
    # The question is refused with the reason (and stays in the box: echo never ran).
    with pytest.raises(gr.Error, match="Chỉ mục chưa sẵn sàng"):
        _chat(lib, tmp_path).echo("nhiệm vụ chống khai thác IUU", [])
    status = Search(lib, Exports(tmp_path / "exports")).run("IUU", "", "", "", "", "hybrid", "Danh sách")[2]
    assert status.startswith("Chỉ mục chưa sẵn sàng") and "Không lập được chỉ mục" in status
    with pytest.raises(gr.Error):
        h.api_ask("nhiệm vụ chống khai thác IUU")
    assert h.current("")[1] == []  # the documents table is empty, not an error


def test_a_follow_up_is_read_with_the_conversation_s_previous_question(tmp_path):
    from rag.app.conversations import new_id
    from rag.app.datadir import DataDir
    from rag.app.library import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    lib = Library(corpus, DataDir.open(tmp_path / "data"), embedder=KeywordEncoder())
    chat = _chat(lib, tmp_path)
    browser, conversation = new_id(), new_id()
    no_filters = ([], "", "", "", "")
    history, box, pending, *_ = chat.echo("nhiệm vụ chống khai thác IUU", [], browser, conversation)
    assert box == "" and history[-1]["content"] == "Đang tìm trong văn bản…"  # the question shows at once
    history, _, cited, preview, _, _ = chat.answer(pending, history, browser, conversation, *no_filters)
    assert len(history) == 2 and cited and "Bấm vào một trích dẫn" in preview
    history, _, pending, *_ = chat.echo("Còn OCOP thì sao?", history, browser, conversation)
    history, *_ = chat.answer(pending, history, browser, conversation, *no_filters)
    turns = chat.store.load(browser, conversation)["turns"]
    assert len(history) == 4 and len(turns) == 2
    assert turns[1]["answer"]["read_with"] == "nhiệm vụ chống khai thác IUU"
