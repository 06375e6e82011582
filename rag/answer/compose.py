"""Extractive, cited answers: the clauses that answer, grouped by document, never invented text.

An :class:`Answer` holds a one-line lead, the supporting clauses grouped by document
(newest first, unless the question names a year), each cited as type + number + issuer +
date + clause path ("Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6") with the
matched words and sentences marked, and a confidence. When the best clause is too far
from the question, the answer says the documents do not contain it and lists the nearest
clauses as possibly related. English questions get English labels around the same
Vietnamese clauses.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..records import Hit
from ..vietnamese import fold
from .labels import citation_label, doc_label

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")
_LABEL = re.compile(r"^\s*[\w.]{1,10}[.)]\s*$")  # a clause number such as "2.6." or "a)"
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# Function words that would light up every clause.
_STOP = {fold(w) for w in (
    "và của các những là được có trong cho với về theo này đó để từ đến một không thì khi nào gì ai "
    "bao nhiêu thế như tại do đã sẽ phải cần hay hoặc nếu mà vào ra lên bị the of and to in for on "
    "what which who when how is are be by a an with from at as or that this").split()}

@dataclass(frozen=True)
class Citation:
    """One supporting clause, ready to display.

    ``highlights`` are ``(start, end)`` spans of ``text`` holding the question's words
    (runs of two or more syllables); ``sentences`` are the spans of the sentences that
    carry most of them.
    """

    label: str
    doc_label: str
    clause_id: str
    chunk_id: str
    doc_id: str
    source: str
    path: str
    doc_type: str | None
    number: str | None
    issuer: str | None
    date: str | None
    year: int | None
    title: str | None
    text: str
    page: int | None
    rank: int
    score: float
    highlights: tuple[tuple[int, int], ...] = ()
    sentences: tuple[tuple[int, int], ...] = ()

    def marked(self, start: str = "**", end: str = "**", escape=None) -> str:
        """The clause text with ``start``/``end`` around each highlight.

        Args:
            start: Inserted before each highlight.
            end: Inserted after each highlight.
            escape: Applied to every piece of the clause text (not to the markers), e.g.
                :func:`rag.answer.render.md_text` for Markdown.
        """
        escape = escape or (lambda piece: piece)
        out, last = [], 0
        for a, b in self.highlights:
            out += [escape(self.text[last:a]), start, escape(self.text[a:b]), end]
            last = b
        return "".join(out) + escape(self.text[last:])


@dataclass(frozen=True)
class AnswerGroup:
    """The cited clauses of one document."""

    doc_id: str
    label: str
    date: str | None
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Answer:
    """An extractive answer; ``found`` is False when the documents do not contain the answer."""

    question: str
    language: str  # "vi" or "en": the language of the labels
    found: bool
    confidence: float
    lead: str
    groups: tuple[AnswerGroup, ...] = ()
    related: tuple[Citation, ...] = field(default=())

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every cited clause: those of the groups in order, or the related ones when not found."""
        return tuple(c for g in self.groups for c in g.citations) if self.found else self.related

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        data = asdict(self)
        data["citations"] = [asdict(c) for c in self.citations]
        return data


def query_terms(text: str) -> set[str]:
    """Folded, lower-cased content syllables of the question and its expansions."""
    return {w for w in (fold(t).lower() for t in _WORD.findall(text)) if w not in _STOP}


