"""The Gradio page: chat with sources beside it (Hỏi đáp), search (Tra cứu) and documents (Văn bản).

Programs use the named endpoints ``/ask`` and ``/search`` through gradio_client (see
README); bad parameters there get a clear message, never a bare "upstream error".
gradio is imported only in this package; import this module only after
:func:`rag.app.server.prepare_environment` (gradio reads its settings at import).
"""

from __future__ import annotations

import gradio as gr

from ..answer.render import CSS as RENDER_CSS
from .chat import Chat
from .chat_ui import chat_tab, wire_chat
from .conversations import ConversationStore
from .feedback import FeedbackLog
from .handlers import Handlers, _user
from .library import Access, Library
from .pages_ui import docs_tab, search_tab, wire_docs, wire_search
from .searching import Search
from .texts import VI

# The outputs of Handlers.current, in its order.
REFRESH = ("d.status", "d.table", "d.select", "d.viewer", "d.delete_select", "d.trash", "s.doc_type",
           "s.issuer", "d.manage", "d.confirm", "c.docs", "c.doc_type", "c.issuer", "d.meta_doc",
           "d.feedback")
CSS = RENDER_CSS + """
#app-header {background:#8b0000; color:#fff; border-radius:10px; padding:10px 16px; margin-bottom:4px}
#app-header h1, #app-header p, #app-header * {color:#fff !important; margin:2px 0}
#app-header h1 {font-size:1.35em}
#docs-table th, #docs-table th *, #feedback-table th, #feedback-table th * {white-space:nowrap}
#index-status {background:#fff3cd; border-left:4px solid #8b0000; border-radius:6px; padding:6px 12px}
#index-status, #index-status * {color:#1f2328 !important}
.results .result, .timeline .year {border:1px solid var(--border-color-primary); border-radius:8px;
  padding:8px 12px; margin:6px 0; background:var(--background-fill-primary); color:var(--body-text-color)}
.results .result *, .timeline * {color:inherit}
.results .cite-label {font-weight:600; color:#8b0000}
.dark .results .cite-label {color:#ffb4a9}
.results .result-doc {font-size:0.85em; opacity:0.85}
.results .result-text {white-space:pre-wrap; line-height:1.5; margin-top:4px}
.timeline .count {font-weight:normal; font-size:0.85em}
.timeline h5 {margin:8px 0 2px; font-size:0.95em}
.status-line {margin:3px 0}
.badge {display:inline-block; border-radius:4px; padding:0 6px; font-weight:600; font-size:0.85em; color:#fff}
.badge.ok {background:#1a7f37} .badge.no {background:#b42318}
.doc-view .original a {color:#0b57d0} .dark .doc-view .original a {color:#8ab4f8}
.doc-view .ocr-note {background:#fff4e5; border-left:4px solid #b54708; padding:4px 8px}
.dark .doc-view .ocr-note {background:#3a2a10}
.doc-view .clause.low-ocr {border-left:4px dashed #b54708; padding-left:6px}
#filter-chips .token {background:#fde7e7; color:#5c0000}
"""
STATUS_SECONDS = 2.0  # how often the page asks how far the index build is


def theme():
    """The app's theme: party red on neutral slate, system fonts (no web font fetched)."""
    return gr.themes.Base(primary_hue=gr.themes.colors.red, secondary_hue=gr.themes.colors.amber,
                          neutral_hue=gr.themes.colors.slate, radius_size=gr.themes.sizes.radius_md,
                          font=["system-ui", "Segoe UI", "Roboto", "Noto Sans", "sans-serif"],
                          font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"]).set(
        button_primary_background_fill="#8b0000", button_primary_background_fill_hover="#a50f0f",
        button_primary_text_color="#ffffff", button_primary_background_fill_dark="#b3261e",
        button_primary_text_color_dark="#ffffff", block_title_text_weight="600",
        body_text_color="#1f2328", body_text_color_dark="#e6edf3")


def _wire_status(app, h: Handlers, banner, refresh: list, selected) -> None:
    """While the index is built or updated, a banner says how far; when done, the lists refresh."""
    timer = gr.Timer(STATUS_SECONDS, active=bool(h.lib.status()))
    shown = gr.State(h.lib.status())

    def tick(before: str, chosen, request: gr.Request):
        now = h.lib.status()
        if now == before:
            return (gr.skip(),) * (3 + len(refresh))
        lists = h.current("", request, chosen) if not now else (gr.skip(),) * len(refresh)
        return (gr.Markdown(now, visible=bool(now)), now, gr.Timer(active=bool(now)), *lists)

    # No progress overlay: the banner would be dimmed every two seconds.
    timer.tick(tick, [shown, selected], [banner, shown, timer, *refresh], api_visibility="private",
               show_progress="hidden")
    # A page opened while a build runs starts its own timer.
    app.load(lambda: (gr.Markdown(h.lib.status(), visible=bool(h.lib.status())), h.lib.status(),
                      gr.Timer(active=bool(h.lib.status()))),
             None, [banner, shown, timer], api_visibility="private", show_progress="hidden")


def build_app(lib: Library, access: Access, exports):
    """Create the Gradio Blocks app.

    Args:
        lib: The corpus and its live index.
        access: Who may upload, delete, restore and correct documents, and read feedback.
        exports: Where exported files are written (:class:`rag.app.server.Exports`).
    """
    feedback = FeedbackLog(lib.data.feedback)
    h = Handlers(lib, access, exports, feedback)
    chat = Chat(lib, ConversationStore(lib.data.conversations), feedback, exports)
    with gr.Blocks(title=VI["title"], analytics_enabled=False, delete_cache=(900, 900)) as app:
        gr.Markdown(f"# {VI['title']}\n{VI['intro']}", elem_id="app-header")
        status = lib.status()
        banner = gr.Markdown(status, visible=bool(status), elem_id="index-status")
        with gr.Tabs(selected="chat"):
            parts = {"c": chat_tab(), "s": search_tab(), "d": docs_tab(lib)}
        refresh = [parts[key.split(".")[0]][key.split(".")[1]] for key in REFRESH]
        wire_chat(app, chat, parts["c"], _user)
        wire_search(Search(lib, exports), parts["s"])
        wire_docs(app, h, parts["d"], refresh)
        _wire_status(app, h, banner, refresh, parts["d"]["select"])

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
