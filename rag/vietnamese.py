"""Vietnamese text processing: the one module that imports underthesea.

* :func:`fold` removes diacritics (``đ`` → ``d`` included) so queries typed without
  accents can match;
* :func:`sentences` splits text into sentences (underthesea ``sent_tokenize``);
* :func:`lexical_tokens` gives lower-cased word-segmented tokens for the lexical index
  (multi-syllable words joined by ``_``), and :func:`folded_tokens` their folded form.

underthesea is imported on first use only, and without its optional pipelines
(translation, classification, …): its ``__init__`` imports them eagerly, and the
translator alone pulls in transformers and torch, ~4 s and ~700 MB of resident memory that
word and sentence segmentation never use.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w", re.UNICODE)


# underthesea's optional pipelines (its ``optional_imports``); we segment words and sentences only.
_OPTIONAL_PIPELINES = (
    "underthesea.pipeline.classification",
    "underthesea.pipeline.sentiment",
    "underthesea.pipeline.lang_detect",
    "underthesea.pipeline.dependency_parse",
    "underthesea.pipeline.translate",
    "underthesea.agent",
    "underthesea.address",
)


@lru_cache(maxsize=1)
def _underthesea():
    # A ``None`` entry in sys.modules makes an import raise ImportError, which underthesea
    # catches for these optional pipelines; the entries are removed again afterwards so a
    # caller who wants, say, ``underthesea.pipeline.translate`` can still import it.
    blocked = [name for name in _OPTIONAL_PIPELINES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    try:
        import underthesea
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ImportError(
            "Vietnamese sentence splitting and word segmentation need underthesea: "
            "pip install underthesea"
        ) from exc
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
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


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Lower-case entries of underthesea's Viet74K word list (found without importing underthesea).

    Empty when underthesea or its list is missing: callers must then leave text as it is.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.origin:
        return frozenset()
    path = Path(spec.origin).parent / "corpus" / "data" / "Viet74K.txt"
    if not path.is_file():
        return frozenset()
    lines = path.read_text("utf-8").splitlines()
    return frozenset(unicodedata.normalize("NFC", line.strip().lower()) for line in lines if line.strip())
