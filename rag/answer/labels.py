"""Citation labels: how a clause and its document are named wherever people read them.

One place for the label format, used by the chat answer, the citation cards, the search
results, the CLI and the HTTP API: "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6"
(and "Conclusion of Thị ủy Đức Phổ, 11/10/2024 — clause II.2.6" for English questions).
"""

from __future__ import annotations

from ..vocab import ENGLISH_TYPES


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


def citation_label(hit, language: str = "vi") -> str:
    """``Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6`` (``— clause II.2.6`` in English)."""
    page = (f", trang {hit.page}" if language == "vi" else f", page {hit.page}") if hit.page else ""
    return f"{doc_label(hit, language)} — {'mục' if language == 'vi' else 'clause'} {hit.path}{page}"
