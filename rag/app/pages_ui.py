"""The Tra cứu and Văn bản tabs: layout and wiring.

What happens is :mod:`rag.app.searching` and :mod:`rag.app.handlers`.
"""

from __future__ import annotations

import gradio as gr

from ..vocab import FILE_TYPES, MODES
from .handlers import Handlers
from .library import Library
from .searching import Search
from .texts import DOC_COLUMNS, FEEDBACK_COLUMNS, VI

_MODE_NAMES = {"hybrid": "Kết hợp (khuyên dùng)", "dense": "Theo ngữ nghĩa", "bm25": "Theo từ khóa"}
MODE_CHOICES = [(_MODE_NAMES.get(m, m), m) for m in MODES]


def search_tab() -> dict:
    """Lay out the search tab; returns its components by name."""
    c: dict = {}
    with gr.Tab(VI["tab_search"], id="search"):
        with gr.Row():
            c["query"] = gr.Textbox(label=VI["search_query"], elem_id="search-query", scale=6, max_lines=1)
            c["button"] = gr.Button(VI["search"], variant="primary", elem_id="search-button", scale=1)
        with gr.Row():
            c["year_from"] = gr.Textbox(label=VI["year_from"], placeholder="vd. 2016", elem_id="year-from",
                                        max_lines=1, min_width=90)
            c["year_to"] = gr.Textbox(label=VI["year_to"], placeholder="vd. 2024", elem_id="year-to",
                                      max_lines=1, min_width=90)
            c["doc_type"] = gr.Dropdown([""], value="", label=VI["doc_type"], elem_id="search-type")
            c["issuer"] = gr.Dropdown([""], value="", label=VI["issuer"], elem_id="search-issuer")
        with gr.Row():
            c["mode"] = gr.Radio(MODE_CHOICES, value="hybrid", label=VI["mode"], elem_id="search-mode")
            c["view"] = gr.Radio([VI["view_list"], VI["view_timeline"]], value=VI["view_list"],
                                 label=VI["view"],
                                 elem_id="search-view")
        c["status"] = gr.Markdown(elem_id="search-status")
        with gr.Column(visible=True, elem_id="result-list") as c["list_box"]:
            c["results"] = gr.HTML(elem_id="search-results")
            with gr.Row():
                c["prev"] = gr.Button(VI["prev"], size="sm", elem_id="page-prev")
                c["next"] = gr.Button(VI["next"], size="sm", elem_id="page-next")
        c["timeline"] = gr.HTML(visible=False, elem_id="by-year")
        c["files"] = gr.File(label=VI["downloads"], file_count="multiple", interactive=False,
                             elem_id="export")
        c["hits"], c["page"], c["total"] = gr.State([]), gr.State(1), gr.State(0)
        c["browsing"] = gr.State(False)
    return c


def wire_search(search: Search, c: dict) -> None:
    """Connect the search tab's events."""
    private = {"api_visibility": "private"}
    inputs = [c[n] for n in ("query", "year_from", "year_to", "doc_type", "issuer", "mode", "view")]
    outputs = [c[n] for n in ("results", "timeline", "status", "files", "hits", "page", "total", "browsing")]
    for trigger in (c["button"].click, c["query"].submit):
        trigger(search.run, inputs, outputs, **private)
    paging = [c[n] for n in ("hits", "page", "total", "browsing")]
    shown = [c["results"], c["status"], c["page"]]
    c["prev"].click(lambda *a: search.turn_page(-1, *a), paging, shown, **private)
    c["next"].click(lambda *a: search.turn_page(1, *a), paging, shown, **private)

    def switch(view):
        timeline = view == VI["view_timeline"]
        return gr.Column(visible=not timeline), gr.HTML(visible=timeline)

    c["view"].change(switch, c["view"], [c["list_box"], c["timeline"]], **private)


