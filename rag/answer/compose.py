"""Extractive, cited answers: the sentences that answer first, then the clauses, best first.

An :class:`Answer` holds a one-line lead, the direct answer (one or two sentences of the
cited clauses, :mod:`rag.answer.direct`), and the clauses that answer in relevance order
— [1] is the best — each cited as type + number + issuer + date + clause
("Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6") with the matched words and
sentences marked. Grouping by document or year is a view (:meth:`Answer.grouped`), never
a re-sort. When the best clause is too far from the question the answer says the
documents do not contain it and lists the nearest clauses as possibly related; an empty
or markup-only question is refused with a reason. Never text that is not in a document.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..records import Hit
from ..vietnamese import fold
from .direct import AnswerSentence, content_words
from .labels import citation_label, doc_label
from .sentences import display_text, sentence_spans

_WORD = re.compile(r"\w+", re.UNICODE)
# Function words that would light up every clause.
STOP_WORDS = {fold(w) for w in (
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
    headings: tuple[str, ...] = ()
    clause_number: str = ""

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
    """The cited clauses of one document (or one year), in relevance order."""

    doc_id: str  # the document id, or the year for groups by year
    label: str
    date: str | None
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Answer:
    """An extractive answer; ``found`` is False when the documents do not contain the answer.

    Attributes:
        citations: The clauses that answer, best first; when not found, the nearest ones
            ("possibly related").
        direct: The sentences that answer, from the cited clauses (empty when not found).
        refused: Why the question was not searched ("" when it was).
        read_with: The earlier question a follow-up was read with ("" when none).
        implemented_in: For a question about a document that others implement, their
            closest clauses ("Được cụ thể hóa tại …"), numbered on from ``citations``.
    """

    question: str
    language: str  # "vi" or "en": the language of the labels
    found: bool
    confidence: float
    lead: str
    citations: tuple[Citation, ...] = ()
    direct: tuple[AnswerSentence, ...] = ()
    refused: str = ""
    read_with: str = ""
    implemented_in: tuple[Citation, ...] = ()

    @property
    def related(self) -> tuple[Citation, ...]:
        """The nearest clauses when nothing answers (empty when found)."""
        return () if self.found else self.citations

    def grouped(self, by: str = "document") -> tuple[AnswerGroup, ...]:
        """The citations grouped by ``document`` (the best one's first) or ``year`` (newest first).

        Raises:
            ValueError: Another ``by``.
        """
        if by not in {"document", "year"}:
            raise ValueError(f"group by 'document' or 'year', not {by!r}")
        groups: dict[str, list[Citation]] = {}
        for c in self.citations:
            groups.setdefault(c.doc_id if by == "document" else str(c.year or ""), []).append(c)
        keys = list(groups) if by == "document" else sorted(groups, reverse=True)
        if by == "document":
            return tuple(AnswerGroup(k, groups[k][0].doc_label, groups[k][0].date, tuple(groups[k]))
                         for k in keys)
        unknown = "không rõ năm" if self.language == "vi" else "year unknown"
        return tuple(AnswerGroup(k, k or unknown, None, tuple(groups[k])) for k in keys)

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return asdict(self)


IMPLEMENTED_IN = {True: "Được cụ thể hóa tại", False: "Implemented in"}
"""Heading of an answer's clauses from the documents implementing the one asked about."""


def query_terms(text: str) -> set[str]:
    """Folded, lower-cased content syllables of the question and its expansions."""
    return content_words(text, STOP_WORDS)


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
    bounds = sentence_spans(text)
    weights = [sum(n for a, b, n in runs if s <= a < e) for s, e in bounds]
    best = max(weights, default=0)
    sentences = tuple(b for b, w in zip(bounds, weights, strict=True) if best and w >= max(2, best // 2))
    return spans, sentences


def _citation(hit: Hit, rank: int, language: str, terms: set[str]) -> Citation:
    text = display_text(hit.text)
    spans, sentences = highlight(text, terms)
    return Citation(label=citation_label(hit, language), doc_label=doc_label(hit, language),
                    clause_id=hit.clause_id, chunk_id=hit.chunk_id, doc_id=hit.doc_id, source=hit.source,
                    path=hit.path, doc_type=hit.doc_type, number=hit.number, issuer=hit.issuer, date=hit.date,
                    year=hit.year, title=hit.title, text=text, page=hit.page, rank=rank,
                    score=hit.score, highlights=spans, sentences=sentences, headings=hit.headings,
                    clause_number=hit.clause_number)


def citations_of(hits: list[Hit], language: str, match_text: str) -> tuple[Citation, ...]:
    """Hits as citations numbered [1], [2]… in the given order, the ``match_text`` words marked."""
    terms = query_terms(match_text)
    return tuple(_citation(h, n, language, terms) for n, h in enumerate(hits, 1))


def refusal(question: str, reason: str, language: str = "vi") -> Answer:
    """The answer to a question that was not searched, saying why."""
    return Answer(question, language, False, 0.0, reason, refused=reason)


def compose(question: str, citations: tuple[Citation, ...], *, confidence: float | None, threshold: float,
            language: str = "vi", direct: tuple[AnswerSentence, ...] = (), read_with: str = "") -> Answer:
    """Build the answer from citations in relevance order.

    Args:
        question: The question as asked.
        citations: The clauses that answer, best first (:func:`citations_of`).
        confidence: Best dense similarity of the hits (``None`` counts as 0).
        threshold: Below this confidence the answer is "not found".
        language: ``vi`` or ``en`` labels.
        direct: The sentences that answer (:func:`rag.answer.direct.choose`).
        read_with: The earlier question a follow-up was read with.
    """
    confidence = float(confidence or 0.0)
    if not citations or confidence < threshold:
        lead = ("Các văn bản đã lập chỉ mục không có nội dung trả lời câu hỏi này. "
                "Các điều khoản gần nhất dưới đây có thể liên quan."
                if language == "vi" else
                "The indexed documents do not contain an answer to this question. "
                "The nearest clauses below may be related.")
        return Answer(question, language, False, confidence, lead, citations, read_with=read_with)
    n, docs = len(citations), len({c.doc_id for c in citations})
    if language == "vi":
        lead = (f"{n} điều khoản trong {docs} văn bản trả lời câu hỏi này; "
                f"rõ nhất là [1] {citations[0].label}.")
    else:
        lead = (f"{n} clause{'s' if n > 1 else ''} in {docs} document{'s' if docs > 1 else ''} answer this "
                f"question; the clearest is [1] {citations[0].label}.")
    if read_with:
        lead += (f" (Đọc cùng câu hỏi trước: «{read_with}».)" if language == "vi"
                 else f" (Read together with the earlier question: “{read_with}”.)")
    return Answer(question, language, True, confidence, lead, citations, direct, read_with=read_with)


def format_answer(answer: Answer) -> str:
    """Plain-text rendering for the terminal: the direct answer, the lead, the clauses (matches in «»)."""
    if answer.refused:
        return answer.refused
    lines = []
    if answer.direct:
        head = "Trả lời" if answer.language == "vi" else "Answer"
        lines += [f"{head}: " + " ".join(f"{s.text} [{s.citation}]" for s in answer.direct), ""]
    lines += [answer.lead, ""]
    for citation in answer.citations:
        lines.append(f"[{citation.rank}] {citation.label}")
        lines.append("    " + " ".join(citation.marked("«", "»").split()))
        lines.append(f"    ({citation.source})")
    if answer.implemented_in:
        lines.append(f"\n{IMPLEMENTED_IN[answer.language == 'vi']}:")
    for citation in answer.implemented_in:
        lines.append(f"[{citation.rank}] {citation.label}")
        lines.append("    " + " ".join(citation.text.split()))
    lines.append(f"\n{'độ tin cậy' if answer.language == 'vi' else 'confidence'}: {answer.confidence:.3f}")
    return "\n".join(lines)
