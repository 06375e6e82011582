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


# Clause numbers tesseract misreads: "4.6." as "4.0.", "8.3." as "ổ.3.", "11.1." as "II.1.", "g)" as "ø)",
# "d)" as "đ)". Each pair is (read, meant); a number is repaired only into the one expected next.
_CONFUSED = {("0", "6"), ("0", "8"), ("6", "0"), ("8", "0"), ("ổ", "8"), ("ô", "8"), ("B", "8"), ("I", "1"),
             ("l", "1"), ("|", "1"), ("i", "1"), ("ø", "g"), ("q", "g"), ("9", "g"), ("đ", "d"), ("d", "đ"),
             ("S", "5"), ("O", "0"), ("o", "0"), ("Z", "2"), ("?", "7"), ("c", "e"), ("e", "c")}
_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()  # Vietnamese points skip f, j, w, z
_ROMAN = re.compile(r"[IVXLC]{1,6}")
_MARKER = re.compile(r"^(?P<label>[^\s.)]{1,3}(?:\.[^\s.)]{1,3}){0,3})(?P<end>[.)])(?=\s)")


def _next_numbers(path: list[int]) -> list[str]:
    """The numbers that may follow ``path`` (``[8, 2]`` → 8.3, 9, 8.2.1)."""
    out = [".".join(map(str, [*path[:depth], path[depth] + 1])) for depth in range(len(path))]
    return [*out, ".".join(map(str, [*path, 1]))] if path else ["1"]


def _looks_like(read: str, meant: str) -> bool:
    return len(read) == len(meant) and read != meant and all(
        a == b or (a, b) in _CONFUSED for a, b in zip(read, meant, strict=True))


def repair_numbering(pages: list[str], editable: set[int]) -> list[str]:
    """Pages with misread clause numbers at line starts repaired into the number expected next.

    Args:
        pages: Every page's text, in order (numbering runs across pages).
        editable: Indexes of the pages read by OCR; the others only teach what comes next.
    """
    path: list[int] = []
    letter: str | None = None
    out = []
    for index, page in enumerate(pages):
        lines = page.split("\n")
        for n, line in enumerate(lines):
            match = _MARKER.match(line)
            if not match:
                continue
            label, end = match["label"], match["end"]
            if end == "." and _ROMAN.fullmatch(label):
                path, letter = [], None  # a part heading ("II."): its items number from 1 again
                continue
            expected = _next_numbers(path) if end == "." else \
                [_LETTERS[_LETTERS.index(letter) + 1] if letter in _LETTERS[:-1] else "a"]
            if index in editable and label not in expected:
                fits = [e for e in expected if _looks_like(label, e)]
                if len(fits) == 1:
                    label = fits[0]
                    lines[n] = label + line[match.end("label"):]
            if end == "." and re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){0,3}", label):
                path, letter = [int(p) for p in label.split(".")], None
            elif end == ")" and label in _LETTERS:
                letter = label
        out.append("\n".join(lines))
    return out
