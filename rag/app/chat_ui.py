"""The Hỏi đáp tab: history, filters with chips, the chat, export and feedback; sources beside it.

Layout and wiring only; what happens is :class:`rag.app.chat.Chat`.
"""

from __future__ import annotations

import gradio as gr

from ..limits import MAX_QUESTION_CHARS
from .chat import Chat
from .texts import VI

EXAMPLES = [
    "nhiệm vụ chống khai thác IUU",
    "Which tasks concern IUU fishing?",
    "chong khai thac hai san bat hop phap",
    "Chương trình OCOP được chỉ đạo thế nào?",
    "Đảng viên được miễn sinh hoạt đảng trong trường hợp nào?",
    "Mục tiêu của Nghị quyết 57 đến năm 2030",
]
# After an answer the chat shows the answer's first line, not its end.
SCROLL_TO_ANSWER = ("() => {setTimeout(() => {const m = document.querySelectorAll("
                    "'#chatbot .message-row.bot-row, #chatbot .message.bot'); const last = m[m.length - 1];"
                    " if (last) last.scrollIntoView({block: 'start', behavior: 'instant'});}, 100)}")
SCROLL_TO_CLAUSE = ("() => {setTimeout(() => document.querySelector('#preview .selected')"
                    "?.scrollIntoView({block: 'nearest'}), 300)}")


def _history() -> dict:
    with gr.Accordion(VI["history"], open=False, elem_id="history-box"):
        history = gr.Radio([], label=VI["history_list"], elem_id="history")
        with gr.Row():
            new = gr.Button(VI["new_chat"], size="sm", elem_id="new-chat")
            delete = gr.Button(VI["delete_chat"], size="sm", variant="stop", elem_id="delete-chat")
        with gr.Row():
            title = gr.Textbox(label=VI["rename_to"], elem_id="rename-to", scale=3, max_lines=1)
            rename = gr.Button(VI["rename"], size="sm", elem_id="rename-chat", scale=1)
    return {"history": history, "new": new, "delete": delete, "title": title, "rename": rename}


def _filters() -> dict:
    with gr.Accordion(VI["filters"], open=False, elem_id="chat-filters"):
        docs = gr.Dropdown([], multiselect=True, label=VI["filter_docs"], elem_id="filter-docs")
        with gr.Row():
            year_from = gr.Textbox(label=VI["year_from"], placeholder="vd. 2016", elem_id="filter-from",
                                   max_lines=1, min_width=90)
            year_to = gr.Textbox(label=VI["year_to"], placeholder="vd. 2024", elem_id="filter-to",
                                 max_lines=1, min_width=90)
            doc_type = gr.Dropdown([""], value="", label=VI["doc_type"], elem_id="filter-type")
            issuer = gr.Dropdown([""], value="", label=VI["issuer"], elem_id="filter-issuer")
    return {"docs": docs, "year_from": year_from, "year_to": year_to, "doc_type": doc_type, "issuer": issuer}


def _actions() -> dict:
    with gr.Accordion(VI["export"] + " · " + VI["rate"], open=False, elem_id="chat-actions"):
        with gr.Row():
            answer_docx = gr.Button(VI["export_answer_docx"], size="sm", elem_id="export-answer-docx")
            chat_docx = gr.Button(VI["export_chat_docx"], size="sm", elem_id="export-chat-docx")
            chat_md = gr.Button(VI["export_chat_md"], size="sm", elem_id="export-chat-md")
        exported = gr.File(label=VI["export_file"], elem_id="chat-export", interactive=False)
        comment = gr.Textbox(label=VI["comment"], elem_id="feedback-comment", lines=2)
        with gr.Row():
            up = gr.Button(VI["rate_up"], size="sm", elem_id="rate-up")
            down = gr.Button(VI["rate_down"], size="sm", elem_id="rate-down")
            wrong = gr.Button(VI["rate_wrong"], size="sm", elem_id="rate-wrong")
    return {"answer_docx": answer_docx, "chat_docx": chat_docx, "chat_md": chat_md, "exported": exported,
            "comment": comment, "up": up, "down": down, "wrong": wrong}


