"""The Gradio page: cited answers (Hỏi đáp), filtered search (Tra cứu) and documents (Văn bản).

Programs use the named endpoints ``/ask`` and ``/search`` through gradio_client (see
README); bad parameters there get a clear message, never a bare "upstream error".
gradio is imported only in this package; import this module only after
:func:`rag.app.server.prepare_environment` (gradio reads its settings at import).
"""

from __future__ import annotations

import gradio as gr

from ..answer.render import CSS as RENDER_CSS
from ..answer.render import HIT_COLUMNS
from ..vocab import MODES
from .handlers import PREVIEW_HINT, Handlers
from .library import Access, Library

EXAMPLES = [
    "Which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
    "Chương trình OCOP được chỉ đạo thế nào?",
]
DOC_COLUMNS = ["tệp", "loại", "số", "ngày", "cơ quan", "tiêu đề", "điều khoản"]
# Table headers ("số") never break letter by letter in narrow columns.
CSS = RENDER_CSS + ("\n#docs-table th, #docs-table th *, #search-results th, #search-results th * "
                    "{white-space:nowrap}\n"
                    "#index-status {background:#fff3cd; border-left:4px solid #8b0000; border-radius:6px;"
                    " padding:6px 12px}\n#index-status, #index-status * {color:#1f2328 !important}\n")
STATUS_SECONDS = 2.0  # how often the page asks how far the index build is


def theme():
    """Gradio's default theme on system fonts (the stock one fetches a web font at every page load)."""
    return gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "Noto Sans", "sans-serif"],
                             font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"])
def _chat_tab() -> dict:
    with gr.Tab("Hỏi đáp", id="chat"):
        # The answer on the left, its sources on the right (one column under the other on a phone).
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                chatbot = gr.Chatbot(label="Hỏi đáp", elem_id="chatbot", height=520,
                                     placeholder="**Ví dụ:** Which tasks concern IUU fishing? · "
                                                 "nhiệm vụ chống khai thác IUU")
                with gr.Row():
                    question = gr.Textbox(label="Câu hỏi / Question", elem_id="question", scale=8,
                                          placeholder="Ví dụ: Which tasks concern IUU fishing?")
                    ask_button = gr.Button("Hỏi", variant="primary", elem_id="ask-button", scale=1)
                gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
            with gr.Column(scale=2, min_width=340):
                cards = gr.Dataset(components=[gr.HTML(visible=False)], samples=[], type="index",
                                   label="Trích dẫn, xếp theo mức liên quan — bấm để xem trong văn bản",
                                   elem_id="citations", samples_per_page=10)
                preview = gr.HTML(PREVIEW_HINT, elem_id="preview")
        cited = gr.State([])
    return {"chatbot": chatbot, "question": question, "ask_button": ask_button, "cards": cards,
            "cited": cited, "preview": preview}


def _search_tab() -> dict:
    with gr.Tab("Tra cứu", id="search"):
        with gr.Row():
            query = gr.Textbox(label="Từ khóa / câu hỏi", elem_id="search-query", scale=6)
            search_button = gr.Button("Tra cứu", variant="primary", elem_id="search-button", scale=1)
        with gr.Row():
            year_from = gr.Number(None, label="Từ năm", precision=0, elem_id="year-from")
            year_to = gr.Number(None, label="Đến năm", precision=0, elem_id="year-to")
            doc_type = gr.Dropdown([""], value="", label="Loại văn bản", allow_custom_value=True)
            issuer = gr.Dropdown([""], value="", label="Cơ quan ban hành", allow_custom_value=True)
            mode = gr.Radio(list(MODES), value="hybrid", label="Chế độ")
        by_year = gr.Checkbox(label="Nhóm theo năm", value=False)
        search_status = gr.Markdown(elem_id="search-status")
        table = gr.Dataframe(headers=HIT_COLUMNS, value=[], interactive=False, wrap=True,
                             elem_id="search-results")
        grouped = gr.Markdown(visible=False, elem_id="by-year")
        export = gr.File(label="Xuất CSV", elem_id="export")
    return {"query": query, "search_button": search_button, "year_from": year_from, "year_to": year_to,
            "doc_type": doc_type, "issuer": issuer, "mode": mode, "by_year": by_year,
            "search_status": search_status, "table": table, "grouped": grouped, "export": export}


