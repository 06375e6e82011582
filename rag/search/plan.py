"""Query planning: what each side of a search sees for one query, and how much BM25 counts.

A query typed with diacritics is searched as is (acronyms expanded); one typed without
gets its diacritics back from the corpus (``rag.index.diacritics``) when BM25 knows most of
its syllables; anything else counts as foreign (English…): the Vietnamese wording of its
known terms is appended and BM25 counts less.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import vietnamese as vn
from .settings import SearchSettings


@dataclass(frozen=True)
class QueryPlan:
    """How one query is searched (see :func:`plan_query`)."""

    kind: str  # "vi" (with diacritics), "accentless" (Vietnamese typed without) or "foreign"
    dense_text: str
    lexical_text: str
    accentless: bool  # score BM25 on the diacritic-folded index
    lexical_weight: float


def plan_query(query: str, settings: SearchSettings, *, glossary, lexicon, lexical, restorer) -> QueryPlan:
    """Decide how ``query`` is searched: its language, expansions and the BM25 weight.

    Args:
        query: The normalised query.
        settings: Search settings (weights, switches).
        glossary: Acronym expander (``expand``).
        lexicon: English→Vietnamese term expander (``expand``).
        lexical: The BM25 side (``coverage`` tells Vietnamese from foreign text).
        restorer: Diacritic restorer (``restore``).
    """
    s = settings
    expanded = glossary.expand(query)
    if vn.has_diacritics(query):
        return QueryPlan("vi", expanded, expanded, False, s.lexical_weight)
    if lexical.coverage(query, accentless=True) >= s.foreign_coverage:
        restored = glossary.expand(restorer.restore(query))
        dense_text = restored if s.restore_diacritics else expanded
        if s.restore_lexical:
            return QueryPlan("accentless", dense_text, restored, False, s.accentless_lexical_weight)
        return QueryPlan("accentless", dense_text, expanded, True, s.accentless_lexical_weight)
    translated = lexicon.expand(expanded) if s.translate else expanded
    return QueryPlan("foreign", translated if s.translate_dense else expanded, translated,
                     not vn.has_diacritics(translated), s.foreign_lexical_weight)
