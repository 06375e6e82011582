"""Unicode clean-up applied once at every entry point (documents, queries, gold answers).

Vietnamese text arrives in NFC, in NFD (decomposed tone marks, common from macOS and
some PDF extractors) and with stray control or zero-width characters. Everything in
this project goes through :func:`normalize_text` before it is compared, embedded or
indexed, so "Quyết định" typed either way is one string.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi marks, BOM, soft hyphen, and C0/C1 controls except tab/newline.
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
    "\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]"
)
_FORM_BREAKS = re.compile("[\x0c\u2028\u2029]")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")
_LABEL = re.compile(r"^\s*[\w.]{1,10}[.)]\s*$")  # a clause number such as "2.6." or "a)"
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def normalize_text(text: str) -> str:
    r"""Return ``text`` in NFC with invisible characters removed.

    Line structure is kept (``\\n``); form feeds and Unicode line/paragraph
    separators become newlines; ``\\r\\n`` and ``\\r`` become ``\\n``; runs of
    horizontal whitespace (including no-break spaces) become one space.

    Args:
        text: Any string.

    Returns:
        The cleaned, NFC-normalised string.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _FORM_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text)


def normalize_query(text: str) -> str:
    """Normalise a one-line query: :func:`normalize_text`, then collapse all whitespace."""
    return " ".join(normalize_text(text).split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``; a lone clause number joins its sentence."""
    bounds: list[tuple[int, int]] = []
    position = 0
    for piece in _SENTENCE_END.split(text):
        begin = text.find(piece, position)
        if piece.strip():
            if bounds and _LABEL.match(text[bounds[-1][0]:bounds[-1][1]]):  # "2.6." opens the sentence
                bounds[-1] = (bounds[-1][0], begin + len(piece))
            else:
                bounds.append((begin, begin + len(piece)))
        position = begin + len(piece)
    return bounds
