"""Offline semantic search and question answering over Vietnamese party documents.

Pipeline modules, in order: ``text`` (Unicode clean-up) → ``corpus`` (which files, safely)
→ ``reading``/``layout``/``numbering``/``chunking``/``metadata`` (documents into clauses,
via ``ingest``, within ``limits``) → ``e5s1``/``convert``/``embedding`` (the encoder) →
``lexical``/``dense``/``store``/``integrity``/``indexing`` (the index directory) →
``glossary``/``fusion``/``index`` (retrieval) → ``answer``/``render`` → ``cli`` and the web
app (``library``, ``datadir``, ``uploads``, ``audit``, ``app``).
"""

from .answer import Answer, Citation
from .convert import DEFAULT_MODEL
from .corpus import Corpus
from .e5s1 import FormatError
from .embedding import Embedder, ModelInfo, ModelNotAvailableError
from .errors import RagError
from .index import Index, IndexNotFoundError, ModelMismatchError, SearchSettings, load_index
from .indexing import BuildReport, build_index
from .ingest import ingest_folder, read_document
from .integrity import IndexCorruptError
from .limits import Limits, QuestionTooLongError
from .reading import ReadError
from .records import Clause, Document, Hit
from .store import IndexLockedError
from .text import normalize_query, normalize_text
from .uploads import UploadRejected

__all__ = [
    "DEFAULT_MODEL", "Answer", "BuildReport", "Citation", "Clause", "Corpus", "Document", "Embedder",
    "FormatError", "Hit", "Index", "IndexCorruptError", "IndexLockedError", "IndexNotFoundError", "Limits",
    "ModelInfo", "ModelMismatchError", "ModelNotAvailableError", "QuestionTooLongError", "RagError",
    "ReadError", "SearchSettings", "UploadRejected", "build_index", "ingest_folder", "load_index",
    "normalize_query", "normalize_text", "read_document",
]
__version__ = "0.1.0"
