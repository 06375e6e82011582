"""Offline semantic search and question answering over Vietnamese party documents.

Pipeline modules, in order: ``text`` (Unicode clean-up) → ``e5s1``/``convert`` (the
bundled model) → ``embedding`` (sentence-transformers encoder) → ``cli``.
"""

from .convert import DEFAULT_MODEL
from .embedding import Embedder, ModelInfo
from .text import normalize_query, normalize_text

__all__ = ["DEFAULT_MODEL", "Embedder", "ModelInfo", "normalize_query", "normalize_text"]
__version__ = "0.1.0"