def chat_tab() -> dict:
    """Lay out the chat tab; returns its components by name."""
    with gr.Tab(VI["tab_chat"], id="chat"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                c = _history()
                c.update(_filters())
                c["chips"] = gr.Dropdown([], value=[], multiselect=True, label=VI["chips"], visible=False,
                                         elem_id="filter-chips", interactive=True)
                c["chatbot"] = gr.Chatbot(label=VI["chat_label"], elem_id="chatbot", height=560,
                                          autoscroll=False,
                                          placeholder=VI["chat_placeholder"], buttons=["copy", "copy_all"],
                                          feedback_options=["Like", "Dislike", VI["rate_wrong"]])
                with gr.Row():
                    c["question"] = gr.Textbox(label=VI["question"], elem_id="question", scale=8, lines=2,
                                               max_lines=6, max_length=MAX_QUESTION_CHARS,
                                               placeholder=VI["question_placeholder"])
                    c["ask"] = gr.Button(VI["ask"], variant="primary", elem_id="ask-button", scale=1)
                gr.Examples(EXAMPLES, inputs=c["question"], label=VI["examples"])
                c.update(_actions())
            with gr.Column(scale=2, min_width=340):
                c["cards"] = gr.Dataset(components=[gr.HTML(visible=False)], samples=[], type="index",
                                        label=VI["cards"], elem_id="citations", samples_per_page=10)
                c["preview"] = gr.HTML(VI["preview_hint"], elem_id="preview")
                with gr.Accordion(VI["details"], open=False, elem_id="details"):
                    c["details"] = gr.Markdown(VI["details_empty"])
        c["cited"], c["pending"], c["conversation"] = gr.State([]), gr.State(""), gr.State("")
        c["browser"] = gr.BrowserState("", storage_key="rag-browser")
    return c


FILTERS = ("docs", "year_from", "year_to", "doc_type", "issuer")


def wire_chat(app, chat: Chat, c: dict, user_of) -> None:
    """Connect the chat tab's events to :class:`Chat`; ``user_of(request)`` names a logged-in user."""
    private = {"api_visibility": "private"}
    filters = [c[n] for n in FILTERS]
    shown = [c[n] for n in ("conversation", "chatbot", "history", "cards", "cited", "preview", "details")]
    # body[data-chat-ready] says the browser's conversation is loaded (tests and scripts wait for it).
    app.load(chat.open_page, c["browser"], [c["browser"], *shown], **private).then(
        None, js="() => {document.body.dataset.chatReady = '1'}")
    for trigger in (c["ask"].click, c["question"].submit):
        trigger(chat.echo, [c["question"], c["chatbot"], c["browser"], c["conversation"]],
                [c["chatbot"], c["question"], c["pending"], c["browser"], c["conversation"]],
                **private).success(
            chat.answer, [c["pending"], c["chatbot"], c["browser"], c["conversation"], *filters],
            [c["chatbot"], c["cards"], c["cited"], c["preview"], c["details"], c["history"]], **private).then(
            None, js=SCROLL_TO_ANSWER)
    # A card opens its clause beside the chat, scrolled into view: no tab switch.
    c["cards"].click(chat.open_citation, [c["cards"], c["cited"]], c["preview"], **private).then(
        None, js=SCROLL_TO_CLAUSE)
    for control in filters:
        control.change(chat.filters.chips, filters, c["chips"], **private)
    c["chips"].input(chat.filters.drop, [c["chips"], *filters], [*filters, c["chips"]], **private)
    c["history"].input(chat.show, [c["browser"], c["history"]], shown, **private)
    c["new"].click(chat.new, c["browser"], shown, **private)
    c["chatbot"].clear(chat.new, c["browser"], shown, **private)  # the chat's own trash icon: a new chat
    c["delete"].click(chat.delete, [c["browser"], c["conversation"]], shown, **private)
    c["rename"].click(chat.rename, [c["browser"], c["conversation"], c["title"]], [c["history"], c["title"]],
                      **private)
    for button, what in (("answer_docx", "answer"), ("chat_docx", "docx"), ("chat_md", "md")):
        c[button].click(lambda b, v, w=what: chat.export(w, b, v), [c["browser"], c["conversation"]],
                        c["exported"], **private)
    for button, rating in (("up", "up"), ("down", "down"), ("wrong", "wrong-citation")):
        def rate(comment, browser, conversation, request: gr.Request, r=rating):
            return chat.rate(r, comment, browser, conversation, user_of(request))

        c[button].click(rate, [c["comment"], c["browser"], c["conversation"]], c["comment"], **private)

    def like(data: gr.LikeData, comment, browser, conversation, request: gr.Request):
        return chat.like(data, comment, browser, conversation, user_of(request))

    c["chatbot"].like(like, [c["comment"], c["browser"], c["conversation"]], c["comment"], **private)
