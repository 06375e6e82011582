"""Checking what the HTTP API and the app's forms pass to a search (no gradio here)."""

from __future__ import annotations

from ..limits import MAX_K, check_question
from ..vocab import MODES


def search_params(query, year_from=None, year_to=None, doc_type=None, issuer=None, mode="hybrid",
                  k=10) -> dict:
    """Checked keyword arguments of :meth:`rag.search.searcher.Index.search` from API input.

    ``k`` is clamped to 1…:data:`rag.limits.MAX_K`.

    Raises:
        ValueError: A message in Vietnamese and English naming the bad value.
    """
    if not isinstance(query, str):
        raise ValueError("Thiếu câu hỏi / query must be text.")
    check_question(query)
    if mode not in MODES:
        raise ValueError(f"Chế độ không hợp lệ {mode!r}; chọn một trong {', '.join(MODES)} / unknown mode.")
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise ValueError(f"k phải là số nguyên, không phải {k!r} / k must be an integer.") from None
    years = []
    for name, value in (("year_from", year_from), ("year_to", year_to)):
        if value in (None, ""):
            years.append(None)
            continue
        try:
            year = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} phải là năm (vd. 2024), không phải {value!r} / "
                             f"{name} must be a year.") from None
        if not 1900 <= year <= 2100:
            raise ValueError(f"{name} = {year} nằm ngoài 1900–2100 / {name} out of range.")
        years.append(year)
    if years[0] and years[1] and years[0] > years[1]:
        raise ValueError("year_from lớn hơn year_to / year_from is after year_to.")
    return {"query": query, "k": max(1, min(k, MAX_K)), "mode": mode, "year_from": years[0],
            "year_to": years[1], "doc_type": doc_type or None, "issuer": issuer or None}
