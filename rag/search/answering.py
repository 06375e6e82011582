"""Answering a question: the steps between the question and :func:`rag.answer.compose.compose`.

1. Markup is stripped; a question with no content word is refused with a reason.
2. A short follow-up ("Còn Huy hiệu 30 năm thì sao?") is read with the earlier question.
3. The search runs with the ``headings`` stage (a heading never answers on its own); a
   question naming two or more documents ("So sánh NQ 20 và NQ 57") gets the best clauses
   of each, side by side.
4. The sentences that answer are picked from the best clauses (:mod:`rag.answer.direct`).
5. Only the clauses scoring at least ``answer_cut`` of the best one's score are cited, and
   the ones the direct answer quotes.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import numpy as np

from ..answer.compose import STOP_WORDS, Answer, citations_of, compose, query_terms, refusal
from ..answer.direct import DirectSettings, choose
from ..answer.sentences import display_text
from ..index.backend import Filters
from ..records import Hit
from ..text import normalize_query
from ..vietnamese import fold
from .plan import QueryPlan
from .references import document_matches, find_references

_TAG = re.compile(r"<[^>]*>?")
_MARKUP = re.compile(r"\(?(?:https?|javascript|data):\S*|[`*_#>\[\]{}|~\\^=+]+|&[a-z]+;")
_LEAD_WORDS = r"^(?:the con|con|vay|and|what about|how about)\b"
_TAIL_WORDS = r"(?:thi sao|thi the nao|and then)\s*\??$"
_FOLLOW_UP = re.compile(f"{_LEAD_WORDS}|{_TAIL_WORDS}")
FOLLOW_UP_WORDS = 10  # longer questions are read on their own

REFUSED = ("Câu hỏi chưa có nội dung để tra cứu. Hãy hỏi bằng vài từ có nghĩa, ví dụ: "
           "«nhiệm vụ chống khai thác IUU» hoặc «thời hạn tổ chức lễ kết nạp đảng viên».")


def clean_question(text: str) -> str:
    """The question without HTML tags, entities, links and Markdown symbols (NFC, single-spaced)."""
    text = _TAG.sub(" ", html.unescape(text or ""))
    return normalize_query(_MARKUP.sub(" ", text))


def has_content(query: str) -> bool:
    """True when ``query`` holds a word that is not a function word or a lone symbol."""
    return any(len(w) > 1 or w.isdigit() for w in query_terms(query))


def is_follow_up(query: str) -> bool:
    """A short question that continues the previous one ("Còn … thì sao?", "What about …?")."""
    folded = fold(query).lower().strip()
    return len(folded.split()) <= FOLLOW_UP_WORDS and bool(_FOLLOW_UP.search(folded))


def follow_up_query(query: str, previous: str) -> str:
    """The follow-up's own words, the earlier question, then its own words again (they weigh most)."""
    words = query.split()
    folded = fold(query).lower().split()
    lead = re.match(_LEAD_WORDS, " ".join(folded))
    start = len(lead.group(0).split()) if lead else 0
    tail = re.search(_TAIL_WORDS, " ".join(folded))
    end = len(words) - (len(tail.group(0).split()) if tail else 0)
    core = " ".join(words[start:end]) or query
    return f"{core} {previous} {core}"


def _search_each(index, plan: QueryPlan, k: int, filters: Filters,
                 doc_groups: list[set[str]]) -> list[Hit]:
    """The best clauses of each named document, interleaved (the first of each, then the second…)."""
    per = [index.run(plan, max(1, k), replace(filters, doc_ids=tuple(sorted(ids))), extra=("headings",))
           for ids in doc_groups]
    merged: list[Hit] = []
    for position in range(max(len(p) for p in per)):
        merged += [p[position] for p in per if position < len(p)]
    return merged


def _named_documents(index, plan: QueryPlan, filters: Filters) -> list[set[str]]:
    """Groups of document ids, one per document the question names (empty unless two or more).

    A ``doc_id`` filter of the caller still holds: only named documents inside it count.
    """
    groups = []
    for reference in find_references(plan.lexical_text):
        ids = document_matches(reference, index.doc_keys)
        if filters.doc_ids:
            ids &= set(filters.doc_ids)
        if ids and ids not in groups:
            groups.append(ids)
    return groups if len(groups) >= 2 else []


