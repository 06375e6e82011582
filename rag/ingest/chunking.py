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
or attached programme stays, as top-level paragraphs rather than under the last article
(it says who signed); the "Nơi nhận" list before it is left out all the same. The legal
basis of the preamble ("- Căn cứ Điều lệ Đảng;", "Xét Tờ trình…") is one clause with the
path ``Căn cứ`` and the kind ``basis`` (see :mod:`rag.ingest.blocks`), not paragraphs ``¶1``,
``¶2``…; printed rules ("-----") are dropped. Clauses longer than ``max_chars`` are split at
sentence boundaries into parts that share the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Clause
from ..vocab import DEFAULT_MAX_CHARS
from .blocks import END_MATTER, RECIPIENTS, attached_name, basis_run, is_recipient, is_rule, opens_annex
from .layout import Paragraph
from .numbering import Marker, parse_marker

# Bumped whenever clause boundaries or paths change, so existing indexes are rebuilt.
CHUNKER_VERSION = 4
HEADING_CHARS = 160
BASIS_PATH = "Căn cứ"
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
        if END_MATTER.match(paras[i].text):
            if not any(opens_annex(p.text) for p in paras[i + 1:]):
                end = i
            break
    return start, end


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


def _pieces(text: str, body: str, offset: int, max_chars: int) -> list[tuple[str, int]]:
    """``body`` (found in ``text`` from ``offset`` on) split at sentences, each with its start."""
    out = []
    cursor = offset
    for piece in split_long(body, max_chars):
        found = text.find(piece[:40], cursor)
        start = found if found >= 0 else cursor
        out.append((piece, start))
        cursor = min(len(text), start + len(piece))
    return out


def _basis_pieces(text: str, paras: list[Paragraph], max_chars: int) -> list[tuple[str, int]]:
    """The basis paragraphs packed into parts of up to ``max_chars``, each a span of ``text``."""
    out: list[tuple[str, int]] = []
    group: list[Paragraph] = []

    def flush() -> None:
        if group:
            start, last = group[0].offset, group[-1]
            out.append((text[start:last.offset + len(last.text)], start))
            group.clear()

    for para in paras:
        if len(para.text) > max_chars:  # one long "Căn cứ" line: split like any clause
            flush()
            out.extend(_pieces(text, para.text, para.offset, max_chars))
            continue
        if group and para.offset + len(para.text) - group[0].offset > max_chars:
            flush()
        group.append(para)
    flush()
    return out


@dataclass
class _Output:
    """Clauses built so far, with the count of each path (a repeated path gets ``~2``)."""

    doc_id: str
    text: str
    clauses: list[Clause] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, path: str, kind: str, label: str, headings: tuple[str, ...],
            pieces: list[tuple[str, int]], page: int | None) -> None:
        n = self.seen.get(path, 0) + 1
        self.seen[path] = n
        unique_path = path if n == 1 else f"{path}~{n}"  # numbering restarted or repeated
        for part, (piece, start) in enumerate(pieces, 1):
            clause_id = f"{self.doc_id}#{unique_path}" + (f"#{part}" if part > 1 else "")
            self.clauses.append(Clause(
                id=clause_id, doc_id=self.doc_id, path=unique_path, part=part, kind=kind, label=label,
                headings=headings, text=piece, start=start, end=min(len(self.text), start + len(piece)),
                page=page,
            ))


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
        Clauses in document order with unique ids; the legal basis, if any, first.
    """
    start, end = body_bounds(paras)
    basis = basis_run(paras, start, end)
    out = _Output(doc_id, text)
    stack: list[_Level] = []
    top_paragraphs = 0
    signed = False  # a "Nơi nhận" list or signature block was passed inside the body
    listing = False  # inside a "Nơi nhận" list: its entries are not clauses
    for index in range(start, end):
        para = paras[index]
        page = pages[index] if pages else None
        if index in basis:
            if index == basis.start:
                chosen = paras[basis.start:basis.stop]
                out.add(BASIS_PATH, "basis", "", (), _basis_pieces(text, chosen, max_chars), page)
            continue
        if is_rule(para.text):
            continue
        marker = parse_marker(para.text)
        name = attached_name(para.text) if marker is None and signed else None
        if name:  # a programme or rules issued by the resolution above, after its signature
            marker = Marker("attached", name, 0)
        if END_MATTER.match(para.text):
            # "Nơi nhận" / signature before an attached document: no longer part of Điều 3.
            stack.clear()
            signed = True
        if RECIPIENTS.match(para.text):
            listing = True
            continue
        if listing and is_recipient(para.text):
            continue
        # A signature line may stand inside the list (two-column layouts): the list goes on.
        listing = listing and bool(END_MATTER.match(para.text))
        if stack or (marker is not None and marker.kind != "bullet"):
            path, kind, label, headings = _place(stack, marker, para.text)
        else:
            top_paragraphs += 1
            path, kind, label, headings = f"¶{top_paragraphs}", _kind(marker), "", ()
        out.add(path, kind, label, headings, _pieces(text, para.text, para.offset, max_chars), page)
    return out.clauses


def _kind(marker: Marker | None) -> str:
    return "bullet" if marker is not None else "paragraph"


def _place(stack: list[_Level], marker: Marker | None, text: str) -> tuple[str, str, str, tuple[str, ...]]:
    """Path, kind, label and headings of a heading (pushed on ``stack``) or a paragraph under one."""
    if marker is not None and marker.kind != "bullet":
        key = marker.level_key
        del stack[_cut_at(stack, key, marker.kind):]
        level = _Level(key, marker, _heading(text), "")
        stack.append(level)
        level.path = _path(stack)
        return level.path, marker.kind, marker.label, tuple(lv.title for lv in stack[:-1])
    stack[-1].paragraphs += 1
    return (f"{stack[-1].path}¶{stack[-1].paragraphs}", _kind(marker), "",
            tuple(lv.title for lv in stack))
