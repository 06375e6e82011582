r"""From raw lines to paragraphs: Markdown clean-up and re-joining of hard-wrapped lines.

PDF text layers and some digitisations wrap lines inside a paragraph ("Căn cứ Luật Tổ
chức chính\nquyền địa phương"), and page breaks split paragraphs across blank lines
("Tập\n\ntrung tuyên truyền"). :func:`paragraphs` rebuilds the paragraphs and returns
them with their offset in the source text, so pages can be assigned later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbering import parse_marker

_TERMINAL = (".", ";", ":", "!", "?", "…", "./.")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_MD_ESCAPE = re.compile(r"\\([-\\`*_{}\[\]()#+.!|>~])")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
_JSONTABLE = re.compile(r"<jsontable\b[^>]*>.*?</jsontable>", re.S)


@dataclass(frozen=True)
class Paragraph:
    """A re-joined paragraph and the offset of its first character in the source text."""

    text: str
    offset: int


def clean_markdown(text: str) -> str:
    """Strip Markdown syntax and conversion artefacts, keeping line positions stable.

    Headings, emphasis, backslash escapes, table rules and HTML/``<jsontable>`` tags are
    removed; table rows become ``cell | cell`` lines. Each line keeps its line number so
    offsets of later stages still point into the same lines.
    """
    text = _JSONTABLE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    out = []
    for line in text.split("\n"):
        if _MD_TABLE_RULE.match(line) and "-" in line:
            out.append("")
            continue
        line = _HTML_TAG.sub("", line)
        line = _MD_HEADING.sub("", line)
        line = _MD_ESCAPE.sub(r"\1", line)
        line = _MD_EMPHASIS.sub("", line)
        if line.strip().startswith("|") or line.strip().endswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " | ".join(c for c in cells if c)
        out.append(line.rstrip())
    return "\n".join(out)


def is_upper_title(text: str) -> bool:
    """Whether ``text`` is an upper-case title (at least six letters, none in lower case)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and all(c.isupper() for c in letters)


def _title_then_text(current: list[str], line: str) -> bool:
    # "III. PHÁT VÀ QUẢN LÝ THẺ ĐẢNG VIÊN" then "Thực hiện theo Chỉ thị…": a numbered heading
    # has no full stop, but a line opening with a capitalised word after it starts a sentence
    # rather than wrapping it ("… CÔNG TÁC RÀ" / "SOÁT, SÀNG LỌC (Điều 9…" does wrap). Title
    # blocks ("NGHỊ QUYẾT" / "Ban hành Chương trình…") are not numbered and stay whole.
    first = line.split(maxsplit=1)[0]
    letters = [c for c in first if c.isalpha()]
    if not (len(letters) > 1 and letters[0].isupper() and any(c.islower() for c in letters)):
        return False
    heading = parse_marker(current[0])
    return heading is not None and heading.kind != "bullet" and is_upper_title(" ".join(current))


# A part or item number printed alone on its line ("II." then "Mục tiêu" on the next one).
_BARE_NUMBER = re.compile(r"^(?:[IVXL]{1,6}|\d{1,3})\s*[.\-–]$")


# In the preamble, "Căn cứ Luật …" after the title lines starts the legal basis, never a
# wrapped line (in the body a sentence that opens with "Căn cứ" may be wrapped after a
# heading's reference, so the rule stops at the first numbered heading).
_BASIS_LINE = re.compile(r"^Căn cứ\s")


def _starts_lower(line: str) -> bool:
    first = line.lstrip()[:1]
    return bool(first) and first.islower()


def paragraphs(text: str) -> list[Paragraph]:
    """Group lines into paragraphs.

    A line that begins with a clause number or bullet starts a new paragraph. A line in
    lower case continues the previous paragraph, even across blank lines (a paragraph
    split by a page break), and so does the line after a number printed alone ("II.").
    Before the first numbered heading, a "Căn cứ …" line starts a paragraph (the basis).
    Any other line continues it only when directly wrapped after
    a line that does not end a sentence (``. ; : ! ?``), and not when it opens with a
    capitalised word after an upper-case numbered heading.

    Args:
        text: Normalised text (one or more lines).

    Returns:
        Paragraphs with single spaces and their source offsets, in order.
    """
    out: list[Paragraph] = []
    current: list[str] = []
    start = 0
    blank_since = False
    numbered = False  # a numbered heading was seen: the preamble is over
    offset = 0
    for raw_line in text.split("\n"):
        line = " ".join(raw_line.split())
        line_offset = offset
        offset += len(raw_line) + 1
        if not line:
            blank_since = True
            continue
        marker = parse_marker(line)
        if current:
            prev = current[-1]
            ends = prev.endswith(_TERMINAL)
            # A line in lower case never starts a sentence, so it continues the paragraph
            # even after ";" or a blank line (a page break); other lines continue it only
            # when directly wrapped.
            continues = marker is None and not (_BASIS_LINE.match(line) and not numbered) and (
                _starts_lower(line) or (len(current) == 1 and bool(_BARE_NUMBER.match(prev)))
                or (not ends and not blank_since and not _title_then_text(current, line))
            )
            if continues:
                current.append(line)
                blank_since = False
                continue
            out.append(Paragraph(" ".join(current), start))
        current, start, blank_since = [line], line_offset, False
        numbered = numbered or (marker is not None and marker.kind != "bullet")
    if current:
        out.append(Paragraph(" ".join(current), start))
    return out
