"""What the HTTP API and the Văn bản tab do, bound to one :class:`~rag.app.library.Library`.

The chat is :mod:`rag.app.chat`, the search tab :mod:`rag.app.searching`. Gradio components
appear here only as return values; the layout and the wiring are :mod:`rag.app.ui`.
Import after :func:`rag.app.server.prepare_environment`, like ``ui``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import gradio as gr

from ..answer.render import answer_markdown, hit_record
from ..limits import QuestionTooLongError
from .feedback import FeedbackLog
from .filters import ChatFilters
from .library import EDITABLE, Access, Library
from .params import search_params
from .texts import VI, parse_date_vi, reason_vi
from .uploads import UploadRejected


def badge(kind: str, text: str) -> str:
    """A status line with a coloured label drawn by CSS (no emoji font needed)."""
    label = VI["added"] if kind == "ok" else VI["refused"]
    return f"<div class='status-line'><span class='badge {kind}'>{label}</span> {html.escape(text)}</div>"


def _user(request) -> str | None:
    return getattr(request, "username", None) if request is not None else None


class Handlers:
    """What the page and the API do, bound to one library (gradio components only as return values)."""

    def __init__(self, lib: Library, access: Access, exports, feedback: FeedbackLog | None = None) -> None:
        self.lib, self.access, self.exports = lib, access, exports
        self.feedback = feedback or FeedbackLog(lib.data.feedback)

    def _require_index(self):
        """The live index, or an error saying the first build is still running."""
        if self.lib.index is None:
            raise gr.Error(VI["not_ready"].format(status=self.lib.status()))
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

    def current(self, message: str = "", request: gr.Request | None = None, selected: str | None = None):
        """The document lists and controls as the corpus is now (every load and after every change).

        In the order of :data:`rag.app.ui.REFRESH`; the viewer shows ``selected`` if it is still there.
        """
        lib = self.lib
        ids, uploaded, trash = lib.document_ids(), lib.document_ids(uploaded_only=True), lib.trash()
        types, issuers = (lib.index.doc_types(), lib.index.issuers()) if lib.index is not None else ([], [])
        selected = selected if selected in ids else None
        admin = self.access.can_manage(_user(request))
        docs, chat_types, chat_issuers = ChatFilters(lib).controls()
        return (message, lib.documents_table(), gr.Dropdown(choices=ids, value=selected),
                lib.viewer(selected) if selected else VI["pick_doc"],
                gr.Dropdown(choices=uploaded, value=None), gr.Dropdown(choices=trash, value=None),
                gr.Dropdown(choices=[""] + types), gr.Dropdown(choices=[""] + issuers),
                gr.Group(visible=admin), False, docs, chat_types, chat_issuers,
                gr.Dropdown(choices=ids), self.feedback.table() if admin else [])

    def managed(self, request, action, *args, selected=None):
        """Run a corpus change for an administrator; anyone else, or a refusal, gets a message."""
        user = _user(request)
        if not self.access.can_manage(user):
            return self.current(badge("no", VI["no_rights"]), request, selected)
        try:
            message = action(user, *args)
        except UploadRejected as exc:
            message = badge("no", reason_vi(str(exc)))
        return self.current(message, request, selected)

    def add_uploads(self, user, files, progress):
        """Store and index uploaded files; a line per stored or refused file."""
        if not files:
            return badge("no", VI["no_files"])
        progress(0.1, desc="Đang đọc và lập chỉ mục…")
        stored, rejected = self.lib.add_files([(Path(f), Path(f).name) for f in files], user=user)
        return "".join([badge("ok", s) for s in stored] + [badge("no", reason_vi(r)) for r in rejected])

    def delete_doc(self, user, doc_id, sure):
        """Move an upload to the trash once confirmed."""
        if not doc_id or not sure:
            return badge("no", VI["pick_and_confirm"])
        entry = self.lib.delete(doc_id, user=user)
        return badge("ok", VI["deleted"].format(doc=doc_id, entry=entry))

    def restore_doc(self, user, entry):
        """Bring a trash entry back."""
        if not entry:
            return badge("no", VI["pick_trash"])
        return badge("ok", VI["restored"].format(doc=self.lib.restore(entry, user=user)))

    def metadata_of(self, doc_id: str | None):
        """The editable fields of a document, to fill the form (blank when none is chosen)."""
        doc = self.lib.index.backend.document(doc_id) if doc_id and self.lib.index is not None else None
        if doc is None:
            return ("",) * len(EDITABLE)
        from ..answer.labels import format_date

        return tuple(format_date(doc.date) if name == "date" else (getattr(doc, name) or "")
                     for name in EDITABLE)

    def edit_metadata(self, user, doc_id, *values):
        """Save corrected metadata of a document (a date as 11/10/2024) and re-index it."""
        if not doc_id:
            return badge("no", VI["meta_doc"])
        fields = dict(zip(EDITABLE, (str(v or "").strip() for v in values), strict=True))
        if fields["date"]:
            iso = parse_date_vi(fields["date"])
            if iso is None:
                return badge("no", VI["meta_bad_date"].format(value=fields["date"]))
            fields["date"] = iso
        self.lib.edit_metadata(doc_id, fields, user=user)
        return badge("ok", VI["meta_saved"].format(doc=doc_id))