def _docs_tab(lib: Library) -> dict:
    with gr.Tab("Văn bản", id="docs") as docs_tab:
        docs_table = gr.Dataframe(headers=DOC_COLUMNS, value=[], interactive=False, wrap=True,
                                  elem_id="docs-table")
        doc_select = gr.Dropdown([], label="Xem văn bản", elem_id="doc-select", allow_custom_value=True)
        viewer = gr.HTML(lib.viewer(None), elem_id="viewer")
        with gr.Group(visible=False, elem_id="manage") as manage:
            with gr.Row():
                upload = gr.File(label="Tải lên .pdf, .docx, .txt, .md", file_count="multiple",
                                 file_types=[".pdf", ".docx", ".txt", ".md"], elem_id="upload")
                upload_button = gr.Button("Thêm vào chỉ mục", elem_id="upload-button")
            with gr.Row():
                delete_select = gr.Dropdown([], label="Xóa văn bản đã tải lên (chuyển vào thùng rác)",
                                            elem_id="delete-select")
                delete_confirm = gr.Checkbox(label="Tôi chắc chắn muốn xóa văn bản này")
                delete_button = gr.Button("Xóa", variant="stop", elem_id="delete-button")
            with gr.Row():
                trash_select = gr.Dropdown([], label="Thùng rác", elem_id="trash-select")
                restore_button = gr.Button("Khôi phục", elem_id="restore-button")
        upload_status = gr.Markdown(elem_id="upload-status")
    return {"docs_tab": docs_tab, "docs_table": docs_table, "doc_select": doc_select, "viewer": viewer,
            "manage": manage, "upload": upload, "upload_button": upload_button,
            "delete_select": delete_select, "delete_confirm": delete_confirm, "delete_button": delete_button,
            "trash_select": trash_select, "restore_button": restore_button, "upload_status": upload_status}


def _wire_chat(h: Handlers, c: dict) -> None:
    ask_args = {"fn": h.chat_turn, "inputs": [c["question"], c["chatbot"]],
                "outputs": [c["chatbot"], c["cards"], c["cited"], c["question"], c["preview"]],
                "api_visibility": "private"}
    c["ask_button"].click(**ask_args)
    c["question"].submit(**ask_args)
    # A card opens its clause beside the chat, scrolled into view: no tab switch.
    c["cards"].click(h.open_citation, inputs=[c["cards"], c["cited"]], outputs=c["preview"],
                     api_visibility="private").then(
        None, js="() => {setTimeout(() => document.querySelector('#preview .selected')"
                 "?.scrollIntoView({block: 'nearest'}), 300)}")
    inputs = [c[n] for n in ("query", "year_from", "year_to", "doc_type", "issuer", "mode", "by_year")]
    outputs = [c[n] for n in ("table", "grouped", "export", "search_status")]
    for trigger in (c["search_button"].click, c["query"].submit, c["by_year"].change):
        trigger(h.run_search, inputs, outputs, api_visibility="private")


