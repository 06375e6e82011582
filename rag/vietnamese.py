"""Vietnamese text processing: the one module that imports underthesea.

* :func:`fold` removes diacritics (``đ`` → ``d`` included) so queries typed without
  accents can match;
* :func:`sentences` splits text into sentences (underthesea ``sent_tokenize``);
* :func:`lexical_tokens` gives lower-cased word-segmented tokens for the lexical index
  (multi-syllable words joined by ``_``), and :func:`folded_tokens` their folded form.

underthesea takes ~4 s to import, so it is imported on first use only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def _underthesea():
    try:
        import underthesea
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ImportError(
            "Vietnamese sentence splitting and word segmentation need underthesea: "
            "pip install underthesea"
        ) from exc
    return underthesea


def fold(text: str) -> str:
    """Remove Vietnamese diacritics: ``"Đảng bộ thị xã"`` → ``"Dang bo thi xa"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    """True when ``text`` contains any Vietnamese diacritic (or ``đ``)."""
    return fold(text) != text


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences with underthesea; whitespace-only pieces are dropped."""
    return [s.strip() for s in _underthesea().sent_tokenize(text) if s.strip()]


def lexical_tokens(text: str) -> list[str]:
    """Lower-cased word-segmented tokens, punctuation removed (``khai_thác``, ``hải_sản``)."""
    words = _underthesea().word_tokenize(text)
    return [w.lower().replace(" ", "_") for w in words if _WORD.search(w)]


def folded_tokens(tokens: list[str]) -> list[str]:
    """Diacritic-folded form of :func:`lexical_tokens` output."""
    return [fold(t) for t in tokens]
