"""Offline semantic search and question answering over Vietnamese party documents.

Pipeline modules, in order: ``text`` (Unicode clean-up) → ``reading``/``layout``/
``numbering``/``chunking``/``metadata`` (documents into clauses, via ``ingest``) →
``e5s1``/``convert``/``embedding`` (the encoder) → ``lexical``/``dense``/``store``/
``indexing`` (the index directory) → ``glossary``/``fusion``/``index`` (retrieval) → ``cli``.
"""

from .convert import DEFAULT_MODEL
from .embedding import Embedder, ModelInfo
from .index import Index, IndexNotFoundError, ModelMismatchError, SearchSettings, load_index
from .indexing import BuildReport, build_index
from .records import Clause, Document, Hit
from .text import normalize_query, normalize_text

__all__ = [
    "DEFAULT_MODEL", "BuildReport", "Clause", "Document", "Embedder", "Hit", "Index", "IndexNotFoundError",
    "ModelInfo", "ModelMismatchError", "SearchSettings", "build_index", "load_index", "normalize_query",
    "normalize_text",
]
__version__ = "0.1.0"
