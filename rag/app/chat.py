"""The chat: questions with filters, answers with cards, history per browser, export and feedback.

Gradio components appear only as return values; the layout and wiring are
:mod:`rag.app.chat_ui`. A turn is stored as ``{"question", "answer": Answer.to_dict(),
"markdown", "filters"}`` in the browser's conversation (:mod:`rag.app.conversations`), so
a reload, a restart and an export all see the same answer.
"""

from __future__ import annotations

import dataclasses

import gradio as gr

from ..answer.compose import Citation
from ..answer.export import turns_docx, turns_markdown
from ..answer.render import answer_markdown, citation_card, md_text
from ..limits import QuestionTooLongError, check_question
from .conversations import ConversationStore, new_id, valid_id
from .feedback import FeedbackLog
from .filters import ChatFilters
from .texts import VI

_CITATION_FIELDS = {f.name for f in dataclasses.fields(Citation)}


def citation_of(data: dict) -> Citation:
    """A stored citation (JSON) back as a :class:`Citation`."""
    fields = {k: v for k, v in data.items() if k in _CITATION_FIELDS}
    for name in ("highlights", "sentences"):
        fields[name] = tuple(tuple(span) for span in fields.get(name) or ())
    fields["headings"] = tuple(fields.get("headings") or ())
    return Citation(**fields)


def cards_of(turn: dict | None):
    """The citation cards of a turn and, for each, (document id, clause id, phrases to mark)."""
    citations = [citation_of(c) for c in ((turn or {}).get("answer") or {}).get("citations", [])]
    cited = [(c.doc_id, c.clause_id, [c.text[a:b] for a, b in c.highlights]) for c in citations]
    return gr.Dataset(samples=[[citation_card(c)] for c in citations]), cited


def details_markdown(turn: dict | None, model: str) -> str:
    """The technical side of an answer, for the "Chi tiết" expander: scores, confidence, model."""
    answer = (turn or {}).get("answer")
    if not answer:
        return VI["details_empty"]
    lines = [f"- Mô hình: `{md_text(model)}`", f"- Độ tin cậy: {answer.get('confidence', 0):.3f}"]
    if answer.get("read_with"):
        lines.append(f"- Đọc kèm câu hỏi trước: {md_text(answer['read_with'])}")
    for c in answer.get("citations", []):
        lines.append(f"- [{c['rank']}] điểm {c['score']:.4f} · `{md_text(c['chunk_id'])}`")
    return "\n".join(lines)


def messages_of(turns: list[dict]) -> list[dict]:
    """Chat messages of stored turns."""
    out = []
    for turn in turns:
        out += [{"role": "user", "content": turn["question"]},
                {"role": "assistant", "content": turn["markdown"]}]
    return out


