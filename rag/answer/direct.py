"""The direct answer: the one or two sentences of the cited clauses that answer the question.

Sentences of the best clauses are scored by the same encoder as the search (cosine of the
sentence and the question), by how many of the question's content words they hold, by the
rank of their clause, and — when the question asks "how many / how long / when" — by
whether they state a figure or a date. Extractive only: every sentence is a span of a
cited clause's text, never new text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..vietnamese import fold
from .sentences import fact_spans, sentence_spans

_WORD = re.compile(r"\w+", re.UNICODE)
# Questions that ask for a figure, a date or a duration.
_WANTS_FACT = re.compile(
    r"\b(?:bao nhieu|bao lau|bao gio|khi nao|thoi han|ngay nao|nam nao|may|ty le|muc tieu|chi tieu|"
    r"how (?:many|much|long)|when|what (?:percentage|share|target|deadline)|deadline|target)\b")


@dataclass(frozen=True)
class DirectSettings:
    """Weights of the sentence score (tuned on party-gold dev answer spans)."""

    depth: int = 3  # clauses whose sentences compete
    # Sentences scored by the encoder (the best by words and rank): read from the index's
    # stored vectors, else encoded at ~11 ms each. Dev answer accuracy .64 at 6, 12 and all.
    candidates: int = 6
    sentence_dense: float = 1.0
    # party-gold dev answer accuracy: .64 at .25, .62 at .1 and .5, .59 at 1; without the
    # encoder (sentence_dense 0) .50.
    sentence_lexical: float = 0.25
    sentence_rank: float = 0.1
    sentence_fact: float = 0.1
    min_chars: int = 25  # shorter sentences (headings, "Trong đó:") never answer alone
    second_ratio: float = 0.95  # a second sentence must score this share of the first


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the direct answer.

    Attributes:
        text: The sentence, exactly as in the cited clause's text.
        citation: 1-based position of the clause in :attr:`rag.Answer.citations` ("[1]").
        start: Offset of the sentence in that clause's text.
        end: End offset (exclusive).
        facts: Spans of figures, dates and durations inside ``text``.
        score: How well the sentence answers (higher is better; for comparison only).
    """

    text: str
    citation: int
    start: int
    end: int
    facts: tuple[tuple[int, int], ...]
    score: float


def content_words(text: str, stop: set[str]) -> set[str]:
    """Folded, lower-cased syllables of ``text`` that are not function words."""
    return {w for w in (fold(t).lower() for t in _WORD.findall(text)) if w not in stop}


def choose(texts: Sequence[str], terms: set[str], question: str, *, query_vector: np.ndarray | None = None,
           encode: Callable[[list[str]], np.ndarray] | None = None, stop: set[str] = frozenset(),
           settings: DirectSettings = DirectSettings()) -> tuple[AnswerSentence, ...]:
    """The sentences of ``texts`` (cited clauses, best first) that answer the question.

    Args:
        texts: Clause texts in citation order.
        terms: The question's content words (folded), expansions included.
        question: The question (tells whether a figure or date is asked for).
        query_vector: The question's vector; with ``encode``, sentences are also scored densely.
        encode: Encodes passages (``Embedder.encode_passages``).
        stop: Function words ignored when matching.
        settings: Weights and limits.

    Returns:
        One or two sentences, best first; empty when no clause text has a usable sentence.
    """
    wants_fact = bool(_WANTS_FACT.search(fold(question).lower()))
    pool = []
    for position, text in enumerate(texts[:settings.depth]):
        for start, end in sentence_spans(text):
            sentence = text[start:end].strip()
            if len(sentence) < settings.min_chars or sentence.endswith(":"):
                continue  # a heading or a lead-in ("… khi có đủ các điều kiện:") does not answer alone
            start = text.index(sentence, start)
            words = content_words(sentence, stop)
            lexical = len(words & terms) / len(terms) if terms else 0.0
            facts = fact_spans(sentence)
            base = (settings.sentence_lexical * lexical + settings.sentence_rank / (position + 1)
                    + (settings.sentence_fact if wants_fact and facts else 0.0))
            pool.append([base, position, start, start + len(sentence), sentence, facts])
    if not pool:
        return ()
    pool.sort(key=lambda item: -item[0])
    pool = pool[:settings.candidates]
    if encode is not None and query_vector is not None and settings.sentence_dense:
        vectors = encode([item[4] for item in pool])
        for item, cosine in zip(pool, vectors @ query_vector, strict=True):
            item[0] += settings.sentence_dense * float(cosine)
    pool.sort(key=lambda item: -item[0])
    chosen = [pool[0]]
    for item in pool[1:]:
        if item[0] >= settings.second_ratio * pool[0][0] and item[4] != pool[0][4]:
            chosen.append(item)
            break
    return tuple(AnswerSentence(text, position + 1, start, end, facts, round(score, 4))
                 for score, position, start, end, text, facts in chosen)
