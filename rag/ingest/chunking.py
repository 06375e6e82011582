"""Split a document's paragraphs into a clause tree with stable paths.

Paths join the numbers of the enclosing levels: ``II.2.6`` (Roman part II, item 2.6),
``Điều 5.2.a`` (article 5, khoản 2, điểm a; parts, chapters and sections are left out of
the path when articles are numbered, as articles are unique in a document), ``A.1``,
``Phần 2.A.I.1`` (part two of a guide), ``Phụ lục II.V.108`` (an annex) and
``Chương trình.II.1.đ`` (a programme printed after a resolution's signature), and ``I¶2``
for the second unnumbered paragraph (or bullet) directly under part I.

Which level contains which follows the order levels first appear in, except for the outer
levels, which rank ``Phụ lục`` / attached document > ``Phần`` > ``Chương`` > ``Mục`` >
``A.`` > ``I.``: a ``PHẦN THỨ HAI`` or ``A.`` closes the Roman part before it instead of
nesting in it, and an annex or attached document closes the articles.
Every clause keeps the titles of the levels above it. The header block, the "Nơi nhận"
list and the signature block are not clauses, except that a signature followed by an annex
or attached programme stays, as top-level paragraphs rather than under the last article.
Clauses longer than ``max_chars`` are split at sentence boundaries into parts that share
the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Clause
from ..vocab import DEFAULT_MAX_CHARS
from .layout import Paragraph, is_upper_title
from .numbering import Marker, parse_marker

# Bumped whenever clause boundaries or paths change, so existing indexes are rebuilt.
CHUNKER_VERSION = 3
HEADING_CHARS = 160

_END_MATTER = re.compile(
    r"^(?:Nơi nhận\s*:?|T/?M\.?\s|TM\.\s|K/?T\.?\s|KT\.\s|Q\.\s|TL\.\s|T/L\s|"
    r"TM\s+(?:BAN|THỊ|TỈNH|HUYỆN|THÀNH|ĐẢNG|HỘI|ỦY|UỶ|CHÍNH)|"
    r"CHỦ TỊCH$|BÍ THƯ$|TỔNG BÍ THƯ$)"
)
# Upper-case title of a document printed after a resolution's signature
# ("CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ", "QUY CHẾ LÀM VIỆC…").
_ATTACHED = re.compile(r"^(CHƯƠNG TRÌNH|KẾ HOẠCH|QUY CHẾ|QUY ĐỊNH|ĐIỀU LỆ|ĐỀ ÁN|HƯỚNG DẪN)\b")
# Outer levels by rank (lower contains higher); deeper kinds nest by first appearance.
_RANK = {"phuluc": 0, "attached": 0, "phan": 1, "chuong": 2, "muc": 3, "alpha": 4, "roman": 5}
_FRONT_START = re.compile(r"^(?:Căn cứ|Tại Hội nghị|Tại kỳ họp|Thực hiện|Sau khi|Để|Ngày)")


@dataclass
class _Level:
    key: str
    marker: Marker
    title: str
    path: str
    paragraphs: int = 0


def _is_body_start(para: Paragraph) -> bool:
    marker = parse_marker(para.text)
    if marker is not None and marker.kind != "bullet":
        return True
    text = para.text[marker.end:] if marker else para.text
    return bool(_FRONT_START.match(text)) or (len(text) >= 100 and not text.isupper())


def body_bounds(paras: list[Paragraph]) -> tuple[int, int]:
    """Index range ``[start, end)`` of the paragraphs that hold clauses.

    The header block (number, place and date, title lines) comes before ``start``; the
    "Nơi nhận" list and signature block, searched for in the last half, start at ``end``
    unless an annex or attached document follows them.
    """
    start = next((i for i, p in enumerate(paras) if _is_body_start(p)), 0)
    end = len(paras)
    half = start + (len(paras) - start) // 2
    for i in range(max(start + 1, half), len(paras)):
        if _END_MATTER.match(paras[i].text):
            if not any(_opens_annex(p.text) for p in paras[i + 1:]):
                end = i
            break
    return start, end


def _opens_annex(text: str) -> bool:
    marker = parse_marker(text)
    if marker is not None:
        return marker.kind == "phuluc"
    return _attached_name(text) is not None


def _attached_name(text: str) -> str | None:
    """``Chương trình`` for "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ…", else ``None``."""
    found = _ATTACHED.match(text)
    if found and is_upper_title(_upper_head(text)):
        return found.group(1).capitalize()
    return None


def _path(stack: list[_Level]) -> str:
    has_dieu = any(level.key == "dieu" for level in stack)
    parts: list[str] = []
    for i, level in enumerate(stack):
        kind = level.marker.kind
        if has_dieu and kind in {"phan", "chuong", "muc"}:
            continue
        if kind == "item" and i + 1 < len(stack) and stack[i + 1].marker.kind == "item":
            continue  # the deeper item's label (2.6) already contains this one (2)
        if kind == "phan":
            parts.append(f"Phần {level.marker.label}")
        elif kind == "phuluc":
            parts.append(f"Phụ lục {level.marker.label}".strip())
        elif kind == "attached":
            parts.append(level.marker.label)
        elif kind == "chuong":
            parts.append(f"Chương {level.marker.label}")
        elif kind == "muc":
            parts.append(f"Mục {level.marker.label}")
        elif kind == "dieu":
            parts.append(f"Điều {level.marker.label}")
        else:
            parts.append(level.marker.label)
    return ".".join(parts)


def _upper_head(text: str) -> str:
    """The words of ``text`` before the first one with a lower-case letter."""
    words = []
    for word in text.split():
        if any(c.islower() for c in word):
            break
        words.append(word)
    return " ".join(words)


def _cut_at(stack: list[_Level], key: str, kind: str) -> int:
    """Index of the first stack level a new ``kind`` marker closes (``len(stack)``: none)."""
    keys = [level.key for level in stack]
    if key in keys:
        return keys.index(key)
    rank = _RANK.get(kind)
    if rank is None:
        return len(stack)
    for i, level in enumerate(stack):
        if _RANK.get(level.marker.kind, len(_RANK)) >= rank:
            return i
    return len(stack)


def _heading(text: str) -> str:
    text = text.strip()
    return text if len(text) <= HEADING_CHARS else text[: HEADING_CHARS - 1].rstrip() + "…"


def split_long(text: str, max_chars: int) -> list[str]:
    """Split ``text`` at sentence boundaries into pieces of at most ~``max_chars`` characters.

    A sentence up to twice ``max_chars`` stays whole. Longer "sentences" (tables and lists
    without full stops, which would be truncated by the encoder) are cut at ``;``, ``|``
    or line breaks, and as a last resort between words.
    """
    if len(text) <= max_chars:
        return [text]
    from ..vietnamese import sentences

    pieces: list[str] = []
    for sentence in sentences(text):
        pieces.extend([sentence] if len(sentence) <= 2 * max_chars else _cut(sentence, max_chars))
    parts: list[str] = []
    current = ""
    for sentence in pieces:
        if current and len(current) + 1 + len(sentence) > max_chars:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


def _cut(sentence: str, max_chars: int) -> list[str]:
    out: list[str] = []
    for piece in re.split(r"(?<=[;|\n])\s*", sentence):
        while len(piece) > max_chars:
            cut = piece.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            out.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece.strip():
            out.append(piece.strip())
    return out


def build_clauses(doc_id: str, text: str, paras: list[Paragraph], *,
                  pages: list[int | None] | None = None,
                  max_chars: int = DEFAULT_MAX_CHARS) -> list[Clause]:
    """Turn the paragraphs of one document into clauses.

    Args:
        doc_id: Identifier used as the prefix of clause ids.
        text: The document text the paragraphs' offsets point into.
        paras: Paragraphs of ``text`` in order (see :func:`rag.ingest.layout.paragraphs`).
        pages: Optional page of each paragraph (PDFs), aligned with ``paras``.
        max_chars: Clauses longer than this are split at sentence boundaries.

    Returns:
        Clauses in document order with unique ids.
    """
    start, end = body_bounds(paras)
    stack: list[_Level] = []
    top_paragraphs = 0
    clauses: list[Clause] = []
    seen: dict[str, int] = {}
    signed = False  # a "Nơi nhận" list or signature block was passed inside the body
    for index in range(start, end):
        para = paras[index]
        marker = parse_marker(para.text)
        name = _attached_name(para.text) if marker is None and signed else None
        if name:  # a programme or rules issued by the resolution above, after its signature
            marker = Marker("attached", name, 0)
        if _END_MATTER.match(para.text):
            # "Nơi nhận" / signature before an attached document: no longer part of Điều 3.
            stack.clear()
            signed = True
        if marker is not None and marker.kind != "bullet":
            key = marker.level_key
            del stack[_cut_at(stack, key, marker.kind):]
            level = _Level(key, marker, _heading(para.text), "")
            stack.append(level)
            level.path = _path(stack)
            path, kind, label = level.path, marker.kind, marker.label
            headings = tuple(lv.title for lv in stack[:-1])
        else:
            if stack:
                stack[-1].paragraphs += 1
                path = f"{stack[-1].path}¶{stack[-1].paragraphs}"
            else:
                top_paragraphs += 1
                path = f"¶{top_paragraphs}"
            kind = "bullet" if marker is not None else "paragraph"
            label = ""
            headings = tuple(lv.title for lv in stack)
        n = seen.get(path, 0) + 1
        seen[path] = n
        unique_path = path if n == 1 else f"{path}~{n}"  # numbering restarted or repeated
        pieces = split_long(para.text, max_chars)
        cursor = para.offset
        for part, piece in enumerate(pieces, 1):
            found = text.find(piece[:40], cursor)
            piece_start = found if found >= 0 else cursor
            piece_end = min(len(text), piece_start + len(piece))
            cursor = piece_end
            clause_id = f"{doc_id}#{unique_path}" + (f"#{part}" if part > 1 else "")
            clauses.append(Clause(
                id=clause_id, doc_id=doc_id, path=unique_path, part=part, kind=kind, label=label,
                headings=headings, text=piece, start=piece_start, end=piece_end,
                page=pages[index] if pages else None,
            ))
    return clauses