class Chat:
    """What the chat does, bound to a library, a conversation store and a feedback log."""

    def __init__(self, lib, store: ConversationStore, feedback: FeedbackLog, exports) -> None:
        self.lib, self.store, self.feedback, self.exports = lib, store, feedback, exports
        self.filters = ChatFilters(lib)

    # -- conversations ----------------------------------------------------------------
    def history_choices(self, browser: str, current: str | None):
        """The saved conversations as radio choices, ``current`` selected."""
        choices = [(c["title"], c["id"]) for c in self.store.list(browser)] if valid_id(browser) else []
        if current and current not in {c for _, c in choices}:
            choices.insert(0, (VI["untitled"], current))
        return gr.Radio(choices=choices, value=current)

    def open_page(self, browser):
        """A page load: the browser's id (made on its first visit) and its latest conversation."""
        browser = browser if valid_id(browser) else new_id()
        latest = self.store.list(browser)
        return (browser, *self.show(browser, latest[0]["id"] if latest else new_id()))

    def show(self, browser: str, conversation: str):
        """Switch to a conversation: its id, messages, the history list, cards, preview, details."""
        if not valid_id(conversation):
            conversation = new_id()
        turns = self.store.load(browser, conversation).get("turns", []) if valid_id(browser) else []
        cards, cited = cards_of(turns[-1] if turns else None)
        return (conversation, messages_of(turns), self.history_choices(browser, conversation), cards, cited,
                VI["preview_hint"], details_markdown(turns[-1] if turns else None, self._model()))

    def new(self, browser: str):
        """Start an empty conversation (it is saved with its first question)."""
        return self.show(browser, new_id())

    def rename(self, browser: str, conversation: str, title: str):
        """Rename the current conversation; returns the history list and an empty name box."""
        if valid_id(browser) and valid_id(conversation):
            self.store.rename(browser, conversation, title or "")
        return self.history_choices(browser, conversation), ""

    def delete(self, browser: str, conversation: str):
        """Delete the current conversation and open the latest remaining one (or a new one)."""
        if valid_id(browser) and valid_id(conversation):
            self.store.delete(browser, conversation)
        latest = self.store.list(browser) if valid_id(browser) else []
        return self.show(browser, latest[0]["id"] if latest else new_id())

    def _model(self) -> str:
        return self.lib.index.model_name if self.lib.index is not None else ""

    # -- asking -------------------------------------------------------------------------
    def echo(self, text: str, history: list, browser: str = "", conversation: str = ""):
        """Show the question at once (with a "searching" line); refuse an empty or too long one.

        Returns the chat, the emptied box, the question, and the browser's and conversation's
        ids (made here when the page had not yet received them).
        """
        text = (text or "").strip()
        if not text:
            raise gr.Error(VI["empty_question"])
        try:
            check_question(text)
        except QuestionTooLongError as exc:
            raise gr.Error(str(exc).split(" (")[0]) from None
        if self.lib.index is None:
            raise gr.Error(VI["not_ready"].format(status=self.lib.status()))
        history = [*(history or []), {"role": "user", "content": text},
                   {"role": "assistant", "content": VI["thinking"]}]
        return (history, "", text, browser if valid_id(browser) else new_id(),
                conversation if valid_id(conversation) else new_id())

    def answer(self, text: str, history: list, browser: str, conversation: str, *filter_values):
        """Answer the echoed question with the chat's filters; store the turn; show its cards."""
        filters = self.filters.arguments(*filter_values)
        turns = self.store.load(browser, conversation).get("turns", []) if valid_id(browser) else []
        previous = turns[-1]["question"] if turns else None
        answer = self.lib.index.answer(text, previous=previous, **filters)
        shown = self.filters.describe(*filter_values)
        markdown = answer_markdown(answer, list_citations=False)
        if shown:
            markdown = f"*{VI['filters_applied']}: {md_text(' · '.join(shown))}*\n\n{markdown}"
        turn = {"question": text, "answer": answer.to_dict(), "markdown": markdown,
                "filters": dict(zip(("văn bản", "từ năm", "đến năm", "loại", "cơ quan"),
                                    (", ".join(filter_values[0] or []), *filter_values[1:]), strict=True))}
        if valid_id(browser) and valid_id(conversation):
            self.store.add_turn(browser, conversation, turn)
        history = [*history[:-1], {"role": "assistant", "content": markdown}]
        cards, cited = cards_of(turn)
        return (history, cards, cited, VI["preview_hint"], details_markdown(turn, self._model()),
                self.history_choices(browser, conversation))

    def open_citation(self, index: int, cited: list) -> str:
        """A clicked card: its document beside the chat, the clause highlighted, its matches marked."""
        doc_id, clause_id, marks = cited[index]
        return self.lib.viewer(doc_id, clause_id, tuple(marks))

    # -- export and feedback ------------------------------------------------------------
    def export(self, what: str, browser: str, conversation: str):
        """The last answer (``answer``) or the conversation (``docx``/``md``) as a file to download."""
        data = self.store.load(browser, conversation) if valid_id(browser) else {}
        turns = data.get("turns", [])
        if not turns:
            gr.Warning(VI["nothing_to_export"])
            return None
        title = data.get("title") or VI["title"]
        if what == "md":
            return str(self.exports.write("hoi-dap.md", turns_markdown(turns, title)))
        chosen = turns[-1:] if what == "answer" else turns
        name = "cau-tra-loi.docx" if what == "answer" else "hoi-dap.docx"
        return str(self.exports.write(name, turns_docx(chosen, title)))

    def rate(self, rating: str, comment: str, browser: str, conversation: str, who: str | None = None,
             turn_number: int | None = None):
        """Record a rating of an answer (the last one unless ``turn_number``); returns an empty comment."""
        turns = self.store.load(browser, conversation).get("turns", []) if valid_id(browser) else []
        if not turns:
            gr.Warning(VI["nothing_to_rate"])
            return comment
        turn = turns[turn_number] if turn_number is not None and 0 <= turn_number < len(turns) else turns[-1]
        self.feedback.record(rating, turn, comment=comment or "", who=who or browser)
        gr.Info(VI["thanks"])
        return ""

    def like(self, data: gr.LikeData, comment: str, browser: str, conversation: str, who: str | None = None):
        """The chat's own per-message buttons: thumbs up/down, or "Trích dẫn sai"."""
        value = data.liked
        rating = "up" if value is True else "down" if value is False else (
            "wrong-citation" if value == VI["rate_wrong"] else None)
        if rating is None:  # a thumb clicked off again
            return comment
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        return self.rate(rating, comment, browser, conversation, who, turn_number=int(index) // 2)