def docs_tab(lib: Library) -> dict:
    """Lay out the documents tab; returns its components by name."""
    c: dict = {}
    with gr.Tab(VI["tab_docs"], id="docs") as c["tab"]:
        c["table"] = gr.Dataframe(headers=DOC_COLUMNS, value=[], interactive=False, wrap=True,
                                  elem_id="docs-table", label=VI["docs_table"])
        c["select"] = gr.Dropdown([], value=None, label=VI["view_doc"], elem_id="doc-select")
        c["viewer"] = gr.HTML(VI["pick_doc"], elem_id="viewer")
        c["status"] = gr.HTML(elem_id="upload-status")
        with gr.Group(visible=False, elem_id="manage") as c["manage"]:
            with gr.Row():
                c["upload"] = gr.File(label=VI["upload"], file_count="multiple",
                                      file_types=list(FILE_TYPES), elem_id="upload")
                c["upload_button"] = gr.Button(VI["upload_button"], elem_id="upload-button")
            with gr.Row():
                c["delete_select"] = gr.Dropdown([], value=None, label=VI["delete_select"],
                                                 elem_id="delete-select")
                c["confirm"] = gr.Checkbox(label=VI["delete_sure"], elem_id="delete-confirm")
                c["delete"] = gr.Button(VI["delete"], variant="stop", elem_id="delete-button")
            with gr.Row():
                c["trash"] = gr.Dropdown([], value=None, label=VI["trash"], elem_id="trash-select")
                c["restore"] = gr.Button(VI["restore"], elem_id="restore-button")
            with gr.Accordion(VI["edit_meta"], open=False, elem_id="edit-meta"):
                c["meta_doc"] = gr.Dropdown([], value=None, label=VI["meta_doc"], elem_id="meta-doc")
                with gr.Row():
                    c["meta_type"] = gr.Textbox(label=VI["doc_type"], elem_id="meta-type", max_lines=1)
                    c["meta_number"] = gr.Textbox(label=VI["meta_number"], elem_id="meta-number", max_lines=1)
                    c["meta_date"] = gr.Textbox(label=VI["meta_date"], elem_id="meta-date", max_lines=1)
                c["meta_issuer"] = gr.Textbox(label=VI["issuer"], elem_id="meta-issuer", max_lines=1)
                c["meta_title"] = gr.Textbox(label=VI["meta_title"], elem_id="meta-title", max_lines=1)
                c["meta_save"] = gr.Button(VI["meta_save"], elem_id="meta-save")
            with gr.Accordion(VI["feedback_table"], open=False, elem_id="feedback-admin"):
                c["feedback"] = gr.Dataframe(headers=FEEDBACK_COLUMNS, value=[], interactive=False, wrap=True,
                                             elem_id="feedback-table")
    return c


META = ("meta_type", "meta_number", "meta_date", "meta_issuer", "meta_title")


def wire_docs(app, h: Handlers, c: dict, refresh: list) -> None:
    """Connect the documents tab's events; ``refresh`` are the outputs of :meth:`Handlers.current`."""
    private = {"api_visibility": "private"}
    progress_default = gr.Progress()

    def on_upload(files, selected, request: gr.Request, progress=progress_default):
        return h.managed(request, h.add_uploads, files, progress, selected=selected)

    def on_delete(doc_id, sure, selected, request: gr.Request):
        return h.managed(request, h.delete_doc, doc_id, sure, selected=selected)

    def on_restore(entry, selected, request: gr.Request):
        return h.managed(request, h.restore_doc, entry, selected=selected)

    def on_load(selected, request: gr.Request):
        return h.current("", request, selected)

    # .input, not .change: only a user's pick re-renders the viewer, never a list refresh
    c["select"].input(lambda d: h.lib.viewer(d), c["select"], c["viewer"], **private)
    c["upload_button"].click(on_upload, [c["upload"], c["select"]], refresh, **private)
    c["delete"].click(on_delete, [c["delete_select"], c["confirm"], c["select"]], refresh, **private)
    c["restore"].click(on_restore, [c["trash"], c["select"]], refresh, **private)
    c["meta_doc"].input(h.metadata_of, c["meta_doc"], [c[n] for n in META], **private)

    def save_meta(doc_id, doc_type, number, date, issuer, title, selected, request: gr.Request):
        return h.managed(request, h.edit_metadata, doc_id, doc_type, number, date, issuer, title,
                         selected=selected)

    c["meta_save"].click(save_meta, [c["meta_doc"], *[c[n] for n in META], c["select"]], refresh, **private)
    # Every page load and every visit of the Văn bản tab sees the corpus as it is now.
    app.load(on_load, c["select"], refresh, **private)
    c["tab"].select(on_load, c["select"], refresh, **private)
