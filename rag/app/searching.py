"""The Tra cứu tab: a query and/or filters to a paged result list, a by-year view and exports.

With a query, the clauses that match it (:func:`rag.answer.listing.relevant`) and, by year,
the best clauses of each year and issuer (:mod:`rag.answer.timeline`); with filters alone,
every clause of the documents they admit, newest document first.
Gradio components appear only as return values; the wiring is :mod:`rag.app.ui`.
"""

from __future__ import annotations

import gradio as gr

from ..answer.listing import hits_xlsx, pages, relevant, results_html, timeline_html
from ..answer.render import hits_csv
from ..answer.timeline import DEPTH as TIMELINE_DEPTH
from ..answer.timeline import close_hits, group_hits, timeline_groups_html
from ..limits import QuestionTooLongError, check_question
from ..search.references import implementing_request
from .filters import ChatFilters
from .texts import VI

SEARCH_K = 100  # hits ranked for a query, before the relevance cut
BROWSE_LIMIT = 500  # clauses listed at most when browsing by filters alone


class Search:
    """What the search tab does, bound to a library and the exports folder."""

    def __init__(self, lib, exports) -> None:
        self.lib, self.exports = lib, exports
        self.filters = ChatFilters(lib)

    def _status(self, hits: list, total: int, page: int, browsing: bool) -> str:
        template = VI["count_browse"] if browsing else VI["count"]
        line = template.format(n=f"{total:,}".replace(",", "."), page=page, pages=pages(len(hits)))
        if total > len(hits):
            line += VI["count_capped"].format(shown=len(hits))
        return line

    def run(self, query, year_from, year_to, doc_type, issuer, mode, view):
        """Search or browse: (list HTML, timeline HTML, status, files, hits, page, total, browsing)."""
        query = (query or "").strip()
        filters = self.filters.arguments(None, year_from, year_to, doc_type, issuer)
        # "văn bản thực hiện NQ 57 …": a filter on the documents that implement NQ 57.
        implements, query = implementing_request(query)
        if implements:
            filters["implements"] = implements
        nothing = ("", "", VI["search_need"], None, [], 1, 0, False)
        if self.lib.index is None:
            return ("", "", VI["not_ready"].format(status=self.lib.status()), None, [], 1, 0, False)
        if query:
            try:
                check_question(query)
            except QuestionTooLongError as exc:
                raise gr.Error(str(exc).split(" (")[0]) from None
            found = self.lib.index.search(query, max(SEARCH_K, TIMELINE_DEPTH), mode=mode, **filters)
            hits = relevant(found[:SEARCH_K])
            # The by-year view looks deeper: the same task in older documents, per year and issuer.
            by_year = timeline_groups_html(group_hits(close_hits(found, query)))
            total, browsing = len(hits), False
        elif any(v for k, v in filters.items()):
            hits, total = self.lib.index.browse(BROWSE_LIMIT, **filters)
            by_year, browsing = timeline_html(hits), True
        else:
            return nothing
        files = None
        if hits:
            files = [str(self.exports.write("ket-qua-tra-cuu.csv", hits_csv(hits))),
                     str(self.exports.write("ket-qua-tra-cuu.xlsx", hits_xlsx(hits)))]
        status = self._status(hits, total, 1, browsing)
        if implements:
            status = VI["implementing"].format(doc=implements) + " " + status
        return (results_html(hits, 1), by_year, status,
                files, hits, 1, total, browsing)

    def turn_page(self, step: int, hits: list, page: int, total: int, browsing: bool):
        """Another page of the same results: (list HTML, status, page)."""
        page = min(max(1, page + step), pages(len(hits)))
        return results_html(hits, page), self._status(hits, total, page, browsing), page
