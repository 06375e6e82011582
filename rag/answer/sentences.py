"""Sentences, key facts and display text inside a clause.

A clause is cited whole, but the fact a cadre wants ("165 đảng viên mới, đạt 91,7%") is
often one sentence of a long paragraph: :func:`sentence_spans` cuts a clause into the
sentences the direct answer is chosen from, and :func:`fact_spans` finds the figures,
dates and deadlines that are marked in it. :func:`display_text` removes the Markdown
emphasis some sources carry (``(*trong 9 tháng…*)``) so that no ``*`` reaches a reader.
"""

from __future__ import annotations

import re

from ..text import sentence_spans

__all__ = ["display_text", "fact_spans", "sentence_spans"]

_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}(?=\S)|(?<=\S)\*{1,2}(?![\w*])")
_BULLET = re.compile(r"(?m)^[*+]\s+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!&|~<>])")  # Markdown's backslash escapes: "R\&D" → "R&D"
_NUMBER = r"\d+(?:[.,]\d+)*"
_UNIT = (r"%|phần trăm|lần|ngày|tháng|năm|tuổi|giờ|tuần|người|đảng viên|hộ|ha|km|tỷ|triệu|nghìn|đồng|"
         r"USD|doanh nghiệp|trường hợp|percent|days?|months?|years?")
_FACT = re.compile(
    rf"(?:ngày\s+\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}"
    rf"|(?:năm|quý\s+[IV]+(?:/|\s+năm\s+)?)\s*\d{{4}}"
    rf"|{_NUMBER}\s*(?:-|–|đến)\s*{_NUMBER}\s*(?:{_UNIT})"
    rf"|{_NUMBER}\s*(?:{_UNIT})(?!\w))", re.IGNORECASE)


def display_text(text: str) -> str:
    """``text`` without Markdown emphasis markers and escapes; ``*`` bullets become ``•``."""
    pieces = _ESCAPE.split(_BULLET.sub("• ", text))  # odd pieces are escaped characters, kept as such
    return "".join(p if n % 2 else _EMPHASIS.sub("", p) for n, p in enumerate(pieces))


def fact_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of figures, dates and durations: "91,7%", "10 - 12,5%", "30 ngày", "năm 2030"."""
    return tuple((m.start(), m.end()) for m in _FACT.finditer(text))
