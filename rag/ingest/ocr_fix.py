"""Diacritic repair of OCR text: a syllable is corrected when only its corrected form makes a word.

Tesseract's Vietnamese model mostly errs on one mark of a syllable — the hook above or the tone
("tô chức" for "tổ chức", "chỉ bộ" for "chi bộ", "thâm quyền" for "thẩm quyền"). A syllable
that forms no dictionary word with either neighbour, while exactly one other syllable with the
same letters (marks ignored) does, is replaced by that syllable. The dictionary is underthesea's
Viet74K list (:func:`rag.vietnamese.dictionary_words`); without it the text is left as read.
Gains and risks are measured in ``eval/reports/ocr-*.md`` (``python -m eval.ocr``).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from ..vietnamese import dictionary_words

_TOKEN = re.compile(r"[^\W\d_]+")
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
# Old-style tone placement at the end of an open syllable ("hoà", "thuỷ") → the modern one ("hòa",
# "thủy"), so a dictionary in either style matches text in either; "quý" keeps its place.
_OLD_STYLE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([" + _TONES + r"])$")
_GAP = re.compile(r"[ \t\n]+")  # neighbours across spaces and hard wraps, not across punctuation


def _letters(syllable: str) -> str:
    # Marks removed but đ kept: tesseract confuses marks, rarely đ with d.
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c))


def modern(syllable: str) -> str:
    """The syllable with its tone mark placed the modern way (``hoà`` → ``hòa``, ``uỷ`` → ``ủy``).

    >>> modern("uỷ"), modern("hoà"), modern("quý"), modern("hoàn")
    ('ủy', 'hòa', 'quý', 'hoàn')
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    moved = _OLD_STYLE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return unicodedata.normalize("NFC", moved) if moved != decomposed else syllable


@lru_cache(maxsize=1)
def _model() -> tuple[frozenset, dict]:
    pairs, variants = set(), {}
    for word in dictionary_words():
        parts = [modern(part) for part in word.split()]
        for part in parts:
            if part.isalpha():
                variants.setdefault(_letters(part), set()).add(part)
        pairs.update(zip(parts, parts[1:], strict=False))
    return frozenset(pairs), {k: frozenset(v) for k, v in variants.items()}


def _marks(syllable: str) -> Counter:
    return Counter(c for c in unicodedata.normalize("NFD", syllable) if unicodedata.combining(c))


def _closest(word: str, candidates: list[str]) -> list[str]:
    """The candidates nearest to ``word``: a tone mark changed costs 1, a vowel's shape 2.

    Tesseract drops or swaps tone marks far more often than it changes â/ă/ơ/ư, so "thâm"
    before "quyền" is "thẩm" (a tone added), not "tham" (the circumflex removed).
    """
    if len(candidates) < 2:
        return candidates
    have = _marks(word)

    def cost(candidate: str) -> int:
        diff = (have - _marks(candidate)) + (_marks(candidate) - have)
        return sum(n * (1 if mark in _TONES else 2) for mark, n in diff.items())

    best = min(map(cost, candidates))
    return [c for c in candidates if cost(c) == best]


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    at = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return at >= 0 and spans[at][0] <= offset < spans[at][1]


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[0].upper() + word[1:] if like[0].isupper() else word


def repair(text: str, doubtful: list[tuple[int, int]] | None = None) -> tuple[str, int]:
    """The text with mis-marked syllables replaced, and how many were.

    Args:
        text: OCR text.
        doubtful: Sorted ``(start, end)`` spans of the words the OCR was unsure of; only a
            syllable starting inside one may change. ``None``: any syllable may.

    >>> repair("Cấp ủy có thâm quyền kết nạp; tô chức cơ sở đảng")
    ('Cấp ủy có thẩm quyền kết nạp; tổ chức cơ sở đảng', 2)
    """
    pairs, variants = _model()
    if not pairs:
        return text, 0
    tokens = list(_TOKEN.finditer(text))
    words = [modern(t.group().lower()) for t in tokens]
    # joined[i]: token i and token i + 1 are neighbours (only whitespace between them)
    joined = [bool(_GAP.fullmatch(text[a.end():b.start()]))
              for a, b in zip(tokens, tokens[1:], strict=False)] + [False]

    def left(i: int) -> str | None:
        return words[i - 1] if i > 0 and joined[i - 1] else None

    def right(i: int) -> str | None:
        return words[i + 1] if joined[i] else None

    def alone(j: int | None, i: int) -> bool:
        """Token ``j`` (a neighbour of ``i``) makes no word with its neighbour on the other side."""
        if j is None:
            return False
        return (left(j), words[j]) not in pairs if j < i else (words[j], right(j)) not in pairs

    out, cursor, changed = [], 0, 0
    for i, token in enumerate(tokens):
        word, before, after = words[i], left(i), right(i)
        if doubtful is not None and not _inside(doubtful, token.start()):
            continue
        if (before, word) in pairs or (word, after) in pairs:
            continue
        # The neighbour that vouches for the change must itself make no word on its other side:
        # "tô chức" → "tổ chức", but "có cơ sở" keeps "có" ("cơ sở" already holds "cơ").
        fits = [v for v in variants.get(_letters(word), ()) if v != word and (
            ((before, v) in pairs and alone(i - 1 if before else None, i))
            or ((v, after) in pairs and alone(i + 1 if after else None, i)))]
        fits = _closest(word, fits)
        if len(fits) != 1:
            continue
        words[i] = fits[0]
        out.append(text[cursor:token.start()] + _cased(fits[0], token.group()))
        cursor = token.end()
        changed += 1
    return "".join(out) + text[cursor:], changed
