"""HTML and Markdown views of answers, hits and documents (no gradio here; the app shows them)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict

from ..index.rows import ChunkRow, DocRow
from ..records import Hit
from .compose import IMPLEMENTED_IN, Answer, Citation
from .labels import citation_label, clause_label, format_date
from .sentences import display_text

# Colours come from the theme's variables, so cards and the viewer follow light and dark mode
# (fixed light backgrounds under the dark theme's light text were unreadable); highlights keep
# their own dark text on yellow in both.
CSS = """
.cite-card, .doc-view {background:var(--background-fill-primary); color:var(--body-text-color);
                       border:1px solid var(--border-color-primary); border-radius:8px}
.cite-card {padding:10px 12px; margin:2px 0; text-align:left; cursor:pointer}
.cite-card *, .doc-view * {color:inherit}
.cite-card .cite-label {font-weight:600; color:#8b0000; margin-bottom:4px}
.dark .cite-card .cite-label {color:#ffb4a9}
.cite-card .cite-text {font-size:0.92em; line-height:1.45}
.cite-card .sent, .doc-view .clause.selected {background:#fff3cd; color:#1f2328}
mark.hl, .cite-card mark.hl, .doc-view mark.hl {background:#ffd33d; color:#1f2328; padding:0 1px}
.doc-view {max-height:640px; overflow-y:auto; padding:8px 14px}
.doc-view .clause {padding:3px 6px; margin:2px 0; border-left:3px solid transparent; white-space:pre-wrap}
.doc-view .clause .path, .doc-view .plain {color:#57606a}
.dark .doc-view .clause .path, .dark .doc-view .plain {color:#a9b3be}
.doc-view .clause .path {font-size:0.75em; margin-right:6px}
.doc-view .clause.selected {border-left-color:#8b0000}
.doc-view .clause.selected .path, .dark .doc-view .clause.selected .path {color:#57606a}
.doc-view .plain {white-space:pre-wrap}
"""


_MD_INLINE = re.compile(r"([\\`*_\[\]|~#])")
_WHITESPACE = re.compile(r"\s+")


def md_text(text: str | None) -> str:
    """``text`` as literal Markdown: HTML tags inert (``&lt;img…``), link and emphasis marks escaped.

    Document text comes from uploads and may carry ``<img onerror=…>`` or
    ``[x](javascript:…)``; everything a document says goes through here before it becomes
    Markdown, so it is shown, never run.
    """
    return _MD_INLINE.sub(r"\\\1", html.escape(_WHITESPACE.sub(" ", text or ""), quote=False))


def _marked_html(text: str, spans, sentences=()) -> str:
    """Escape ``text``, wrapping highlight spans in <mark> and key sentences in <span class=sent>."""
    events = sorted([(a, 0, "<span class='sent'>") for a, _ in sentences] +
                    [(b, 1, "</span>") for _, b in sentences] +
                    [(a, 2, "<mark class='hl'>") for a, _ in spans] +
                    [(b, -1, "</mark>") for _, b in spans])
    out, last = [], 0
    for position, _, tag in events:
        out += [html.escape(text[last:position]), tag]
        last = position
    return "".join(out) + html.escape(text[last:])


def citation_card(citation: Citation) -> str:
    """One clickable citation card: label, then the clause with its matches marked."""
    return (f"<div class='cite-card' data-clause='{html.escape(citation.clause_id, quote=True)}'>"
            f"<div class='cite-label'>[{citation.rank}] {html.escape(citation.label)}</div>"
            f"<div class='cite-text'>{_marked_html(citation.text, citation.highlights, citation.sentences)}"
            f"</div></div>")


def _sentence_md(sentence) -> str:
    """A direct-answer sentence with its figures and dates in bold (Markdown-escaped)."""
    out, last = [], 0
    for a, b in sentence.facts:
        out += [md_text(sentence.text[last:a]), "**", md_text(sentence.text[a:b]), "**"]
        last = b
    return "".join(out) + md_text(sentence.text[last:])


def answer_markdown(answer: Answer, list_citations: bool = True) -> str:
    """The answer as Markdown: the direct answer with its [n] sources, the lead, then the clauses best first.

    Args:
        answer: The answer.
        list_citations: List the cited clauses' labels (the web chat shows them as cards instead).
    """
    vi = answer.language == "vi"
    if answer.refused:
        return md_text(answer.refused)
    lines = []
    if answer.direct:
        lines.append(f"**{'Trả lời' if vi else 'Answer'}:** "
                     + " ".join(f"{_sentence_md(s)} [{s.citation}]" for s in answer.direct))
        lines.append("")
    lines += [md_text(answer.lead), ""]
    if answer.implemented_in:  # the chat has no cards for these: they are listed in every view
        lines += [f"*{IMPLEMENTED_IN[vi]}:*"] + [
            f"- [{c.rank}] {md_text(c.label)}: {md_text(c.text[:200])}{'…' if len(c.text) > 200 else ''}"
            for c in answer.implemented_in]
        lines.append("")
    if not list_citations:
        return "\n".join(lines).strip()
    if answer.found:
        lines += [f"{c.rank}. **{md_text(c.label)}**" for c in answer.citations]
    else:
        lines.append(f"*{'Có thể liên quan:' if vi else 'Possibly related:'}*")
        lines += [f"- [{c.rank}] {md_text(c.label)}" for c in answer.related]
    return "\n".join(lines).strip()


HIT_COLUMNS = ["hạng", "điểm", "ngày", "loại", "số", "cơ quan ban hành", "mục", "nội dung", "tệp"]


def hit_record(hit: Hit) -> dict:
    """A hit as the HTTP API and ``rag search --json`` give it: its fields plus the citation ``label``."""
    return {**hit.to_dict(), "label": citation_label(hit)}


def hit_rows(hits: list[Hit]) -> list[list]:
    """Table rows for the search tab."""
    return [[h.rank, round(h.score, 4), h.date or "", h.doc_type or "", h.number or "", h.issuer or "",
             h.path, " ".join(h.text.split()), h.source] for h in hits]


def hits_csv(hits: list[Hit]) -> str:
    """CSV export of hits (UTF-8 with BOM for spreadsheet programs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "score", "dense_score", "bm25_score", "date", "year", "doc_type", "number",
                     "issuer", "title", "path", "text", "source", "chunk_id"])
    for h in hits:
        writer.writerow([h.rank, h.score, h.dense_score, h.bm25_score, h.date, h.year, h.doc_type, h.number,
                         h.issuer, h.title, h.path, h.text, h.source, h.chunk_id])
    return "\ufeff" + buffer.getvalue()


def hits_by_year(hits: list[Hit]) -> str:
    """Markdown of hits grouped by year, newest year first."""
    by_year: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        by_year[str(h.year) if h.year else "không rõ năm"].append(h)
    lines = []
    for year in sorted(by_year, reverse=True):
        lines.append(f"### {year}")
        for h in by_year[year]:
            text = " ".join(h.text.split())
            lines.append(f"- **{md_text(citation_label(h))}**: {md_text(text[:300])}"
                         f"{'…' if len(text) > 300 else ''}")
    return "\n".join(lines) or "_Không có kết quả._"


def mark_phrases(text: str, phrases) -> str:
    """``text`` escaped, each occurrence of a phrase (case ignored) in ``<mark class='hl'>``."""
    spans, taken = [], [False] * len(text)
    for phrase in sorted({" ".join(p.split()) for p in phrases if p and p.strip()}, key=len, reverse=True):
        pattern = r"\s+".join(re.escape(word) for word in phrase.split())
        for match in re.finditer(pattern, text, re.IGNORECASE):
            a, b = match.span()
            if not any(taken[a:b]):
                spans.append((a, b))
                taken[a:b] = [True] * (b - a)
    return _marked_html(text, sorted(spans))


def ocr_note(doc: DocRow) -> str:
    """The viewer's line about a document read by OCR: pages, mean confidence, pages to check."""
    from ..ingest.ocr import ocr_summary

    note = ocr_summary(doc.ocr)
    return f"<p class='ocr-note'>Văn bản {html.escape(note[0].lower() + note[1:])}</p>" if note else ""


def document_html(doc: DocRow, chunks: list[ChunkRow], selected: str | None = None, *,
                  marks: tuple[str, ...] = (), link: tuple[str, str] | None = None,
                  related: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()) -> str:
    """The whole document with one anchor per clause; the ``selected`` clause id is highlighted.

    Args:
        doc: The document.
        chunks: Its chunks.
        selected: The clause id to highlight (and to mark ``marks`` in).
        marks: Phrases of the question to mark in the selected clause.
        link: ``(url, text)`` of a link to the original file, shown under the heading.
        related: Lines of links to other documents under the heading, ``(title, ((url, text), …))``
            — "Căn cứ / thực hiện", "Được cụ thể hóa bởi" (:func:`rag.answer.links.link_lines`);
            empty lines are left out.
    """
    text = doc.text or ""
    head = " · ".join(html.escape(str(v)) for v in (doc.doc_type, doc.number, doc.issuer,
                                                    format_date(doc.date)) if v)
    out = [f"<div class='doc-view' id='doc-view'><h3>{html.escape(doc.title or doc.id)}</h3>"
           f"<p>{head}</p>"]
    if link:
        out.append(f"<p class='original'><a href='{html.escape(link[0], quote=True)}' target='_blank' "
                   f"rel='noopener'>{html.escape(link[1])}</a></p>")
    for title, targets in related:
        if targets:
            items = ", ".join(f"<a href='{html.escape(url, quote=True)}' target='_blank' rel='noopener'>"
                              f"{html.escape(text)}</a>" for url, text in targets)
            out.append(f"<p class='doc-links'>{html.escape(title)}: {items}</p>")
    if doc.ocr:
        out.append(ocr_note(doc))
    low = set(doc.low_confidence_pages)
    cursor = 0
    for n, chunk in enumerate(sorted(chunks, key=lambda c: c.start)):
        start, end = max(chunk.start, cursor), chunk.end
        if start > cursor and text[cursor:start].strip():
            out.append(f"<div class='plain'>{html.escape(display_text(text[cursor:start].strip()))}</div>")
        classes = "clause selected" if selected and chunk.clause_id == selected else "clause"
        if chunk.page in low:
            classes += " low-ocr"
        anchor = html.escape(chunk.clause_id, quote=True)
        # The path as a reader says it ("đoạn 1, phần I", not "I¶1"); the raw path stays in data-clause.
        label = clause_label(chunk.path, chunk.label) if chunk.path else ""
        body = display_text(text[start:end] if end > start else chunk.text)
        body = mark_phrases(body, marks) if marks and "selected" in classes else html.escape(body)
        warn = (f" title='Trang {chunk.page} đọc bằng OCR, độ tin cậy {doc.ocr[chunk.page - 1]:.0f}%: "
                f"đối chiếu bản gốc'" if chunk.page in low else "")
        out.append(f"<div class='{classes}' id='clause-{n}' data-clause='{anchor}'{warn}>"
                   f"<span class='path'>{html.escape(label)}</span>{body}</div>")
        cursor = max(cursor, end)
    if text[cursor:].strip():
        out.append(f"<div class='plain'>{html.escape(display_text(text[cursor:].strip()))}</div>")
    out.append("</div>")
    return "".join(out)
