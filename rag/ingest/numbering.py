"""Recognise the clause number at the start of a paragraph.

Party and state documents number their parts as ``Phần thứ nhất`` / ``Phần I``, annexes
(``Phụ lục II``), Roman parts (``I-``, ``II.``), letter parts (``A-``), ``Chương``, ``Mục``,
``Điều N.``, Arabic items and sub-items (``1.``, ``1.1.``, ``1.1.1.``, ``2.3. (Khoản 3):``,
``1-``), points (``a)``, ``đ)``) and dash bullets. Numbers that merely start a sentence —
``7,5%``, ``11/10/2024``, ``2020 - 2025``, ``06/QĐ-TTg``, ``1.000 người`` — are not clause
numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN = re.compile(r"^(?=[IVXL])(L?X{0,3})(IX|IV|V?I{0,3})$")
_UPPER = "A-ZĐÂĂÊÔƠƯÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
_UNITS = {"nhất": 1, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "lăm": 5,
          "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
# The words of a written ordinal ("thứ mười một", "THỨ BA MƯƠI"), upper or lower case.
_ORDINAL_WORDS = "|".join(sorted({*_UNITS, "mười", "mươi"}, key=len, reverse=True))
_ORDINAL = rf"(?:THỨ|thứ)\s+(?:(?i:{_ORDINAL_WORDS})(?:\s+|(?=[.:\-–]|$)))+"


def ordinal_value(words: str) -> int | None:
    """``nhất`` → 1, ``mười một`` → 11, ``hai mươi lăm`` → 25, ``BA MƯƠI`` → 30 (``None`` if not one)."""
    tokens = words.lower().split()
    if not tokens:
        return None
    if tokens == ["nhất"]:
        return 1
    tens, units = 0, tokens
    if "mười" in tokens:
        if tokens[0] != "mười":
            return None
        tens, units = 1, tokens[1:]
    elif "mươi" in tokens:
        if len(tokens) < 2 or tokens[1] != "mươi" or tokens[0] not in _UNITS:
            return None
        tens, units = _UNITS[tokens[0]], tokens[2:]
    if len(units) > 1 or (units and units[0] not in _UNITS) or (units == ["nhất"] and tens):
        return None
    value = tens * 10 + (_UNITS[units[0]] if units else 0)
    return value or None
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "PHẦN THỨ HAI", "Phần I": a part above chapters; "Phần kinh phí…" is a sentence.
    ("phan", re.compile(rf"^(?:PHẦN|Phần)\s+({_ORDINAL}|[IVXLC]+\b|\d{{1,2}}\b)"
                        rf"(?=\s*(?:[.:\-–]|$|[{_UPPER}]))[.:\-–]?\s*")),
    # "PHỤ LỤC II", "Phụ lục 1:", or a bare upper-case "PHỤ LỤC": an annex, outside the articles.
    ("phuluc", re.compile(r"^(?:PHỤ LỤC|Phụ lục)\s+(?:(?:SỐ|số)\s+)?([IVXLC]+|\d{1,2}[a-z]?)"
                          rf"(?=\s*(?:[.:\-–]|$|\s+[{_UPPER}(]))[.:\-–]?\s*")),
    ("phuluc", re.compile(rf"^PHỤ LỤC()(?=\s*(?:[.:]|$|\s+[{_UPPER}]{{2}}))[.:]?\s*")),
    ("chuong", re.compile(r"^Chương\s+([IVXLC]+|\d{1,3})(?=\s*(?:[.:\-–]|$|\s+[A-ZĐÂĂÊÔƠƯ]))[.:\-–]?\s*")),
    ("muc", re.compile(r"^Mục\s+(\d{1,3}|[IVXLC]+)(?=\s*(?:[.:\-–]|$|\s+[A-ZĐÂĂÊÔƠƯ]))[.:\-–]?\s*")),
    ("dieu", re.compile(r"^Điều\s+(\d{1,3}[a-z]?)(?:\s*[.:]\s*|\s*$)")),
    ("roman", re.compile(r"^([IVXL]{1,6})\s*[.\-–]\s+(?=\S)")),
    ("alpha", re.compile(r"^([A-HJ-UWYZ])\s*[.\-–]\s+(?=[A-ZĐÂĂÊÔƠƯ\"“(])")),
    ("item", re.compile(r"^(\d{1,3}(?:\.\d{1,2}){0,4})(?:\.(?:\s+|(?=[^\d\s]))|\s*[-–)]\s+)(?=\S)")),
    ("item", re.compile(r"^(\d{1,3}(?:\.\d{1,2}){1,4})\s+(?=[A-ZĐÂĂÊÔƠƯ(])")),
    ("point", re.compile(r"^([a-zđ])\s*[)\-–]\s+(?=\S)")),
    ("bullet", re.compile(r"^[-–•+*]\s*(?=\S)")),
]


@dataclass(frozen=True)
class Marker:
    """A recognised clause number.

    Attributes:
        kind: ``phan``, ``phuluc``, ``chuong``, ``muc``, ``dieu``, ``roman``, ``alpha``,
            ``item``, ``point`` or ``bullet``.
        label: The number as printed without punctuation (``2.6``, ``II``, ``a``, ``5``);
            ordinal parts (``Phần thứ hai``) as digits (``2``).
        end: Length of the marker prefix in the paragraph (the title starts there).
    """

    kind: str
    label: str
    end: int

    @property
    def depth(self) -> int:
        """Number of components of an Arabic item (``2.6`` → 2); 1 for other kinds."""
        return self.label.count(".") + 1 if self.kind == "item" else 1

    @property
    def level_key(self) -> str:
        """Key that identifies the numbering level (items differ by depth)."""
        return f"item{self.depth}" if self.kind == "item" else self.kind


def parse_marker(text: str) -> Marker | None:
    """Return the clause number at the start of ``text``, or ``None``.

    Args:
        text: A paragraph (leading whitespace is ignored).
    """
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    for kind, pattern in _PATTERNS:
        match = pattern.match(stripped)
        if not match:
            continue
        label = match.group(1) if match.groups() else ""
        if kind == "phan" and label[:3].lower() == "thứ":
            value = ordinal_value(label.split(maxsplit=1)[1])
            if value is None:
                continue
            label = str(value)
        if kind in {"roman", "phan", "phuluc"} and label.isupper() and not _ROMAN.match(label):
            continue
        if kind == "item" and any(len(c) > 1 and c.startswith("0") for c in label.split(".")[1:]):
            continue
        if kind == "item" and int(label.split(".")[0]) == 0:
            continue
        if kind == "alpha":
            word = stripped[match.end():].split(maxsplit=1)[0].strip("\"“(")
            if len(word) < 2 or not word.isupper():
                continue  # "C. Mác" is a name, "A- TÌNH HÌNH" a part
        return Marker(kind, label, offset + match.end())
    return None
