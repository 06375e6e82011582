"""Search results for reading: a paged list, a by-year timeline and spreadsheet export (no gradio).

The Tra cứu tab shows whole clauses — label, document, year, full text — not table cells,
so it reads on a phone; scores stay out of it (the CSV and .xlsx keep them).
"""

from __future__ import annotations

import html
import io
from collections import defaultdict

from ..records import Hit
from .labels import citation_label, format_date

PER_PAGE = 10
# A search lists the clauses that match the query, not every clause the ranking reaches:
# a hit stays when its dense similarity is within DENSE_MARGIN of the best one, or its BM25
# score is at least LEXICAL_SHARE of the best BM25 score.
DENSE_MARGIN = 0.025
LEXICAL_SHARE = 0.5


def relevant(hits: list[Hit]) -> list[Hit]:
    """The hits close enough to the best one to list (all of them when there are no scores)."""
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    lexical = [h.bm25_score for h in hits if h.bm25_score]
    if not dense and not lexical:
        return hits
    top_dense, top_lexical = max(dense, default=None), max(lexical, default=None)
    def close(h: Hit) -> bool:
        if top_dense is not None and h.dense_score is not None and h.dense_score >= top_dense - DENSE_MARGIN:
            return True
        return bool(top_lexical and h.bm25_score and h.bm25_score >= LEXICAL_SHARE * top_lexical)

    kept = [h for h in hits if close(h)]
    return [_renumber(h, n) for n, h in enumerate(kept, 1)]


def _renumber(hit: Hit, rank: int) -> Hit:
    from dataclasses import replace

    return hit if hit.rank == rank else replace(hit, rank=rank)


def pages(count: int, per_page: int = PER_PAGE) -> int:
    """Number of pages for ``count`` results (at least 1)."""
    return max(1, -(-count // per_page))


def result_html(hit: Hit) -> str:
    """One result: the citation label, the document's title, the year, the whole clause text."""
    doc = " · ".join(html.escape(v) for v in (hit.title or "", format_date(hit.date) or "") if v)
    return (f"<div class='result' data-clause='{html.escape(hit.clause_id, quote=True)}'>"
            f"<div class='cite-label'>{hit.rank}. {html.escape(citation_label(hit))}</div>"
            f"<div class='result-doc'>{doc}</div>"
            f"<div class='result-text'>{html.escape(' '.join(hit.text.split()))}</div></div>")


def results_html(hits: list[Hit], page: int = 1, per_page: int = PER_PAGE) -> str:
    """Page ``page`` (1-based) of the results as HTML."""
    start = (max(1, page) - 1) * per_page
    shown = hits[start:start + per_page]
    if not shown:
        return "<div class='results'><p>Không có kết quả.</p></div>"
    return "<div class='results'>" + "".join(result_html(h) for h in shown) + "</div>"


def clause_item(hit: Hit) -> str:
    """A by-year list item: the citation label and the clause's first 240 characters."""
    text = " ".join(hit.text.split())
    opening = text if len(text) <= 240 else text[:239].rstrip() + "…"
    return f"<li><b>{html.escape(citation_label(hit))}</b>: {html.escape(opening)}</li>"


def timeline_html(hits: list[Hit]) -> str:
    """The results by year, newest first: each year's count, then its clauses' labels and openings."""
    by_year: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        by_year[str(h.year) if h.year else "Không rõ năm"].append(h)
    if not by_year:
        return "<div class='timeline'><p>Không có kết quả.</p></div>"
    out = ["<div class='timeline'>"]
    for year in sorted(by_year, reverse=True):
        items = by_year[year]
        out.append(f"<div class='year'><h4>{html.escape(year)} <span class='count'>({len(items)} điều khoản)"
                   f"</span></h4><ul>")
        out += [clause_item(h) for h in items]
        out.append("</ul></div>")
    return "".join(out) + "</div>"


XLSX_COLUMNS = ["Hạng", "Điểm", "Ngày", "Năm", "Loại", "Số", "Cơ quan ban hành", "Tiêu đề", "Mục",
                "Trích dẫn", "Nội dung", "Tệp"]


def hits_xlsx(hits: list[Hit]) -> bytes:
    """An Excel workbook of the results (one row per clause, full text)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Kết quả"
    sheet.append(XLSX_COLUMNS)
    for h in hits:
        sheet.append([h.rank, round(h.score, 6), h.date or "", h.year or "", h.doc_type or "", h.number or "",
                      h.issuer or "", h.title or "", h.path, citation_label(h), h.text, h.source])
    for column, width in zip("ABCDEFGHIJKL", (6, 9, 11, 6, 12, 14, 28, 40, 10, 40, 100, 30), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
