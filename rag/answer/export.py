"""An answer or a whole conversation, with its citations, as Markdown and as a Word file.

Works on the stored form of a chat turn — ``{"question", "answer": Answer.to_dict(),
"filters"}`` — so a conversation reloaded from the data directory exports the same as a
live one. Each citation is written out in full: its label (document, date, issuer, clause
path) and the clause text.
"""

from __future__ import annotations

import io


def _direct(answer: dict) -> str:
    return " ".join(f"{s['text']} [{s['citation']}]" for s in answer.get("direct") or [])


def _filters_line(filters: dict | None) -> str:
    return "; ".join(f"{k}: {v}" for k, v in (filters or {}).items() if v)


def _citations(answer: dict) -> list[dict]:
    return list(answer.get("citations") or [])


def turns_markdown(turns: list[dict], title: str = "Hỏi đáp văn bản Đảng") -> str:
    """Markdown of the turns: each question, its answer and its citations in full."""
    lines = [f"# {title}", ""]
    for n, turn in enumerate(turns, 1):
        answer = turn.get("answer") or {}
        lines += [f"## {n}. {turn.get('question', '')}", ""]
        if _filters_line(turn.get("filters")):
            lines += [f"*Bộ lọc:* {_filters_line(turn.get('filters'))}", ""]
        if answer.get("refused"):
            lines += [answer["refused"], ""]
            continue
        if _direct(answer):
            lines += [f"**Trả lời:** {_direct(answer)}", ""]
        if answer.get("lead"):
            lines += [answer["lead"], ""]
        if _citations(answer):
            lines += ["**Trích dẫn:**", ""]
        for c in _citations(answer):
            lines += [f"[{c['rank']}] **{c['label']}**", "", f"> {' '.join(c['text'].split())}", ""]
    return "\n".join(lines).rstrip() + "\n"


def turns_docx(turns: list[dict], title: str = "Hỏi đáp văn bản Đảng") -> bytes:
    """A Word document of the turns (same content as :func:`turns_markdown`)."""
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    for n, turn in enumerate(turns, 1):
        answer = turn.get("answer") or {}
        doc.add_heading(f"{n}. {turn.get('question', '')}", level=2)
        if _filters_line(turn.get("filters")):
            doc.add_paragraph(f"Bộ lọc: {_filters_line(turn.get('filters'))}").runs[0].italic = True
        if answer.get("refused"):
            doc.add_paragraph(answer["refused"])
            continue
        if _direct(answer):
            para = doc.add_paragraph()
            para.add_run("Trả lời: ").bold = True
            para.add_run(_direct(answer))
        if answer.get("lead"):
            doc.add_paragraph(answer["lead"])
        for c in _citations(answer):
            para = doc.add_paragraph()
            para.add_run(f"[{c['rank']}] {c['label']}").bold = True
            doc.add_paragraph(" ".join(c["text"].split()), style="Intense Quote")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
