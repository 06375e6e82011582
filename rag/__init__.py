"""Offline semantic search and question answering over Vietnamese party documents.

Pipeline modules, in order: ``text`` (Unicode clean-up) → ``corpus`` (which files, safely)
→ ``reading``/``layout``/``numbering``/``chunking``/``metadata`` (documents into clauses,
via ``ingest``, within ``limits``) → ``e5s1``/``convert``/``embedding`` (the encoder) →
``lexical``/``dense``/``store``/``integrity``/``indexing`` (the index directory) →
``glossary``/``fusion``/``index`` (retrieval) → ``answer``/``render`` → ``cli`` and the web
app (``library``, ``datadir``, ``uploads``, ``audit``, ``app``).
"""

from .convert import DEFAULT_MODEL
from .corpus import Corpus
from .embedding import Embedder, ModelInfo
from .index import Index, IndexNotFoundError, ModelMismatchError, SearchSettings, load_index
from .indexing import BuildReport, build_index
from .integrity import IndexCorruptError
from .limits import Limits, QuestionTooLongError
from .records import Clause, Document, Hit
from .text import normalize_query, normalize_text

__all__ = [
    "DEFAULT_MODEL", "BuildReport", "Clause", "Corpus", "Document", "Embedder", "Hit", "Index",
    "IndexCorruptError", "IndexNotFoundError", "Limits", "ModelInfo", "ModelMismatchError",
    "QuestionTooLongError", "SearchSettings", "build_index", "load_index", "normalize_query",
    "normalize_text",
]
__version__ = "0.1.0"
