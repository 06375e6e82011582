"""The same task across years: the best clauses on a topic per year and issuer.

A plain search returns the k clauses nearest the question, and one recent document that uses
the topic's current wording can fill them all. The timeline searches deeper (:data:`DEPTH`
hits), keeps the hits that hold most of the topic's content words or are close in meaning to
the best one (older documents word the same task differently), and returns the best :data:`PER_GROUP`
clauses of each (year, issuer), newest year first — e.g. "phòng chống khai thác IUU" across
the HĐND resolutions of 2016–2018, a 2024 conclusion and later uploads.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass

from ..records import Hit
from .compose import query_terms
from .labels import citation_label
from .listing import clause_item

DEPTH = 200  # hits searched before grouping
PER_GROUP = 3  # clauses shown per year and issuer
# A hit stays when its dense similarity is within DENSE_MARGIN of the best hit's, or it holds
# at least COVERAGE of the query's content words (accents and function words ignored).
DENSE_MARGIN = 0.05
COVERAGE = 0.6
UNKNOWN_YEAR = "Không rõ năm"
UNKNOWN_ISSUER = "Không rõ cơ quan ban hành"


@dataclass(frozen=True)
class TimelineGroup:
    """The best clauses of one issuer in one year.

    Attributes:
        year: Year of the documents (``None`` when their date is unknown).
        issuer: Issuing body as the documents print it (``None`` when unknown).
        hits: The group's best clauses, best first (rank = place in the whole search).
        matched: How many relevant clauses the group had before the cut to ``per_group``.
    """

    year: int | None
    issuer: str | None
    hits: tuple[Hit, ...]
    matched: int

    def to_dict(self) -> dict:
        """JSON-ready dictionary (hits with their citation label)."""
        return {"year": self.year, "issuer": self.issuer, "matched": self.matched,
                "hits": [{**h.to_dict(), "citation": citation_label(h)} for h in self.hits]}


def close_hits(hits: list[Hit], query: str, *, dense_margin: float = DENSE_MARGIN,
               coverage: float = COVERAGE) -> list[Hit]:
    """The hits that hold most of the query's words, or whose meaning is close to the best hit's.

    A margin on BM25 relative to the best hit would drop an old resolution that names the task
    in fewer words; the share of the query's content words a clause holds does not depend on the others.
    """
    words = query_terms(query)
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    top_dense = max(dense, default=None)

    def close(h: Hit) -> bool:
        if top_dense is not None and h.dense_score is not None and h.dense_score >= top_dense - dense_margin:
            return True
        return bool(words) and len(words & query_terms(h.text)) >= coverage * len(words)

    return [h for h in hits if close(h)]


def group_hits(hits: list[Hit], per_group: int = PER_GROUP) -> list[TimelineGroup]:
    """Hits grouped by year (newest first, unknown last) and issuer (most matches first)."""
    groups: dict[tuple, list[Hit]] = defaultdict(list)
    for hit in hits:
        groups[(hit.year, hit.issuer)].append(hit)

    def order(key: tuple) -> tuple:
        year, issuer = key
        return (year is None, -(year or 0), -len(groups[key]), issuer or "")

    return [TimelineGroup(year, issuer, tuple(groups[key][:per_group]), len(groups[key]))
            for key in sorted(groups, key=order) for year, issuer in [key]]


def timeline(index, query: str, *, per_group: int = PER_GROUP, depth: int = DEPTH,
             **filters) -> list[TimelineGroup]:
    """The best clauses on ``query`` per year and issuer.

    Args:
        index: A loaded :class:`rag.search.searcher.Index`.
        query: The topic ("phòng chống khai thác IUU").
        per_group: Clauses kept per (year, issuer).
        depth: Hits searched before the relevance cut and the grouping.
        **filters: ``year_from``, ``year_to``, ``doc_type``, ``issuer``… as :meth:`Index.search`.

    Returns:
        The groups, newest year first; empty when nothing matches.
    """
    hits = index.search(query, k=depth, **filters)
    return group_hits(close_hits(hits, query), per_group)


def timeline_groups_html(groups: list[TimelineGroup]) -> str:
    """The timeline for the Tra cứu tab: a heading per year, then each issuer's best clauses."""
    if not groups:
        return "<div class='timeline'><p>Không có kết quả.</p></div>"
    out = ["<div class='timeline'>"]
    for n, group in enumerate(groups):
        if n == 0 or group.year != groups[n - 1].year:
            out.append("</div>" if n else "")
            out.append(f"<div class='year'><h4>{html.escape(str(group.year or UNKNOWN_YEAR))}</h4>")
        more = f", {group.matched} điều khoản liên quan" if group.matched > len(group.hits) else ""
        out.append(f"<h5>{html.escape(group.issuer or UNKNOWN_ISSUER)}"
                   f" <span class='count'>({len(group.hits)} điều khoản tiêu biểu{more})</span></h5><ul>")
        out += [clause_item(h) for h in group.hits]
        out.append("</ul>")
    return "".join(out) + "</div></div>"