def _wire_docs(app, h: Handlers, c: dict) -> None:
    progress_default = gr.Progress()
    refresh = [c[n] for n in ("upload_status", "docs_table", "doc_select", "delete_select", "trash_select",
                              "doc_type", "issuer", "manage", "delete_confirm")]

    def on_upload(files, request: gr.Request, progress=progress_default):
        return h.managed(request, h.add_uploads, files, progress)

    def on_delete(doc_id, sure, request: gr.Request):
        return h.managed(request, h.delete_doc, doc_id, sure)

    def on_restore(entry, request: gr.Request):
        return h.managed(request, h.restore_doc, entry)

    def on_load(request: gr.Request):
        return h.current("", request)

    # .input, not .change: only a user's pick re-renders the viewer, never a list refresh
    c["doc_select"].input(lambda d: h.lib.viewer(d), c["doc_select"], c["viewer"], api_visibility="private")
    c["upload_button"].click(on_upload, c["upload"], refresh, api_visibility="private")
    c["delete_button"].click(on_delete, [c["delete_select"], c["delete_confirm"]], refresh,
                             api_visibility="private")
    c["restore_button"].click(on_restore, c["trash_select"], refresh, api_visibility="private")
    # Every page load and every visit of the Văn bản tab sees the corpus as it is now.
    app.load(on_load, None, refresh, api_visibility="private")
    c["docs_tab"].select(on_load, None, refresh, api_visibility="private")


def _wire_status(app, h: Handlers, c: dict, banner) -> None:
    """While the index is built or updated, a banner says how far; when done, the lists refresh."""
    timer = gr.Timer(STATUS_SECONDS, active=bool(h.lib.status()))
    shown = gr.State(h.lib.status())
    refresh = [c[n] for n in ("upload_status", "docs_table", "doc_select", "delete_select", "trash_select",
                              "doc_type", "issuer", "manage", "delete_confirm")]

    def tick(before: str, request: gr.Request):
        now = h.lib.status()
        if now == before:
            return (gr.skip(),) * (3 + len(refresh))
        lists = h.current("", request) if not now else (gr.skip(),) * len(refresh)
        return (gr.Markdown(now, visible=bool(now)), now, gr.Timer(active=bool(now)), *lists)

    # No progress overlay: the banner would be dimmed every two seconds.
    timer.tick(tick, shown, [banner, shown, timer, *refresh], api_visibility="private",
               show_progress="hidden")
    # A page opened while a build runs starts its own timer.
    app.load(lambda: (gr.Markdown(h.lib.status(), visible=bool(h.lib.status())), h.lib.status(),
                      gr.Timer(active=bool(h.lib.status()))),
             None, [banner, shown, timer], api_visibility="private", show_progress="hidden")


def build_app(lib: Library, access: Access, exports):
    """Create the Gradio Blocks app.

    Args:
        lib: The corpus and its live index.
        access: Who may upload, delete and restore.
        exports: Where CSV exports are written (:class:`rag.app.server.Exports`).
    """
    h = Handlers(lib, access, exports)
    with gr.Blocks(title="Tra cứu văn bản Đảng", analytics_enabled=False, delete_cache=(900, 900)) as app:
        gr.Markdown("# Tra cứu văn bản Đảng\nHỏi bằng tiếng Việt (có hoặc không dấu) hoặc tiếng Anh; "
                    "câu trả lời trích nguyên văn điều khoản, kèm số hiệu, ngày, cơ quan ban hành và mục. "
                    "Chạy ngoại tuyến (offline).")
        status = lib.status()
        banner = gr.Markdown(status, visible=bool(status), elem_id="index-status")
        with gr.Tabs(selected="chat"):
            components = {**_chat_tab(), **_search_tab(), **_docs_tab(lib)}
        _wire_chat(h, components)
        _wire_docs(app, h, components)
        _wire_status(app, h, components, banner)

        def ask(question: str) -> tuple[str, str]:
            """Answer a question: (answer as Markdown, JSON of the answer with every citation)."""
            return h.api_ask(question)

        def search(query: str, year_from: int | None = None, year_to: int | None = None,
                   doc_type: str | None = None, issuer: str | None = None, mode: str = "hybrid",
                   k: int = 10) -> str:
            """Search clauses: JSON list of hits (rank, score, path, text, document metadata); k ≤ 100."""
            return h.api_search(query, year_from, year_to, doc_type, issuer, mode, k)

        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")
    return app