def _implementing(index, plan: QueryPlan, filters: Filters, language: str, match_text: str,
                  first_rank: int) -> tuple:
    """The best clauses of the documents implementing the one the question names ("Được cụ thể hóa tại …").

    Only for a question naming one document of the index that other documents refer to
    (:attr:`rag.search.searcher.Index.links`), and only clauses as close to the question as
    an answer must be; numbered on from the answer's own citations.
    """
    named = set().union(*(document_matches(r, index.doc_keys) for r in find_references(plan.lexical_text)))
    if len(named) != 1:
        return ()
    allowed = set(filters.doc_ids) if filters.doc_ids else set(index.doc_keys)
    sources = tuple(sorted((set(index.links.sources(next(iter(named)))) - named) & allowed))
    if not sources:
        return ()
    s = index.settings
    hits = index.run(plan, s.implementing_clauses, replace(filters, doc_ids=sources), extra=("headings",))
    hits = [h for h in hits if h.dense_score is None or h.dense_score >= s.abstain_below]
    return tuple(replace(c, rank=c.rank + first_rank) for c in citations_of(hits, language, match_text))


def _direct(index, plan: QueryPlan, query: str, hits: list[Hit]):
    """The direct answer's sentences from the clauses of ``hits`` (best first)."""
    terms = query_terms(f"{plan.lexical_text} {plan.dense_text}")
    settings = index.direct_settings or DirectSettings()
    return choose([display_text(h.text) for h in hits], terms, query,
                  query_vector=index.query_vector(plan.dense_text),
                  encode=_sentence_vectors(index, hits[:settings.depth]), stop=STOP_WORDS, settings=settings)


def _sentence_vectors(index, hits: list[Hit]):
    """``encode`` for :func:`choose`: the index's stored sentence vectors, the encoder for any other."""
    stored: dict[str, np.ndarray] = {}
    for hit in hits:
        for chunk_id in dict.fromkeys((hit.chunk_id, *hit.chunk_ids)):
            found = index.backend.sentences(chunk_id)
            for (start, end), vector in zip(found.spans if found else (), found.vectors if found else (),
                                            strict=True):
                stored.setdefault(display_text(found.text[start:end]).strip(), vector)

    def encode(sentences: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(s for s in sentences if s not in stored))
        if missing:  # a sentence across two parts of a split clause, or an index without them
            stored.update(zip(missing, index.embedder.encode_passages(missing), strict=True))
        return np.stack([stored[s] for s in sentences])

    return encode


def answer(index, question: str, k: int, filters: Filters, previous: str | None = None) -> Answer:
    """Answer ``question`` from ``index`` (an :class:`rag.search.searcher.Index`); see the module doc."""
    query = clean_question(question)
    if not has_content(query):
        return refusal(question, REFUSED)
    read_with = ""
    if previous and is_follow_up(query) and has_content(clean_question(previous)):
        read_with = normalize_query(previous)
        query = follow_up_query(query, clean_question(previous))
    plan = index.plan(query)
    language = "en" if plan.kind == "foreign" else "vi"
    named = _named_documents(index, plan, filters)
    s = index.settings
    if named:
        hits = _search_each(index, plan, s.compare_each, filters, named)[:max(k, s.compare_each * len(named))]
    else:
        hits = index.run(plan, k, filters, extra=("headings",)) if k > 0 else []
    confidence = index.confidence(hits, plan)
    match_text = f"{plan.lexical_text} {plan.dense_text}"
    if not hits or confidence is None or confidence < s.abstain_below:
        return compose(question, citations_of(hits, language, match_text), confidence=confidence,
                       threshold=s.abstain_below, language=language, read_with=read_with)
    # The direct answer reads the best clauses before the cut; the clauses it quotes stay cited.
    direct = _direct(index, plan, query, hits)
    kept = [h for n, h in enumerate(hits) if n in {d.citation - 1 for d in direct}
            or n == 0 or named or h.score >= s.answer_cut * hits[0].score]
    position = {h.chunk_id: n for n, h in enumerate(kept, 1)}
    direct = tuple(replace(d, citation=position[hits[d.citation - 1].chunk_id]) for d in direct)
    result = compose(question, citations_of(kept, language, match_text), confidence=confidence,
                     threshold=s.abstain_below, language=language, direct=direct, read_with=read_with)
    if result.found and not named:
        result = replace(result, implemented_in=_implementing(index, plan, filters, language, match_text,
                                                              len(result.citations)))
    return result

