"""Filters of the chat and the search tab: checked values, removable chips and what applied.

The five controls — documents, year from, year to, type, issuer — are passed around as
one tuple of values in that order. Chips ("Từ năm 2016", "Loại: Nghị quyết") show the
filters in force above the question box; removing a chip clears its control.
"""

from __future__ import annotations

import gradio as gr

from ..answer.labels import doc_label

FIELDS = ("docs", "year_from", "year_to", "doc_type", "issuer")


def parse_year(value, label: str) -> int | None:
    """A year typed in a box (``None`` when blank).

    Raises:
        gradio.Error: Not a year between 1900 and 2100, in Vietnamese.
    """
    text = str(value).strip() if value is not None else ""
    if not text or text == "0":
        return None
    try:
        year = int(float(text))
    except ValueError:
        raise gr.Error(f"{label}: “{text}” không phải là năm (ví dụ 2024).") from None
    if not 1900 <= year <= 2100:
        raise gr.Error(f"{label}: {year} nằm ngoài khoảng 1900–2100.")
    return year


class ChatFilters:
    """The filter controls' choices, their values as search arguments, and their chips."""

    def __init__(self, lib) -> None:
        self.lib = lib

    def doc_choices(self) -> list[tuple[str, str]]:
        """(label, id) of every indexed document, newest first."""
        if self.lib.index is None:
            return []
        docs = sorted(self.lib.index.documents, key=lambda d: (d.date or "", d.id), reverse=True)
        return [(f"{doc_label(d)}{' — ' + d.title if d.title else ''}", d.id) for d in docs]

    def arguments(self, docs, year_from, year_to, doc_type, issuer) -> dict:
        """Keyword arguments of :meth:`rag.search.searcher.Index.answer` / ``search`` / ``browse``."""
        first, last = parse_year(year_from, "Từ năm"), parse_year(year_to, "Đến năm")
        if first and last and first > last:
            raise gr.Error(f"“Từ năm” ({first}) lớn hơn “Đến năm” ({last}).")
        return {"year_from": first, "year_to": last, "doc_type": doc_type or None, "issuer": issuer or None,
                "doc_id": list(docs) if docs else None}

    def describe(self, docs, year_from, year_to, doc_type, issuer) -> list[str]:
        """One chip per filter in force, e.g. ``Từ năm 2016``, ``Văn bản: Kết luận …``."""
        labels = dict((i, label) for label, i in self.doc_choices())
        chips = [f"Văn bản: {labels.get(d, d)}" for d in docs or []]
        chips += [f"{name} {int(float(v))}" for name, v in (("Từ năm", year_from), ("Đến năm", year_to))
                  if v not in (None, "", 0, "0")]
        chips += [f"{name}: {v}" for name, v in (("Loại", doc_type), ("Cơ quan", issuer)) if v]
        return chips

    def chips(self, *values):
        """The chips control for the given filter values (hidden when nothing is filtered)."""
        try:
            shown = self.describe(*values)
        except ValueError:
            shown = []
        return gr.Dropdown(choices=shown, value=shown, visible=bool(shown))

    def drop(self, kept, docs, year_from, year_to, doc_type, issuer):
        """After a chip was removed: the controls with that filter cleared, and the chips again."""
        kept = set(kept or [])
        labels = dict((i, label) for label, i in self.doc_choices())
        docs = [d for d in docs or [] if f"Văn bản: {labels.get(d, d)}" in kept]
        values = [docs,
                  year_from if any(c.startswith("Từ năm") for c in kept) else None,
                  year_to if any(c.startswith("Đến năm") for c in kept) else None,
                  doc_type if any(c.startswith("Loại:") for c in kept) else None,
                  issuer if any(c.startswith("Cơ quan:") for c in kept) else None]
        return (*values, self.chips(*values))

    def controls(self):
        """Fresh choices for the document, type and issuer controls (as the corpus is now)."""
        index = self.lib.index
        types, issuers = (index.doc_types(), index.issuers()) if index is not None else ([], [])
        return (gr.Dropdown(choices=self.doc_choices()), gr.Dropdown(choices=[""] + types),
                gr.Dropdown(choices=[""] + issuers))