def highlight(text: str, terms: set[str]) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Spans of runs of ≥ 2 matching syllables, and of the sentences holding most matches."""
    runs: list[tuple[int, int, int]] = []  # start, end, syllables
    start = end = count = 0
    previous_end = -1
    for m in _WORD.finditer(text):
        hit = fold(m.group(0)).lower() in terms
        gap = text[previous_end:m.start()] if previous_end >= 0 else ""
        if hit and count and gap.strip() == "":
            end, count = m.end(), count + 1
        else:
            if count >= 2:
                runs.append((start, end, count))
            start, end, count = (m.start(), m.end(), 1) if hit else (0, 0, 0)
        previous_end = m.end()
    if count >= 2:
        runs.append((start, end, count))
    spans = tuple((a, b) for a, b, _ in runs)
    bounds, position = [], 0
    for piece in _SENTENCE_END.split(text):
        begin = text.find(piece, position)
        if piece.strip():
            if bounds and _LABEL.match(text[bounds[-1][0]:bounds[-1][1]]):  # "2.6." opens the sentence
                bounds[-1] = (bounds[-1][0], begin + len(piece))
            else:
                bounds.append((begin, begin + len(piece)))
        position = begin + len(piece)
    weights = [sum(n for a, b, n in runs if s <= a < e) for s, e in bounds]
    best = max(weights, default=0)
    sentences = tuple(b for b, w in zip(bounds, weights, strict=True) if best and w >= max(2, best // 2))
    return spans, sentences


def _citation(hit: Hit, language: str, terms: set[str]) -> Citation:
    spans, sentences = highlight(hit.text, terms)
    return Citation(label=citation_label(hit, language), doc_label=doc_label(hit, language),
                    clause_id=hit.clause_id, chunk_id=hit.chunk_id, doc_id=hit.doc_id, source=hit.source,
                    path=hit.path, doc_type=hit.doc_type, number=hit.number, issuer=hit.issuer, date=hit.date,
                    year=hit.year, title=hit.title, text=hit.text, page=hit.page, rank=hit.rank,
                    score=hit.score, highlights=spans, sentences=sentences)


def compose(question: str, hits: list[Hit], *, confidence: float | None, threshold: float,
            language: str = "vi", match_text: str | None = None) -> Answer:
    """Build the answer from ranked hits.

    Args:
        question: The question as asked.
        hits: Ranked hits (the answer uses all of them; pass the top few).
        confidence: Best dense similarity of the hits (``None`` counts as 0).
        threshold: Below this confidence the answer is "not found".
        language: ``vi`` or ``en`` labels.
        match_text: Text whose words are highlighted (the question with its expansions).
    """
    terms = query_terms(match_text or question)
    confidence = float(confidence or 0.0)
    citations = [_citation(h, language, terms) for h in hits]
    if not citations or confidence < threshold:
        lead = ("Các văn bản đã lập chỉ mục không có nội dung trả lời câu hỏi này. "
                "Các điều khoản gần nhất dưới đây có thể liên quan."
                if language == "vi" else
                "The indexed documents do not contain an answer to this question. "
                "The nearest clauses below may be related.")
        return Answer(question, language, False, confidence, lead, (), tuple(citations))
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.doc_id, []).append(citation)
    ordered = list(groups.values())
    if not _YEAR.search(question):  # newest first, unless the question names a time
        ordered.sort(key=lambda cs: cs[0].date or "", reverse=True)
    answer_groups = tuple(AnswerGroup(cs[0].doc_id, cs[0].doc_label, cs[0].date, tuple(cs)) for cs in ordered)
    best = citations[0]
    if language == "vi":
        lead = (f"Tìm thấy {len(citations)} điều khoản trong {len(ordered)} văn bản; "
                f"sát nhất là {best.label}.")
    else:
        lead = (f"Found {len(citations)} clause{'s' if len(citations) > 1 else ''} in {len(ordered)} "
                f"document{'s' if len(ordered) > 1 else ''}; the closest is {best.label}.")
    return Answer(question, language, True, confidence, lead, answer_groups, ())


def format_answer(answer: Answer) -> str:
    """Plain-text rendering for the terminal (matches in «»)."""
    lines = [answer.lead, ""]
    for citation in answer.citations:
        lines.append(f"[{citation.rank}] {citation.label}")
        lines.append("    " + " ".join(citation.marked("«", "»").split()))
        lines.append(f"    ({citation.source})")
    lines.append(f"\n{'độ tin cậy' if answer.language == 'vi' else 'confidence'}: {answer.confidence:.3f}")
    return "\n".join(lines)
