"""Citation labels: how a clause and its document are named wherever people read them.

One place for the label format, used by the chat answer, the citation cards, the search
results, the CLI and the HTTP API: "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6"
(and "Conclusion of Thị ủy Đức Phổ, 11/10/2024 — clause II.2.6" for English questions).
Clause paths are read the way a cadre cites them: an unnumbered paragraph is "đoạn 1,
phần I", an article "Điều 5, khoản 2, điểm a", and a deep path is shortened to
"Phần 2 › A › II … › 2.6" (the full heading trail stays on the card).
"""

from __future__ import annotations

import re

from ..vocab import ENGLISH_TYPES

_PARAGRAPH = re.compile(r"¶(\d+)$")
_SUFFIX = re.compile(r"~\d+")
_ROMAN = re.compile(r"[IVXLC]+")
_LEAD = {True: ("mục", "phần"), False: ("clause", "part")}  # [Vietnamese?][a top-level part?]
_LONG = 3  # path elements shown in full before the rest is shortened to "…"
_SHORT_PATH = 16  # a path without spaces up to this length is shown as printed


def format_date(date: str | None) -> str:
    """ISO ``2024-10-11`` → ``11/10/2024`` (``2025-08`` → ``08/2025``)."""
    if not date:
        return ""
    parts = date.split("-")
    return "/".join(reversed(parts))


def doc_label(hit, language: str = "vi") -> str:
    """Type, number, issuer and date of a hit's document, in Vietnamese or English.

    Args:
        hit: A :class:`rag.Hit` or :class:`rag.Citation` (anything with ``doc_type``,
            ``number``, ``issuer`` and ``date``).
        language: ``vi`` or ``en``.
    """
    date = format_date(hit.date)
    if language == "en":
        kind = ENGLISH_TYPES.get(hit.doc_type or "", hit.doc_type or "Document")
        head = f"{kind} {hit.number}" if hit.number else kind
        return ", ".join(p for p in (f"{head} of {hit.issuer}" if hit.issuer else head, date) if p)
    words = [hit.doc_type or "Văn bản"]
    if hit.number:
        words.append(f"số {hit.number}")
    if hit.issuer:
        words.append(hit.issuer)
    if date:
        precision = {10: "ngày", 7: "tháng"}.get(len(hit.date or ""), "năm")
        words.append(f"{precision} {date}")
    return " ".join(words)


def _article(path: str, language: str) -> str:
    """``Điều 5.2.a`` → ``Điều 5, khoản 2, điểm a`` (``Article 5(2)(a)``)."""
    parts = path.split(".")
    if language == "en":
        return parts[0].replace("Điều", "Article") + "".join(f"({p})" for p in parts[1:])
    words = [parts[0]] + [f"{w} {p}" for w, p in zip(("khoản", "điểm", "tiết"), parts[1:], strict=False)]
    return ", ".join(words)


def _chain(base: str, number: str) -> list[str]:
    """Path elements, the last item number (``2.6``) kept whole at the end."""
    if number and base.endswith(number) and (len(base) == len(number) or base[-len(number) - 1] == "."):
        head = base[:-len(number)].rstrip(".")
        return [*(head.split(".") if head else []), number]
    parts = base.split(".") if base else []
    # Without the printed number, two trailing numbers are read as one item number ("2.6").
    if len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
        parts[-2:] = [f"{parts[-2]}.{parts[-1]}"]
    return parts


def _short(base: str, chain: list[str]) -> str:
    if " " not in base and len(base) <= _SHORT_PATH:
        return base  # "II.2.6", "3.5.1.b" read as printed
    if len(chain) <= _LONG + 1:
        return " › ".join(chain)
    return " › ".join(chain[:_LONG]) + " … › " + chain[-1]


def clause_label(path: str, number: str = "", language: str = "vi") -> str:
    """How a clause path is read: ``mục II.2.6``, ``đoạn 1, phần I``, ``Điều 5, khoản 2, điểm a``.

    Args:
        path: The clause path (``II.2.6``, ``I¶1``, ``Phần 2.A.II.1.1.2.6``, ``Căn cứ``).
        number: The clause's number as printed (``2.6``), which keeps ``2.6`` whole.
        language: ``vi`` or ``en``.
    """
    path = _SUFFIX.sub("", path)
    if path == "Căn cứ":  # the legal basis of the preamble (rag.ingest.blocks)
        return "Căn cứ" if language == "vi" else "legal basis"
    paragraph = _PARAGRAPH.search(path)
    base = path[:paragraph.start()] if paragraph else path
    if base.startswith("Điều"):
        text = _article(base, language)
    else:
        chain = _chain(base, "" if paragraph else number)
        text = _short(base, chain)
        if text and chain[0].split()[0] not in {"Phần", "Phụ", "Chương", "Mục"}:
            part = bool(len(chain) == 1 and _ROMAN.fullmatch(chain[0]))
            text = f"{_LEAD[language == 'vi'][part]} {text}"
    if not paragraph:
        return text
    word = "đoạn" if language == "vi" else "paragraph"
    return f"{word} {paragraph.group(1)}, {text}" if text else f"{word} {paragraph.group(1)}"


def citation_label(hit, language: str = "vi") -> str:
    """``Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6`` (``— clause II.2.6`` in English)."""
    page = (f", trang {hit.page}" if language == "vi" else f", page {hit.page}") if hit.page else ""
    where = clause_label(hit.path, getattr(hit, "clause_number", ""), language)
    return f"{doc_label(hit, language)} — {where}{page}"
