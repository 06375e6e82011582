"""What the page and the API do, bound to one :class:`~rag.app.library.Library`.

Gradio components appear here only as return values; the layout and the wiring are
:mod:`rag.app.ui`. Import after :func:`rag.app.server.prepare_environment`, like ``ui``.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from ..answer.compose import Answer
from ..answer.render import (
    answer_markdown,
    citation_card,
    hit_record,
    hit_rows,
    hits_by_year,
    hits_csv,
    md_text,
)
from ..limits import QuestionTooLongError
from .library import Access, Library
from .params import search_params
from .uploads import UploadRejected

NO_RIGHTS = "**Không có quyền:** chỉ quản trị viên được tải lên, xóa hoặc khôi phục văn bản."
PREVIEW_HINT = "<p>Bấm vào một trích dẫn để xem điều khoản đó trong văn bản, ngay tại đây.</p>"
NOT_READY = "Chỉ mục chưa sẵn sàng. {status} Vui lòng thử lại sau ít phút."


def message_text(content) -> str:
    """The text of a chat message as Gradio hands it back: a string, a part, or a list of parts.

    Gradio 6 returns the history's messages as lists of ``{"type": "text", "text": …}``
    parts, not as the strings it was given.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content).strip()
    return ""


def _user(request) -> str | None:
    return getattr(request, "username", None) if request is not None else None


class Handlers:
    """What the page and the API do, bound to one library (gradio components only as return values)."""

    def __init__(self, lib: Library, access: Access, exports) -> None:
        self.lib, self.access, self.exports = lib, access, exports

    def _require_index(self):
        """The live index, or an error saying the first build is still running."""
        if self.lib.index is None:
            raise gr.Error(NOT_READY.format(status=self.lib.status()))
        return self.lib.index

    def api_ask(self, question: str) -> tuple[str, str]:
        """Answer a question: (answer as Markdown, JSON of the answer with every citation)."""
        if not isinstance(question, str) or not question.strip():
            raise gr.Error("Câu hỏi trống / the question is empty.")
        self._require_index()
        try:
            answer = self.lib.index.answer(question)
        except QuestionTooLongError as exc:
            raise gr.Error(str(exc)) from None
        return answer_markdown(answer), json.dumps(answer.to_dict(), ensure_ascii=False)

    def api_search(self, query: str, year_from: int | None = None, year_to: int | None = None,
                   doc_type: str | None = None, issuer: str | None = None, mode: str = "hybrid",
                   k: int = 10) -> str:
        """Search clauses: JSON list of hits (rank, score, path, text, document metadata); k ≤ 100."""
        try:
            params = search_params(query, year_from, year_to, doc_type, issuer, mode, k)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        hits = self._require_index().search(params.pop("query"), **params)
        return json.dumps([hit_record(h) for h in hits], ensure_ascii=False)

    def current(self, message: str = "", request: gr.Request | None = None):
        """The document lists and controls as the corpus is now (every load and after every change)."""
        lib = self.lib
        ids, uploaded, trash = lib.document_ids(), lib.document_ids(uploaded_only=True), lib.trash()
        types, issuers = (lib.index.doc_types(), lib.index.issuers()) if lib.index is not None else ([], [])
        # The viewer's choice is kept (a click on a citation may have just set it).
        return (message, lib.documents_table(), gr.Dropdown(choices=ids),
                gr.Dropdown(choices=uploaded, value=None), gr.Dropdown(choices=trash, value=None),
                gr.Dropdown(choices=[""] + types), gr.Dropdown(choices=[""] + issuers),
                gr.Group(visible=self.access.can_manage(_user(request))), False)

    def chat_turn(self, text: str, history: list):
        """One question in the chat: the answer message, its cards, their ids, the box, the preview.

        A new answer empties the preview: it never shows a clause of an earlier answer.
        """
        text = (text or "").strip()
        if self.lib.index is None:  # the first build is still running: say so, keep the question
            gr.Warning(NOT_READY.format(status=self.lib.status()))
            return history, gr.Dataset(samples=[]), [], text, PREVIEW_HINT
        previous = next((message_text(m.get("content")) for m in reversed(history or [])
                         if m.get("role") == "user"), None)
        try:
            answer: Answer = self.lib.index.answer(text, previous=previous)
        except QuestionTooLongError as exc:
            gr.Warning(str(exc))
            return history, gr.Dataset(samples=[]), [], text, PREVIEW_HINT
        history = [*history, {"role": "user", "content": text or "…"},
                   {"role": "assistant", "content": answer_markdown(answer)}]
        samples = [[citation_card(c)] for c in answer.citations]
        ids = [(c.doc_id, c.clause_id) for c in answer.citations]
        return history, gr.Dataset(samples=samples), ids, "", PREVIEW_HINT

    def open_citation(self, index: int, ids: list) -> str:
        """A clicked card: its document beside the chat, the clause highlighted."""
        doc_id, clause_id = ids[index]
        return self.lib.viewer(doc_id, clause_id)

    def run_search(self, text, y1, y2, dtype, iss, m, group):
        """The search tab: table rows, the by-year view, the CSV export and a status line."""
        try:
            # An empty number box sends 0: no year filter.
            params = search_params(text or "", y1 or None, y2 or None, dtype, iss, m, 50)
        except ValueError as exc:
            return [], gr.Markdown(visible=False), None, f"**Lỗi:** {exc}"
        if self.lib.index is None:
            return [], gr.Markdown(visible=False), None, NOT_READY.format(status=self.lib.status())
        hits = self.lib.index.search(params.pop("query"), **params)
        path = self.exports.write("ket-qua-tra-cuu.csv", hits_csv(hits)) if hits else None
        return (hit_rows(hits), gr.Markdown(hits_by_year(hits), visible=bool(group)),
                str(path) if path else None, f"{len(hits)} kết quả")

    def managed(self, request, action, *args):
        """Run a corpus change for an administrator; anyone else, or a refusal, gets a message."""
        user = _user(request)
        if not self.access.can_manage(user):
            return self.current(NO_RIGHTS, request)
        try:
            message = action(user, *args)
        except UploadRejected as exc:
            message = f"**Từ chối:** {md_text(str(exc))}"
        return self.current(message, request)

    def add_uploads(self, user, files, progress):
        """Store and index uploaded files; a line per stored or refused file."""
        if not files:
            return "Chưa chọn tệp nào."
        progress(0.1, desc="Đang đọc và lập chỉ mục…")
        stored, rejected = self.lib.add_files([(Path(f), Path(f).name) for f in files], user=user)
        return "\n\n".join([f"**Đã thêm:** `{s}`" for s in stored]
                           + [f"**Từ chối:** {md_text(r)}" for r in rejected])

    def delete_doc(self, user, doc_id, sure):
        """Move an upload to the trash once confirmed."""
        if not doc_id or not sure:
            return "Chọn văn bản và đánh dấu xác nhận trước khi xóa."
        entry = self.lib.delete(doc_id, user=user)
        return f"Đã chuyển `{doc_id}` vào thùng rác (`{entry}`); có thể khôi phục."

    def restore_doc(self, user, entry):
        """Bring a trash entry back."""
        if not entry:
            return "Chọn một mục trong thùng rác."
        return f"Đã khôi phục `{self.lib.restore(entry, user=user)}`."
