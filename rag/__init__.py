"""Offline semantic search and question answering over Vietnamese party documents.

Stages, one sub-package each, in pipeline order: ``ingest`` (files → documents with
clauses) → ``models`` (the encoder) → ``index`` (the index directory) → ``search``
(retrieval) → ``answer`` (cited answers and their views); ``cli`` and ``app`` (the web
app) sit on top. ``text``, ``records``, ``vocab``, ``limits``, ``errors`` and
``vietnamese`` are shared by all stages.
"""

from .answer.compose import Answer, Citation
from .answer.timeline import TimelineGroup, timeline
from .app.uploads import UploadRejected
from .errors import RagError
from .index.build import BuildReport, build_index
from .index.integrity import IndexCorruptError
from .index.store import IndexLockedError
from .ingest.corpus import Corpus
from .ingest.documents import document_from_text, ingest_folder, read_document
from .ingest.reading import ReadError
from .limits import Limits, QuestionTooLongError
from .models.e5s1 import FormatError
from .models.embedding import Embedder, ModelInfo, ModelNotAvailableError
from .records import Clause, Document, Hit
from .search.loading import IndexNotFoundError, ModelMismatchError, load_index
from .search.searcher import Index
from .search.settings import SearchSettings
from .text import normalize_query, normalize_text
from .vocab import DEFAULT_MODEL

__all__ = [
    "DEFAULT_MODEL", "Answer", "BuildReport", "Citation", "Clause", "Corpus", "Document", "Embedder",
    "FormatError", "Hit", "Index", "IndexCorruptError", "IndexLockedError", "IndexNotFoundError", "Limits",
    "ModelInfo", "ModelMismatchError", "ModelNotAvailableError", "QuestionTooLongError", "RagError",
    "ReadError", "SearchSettings", "TimelineGroup", "UploadRejected", "build_index", "document_from_text",
    "ingest_folder",
    "load_index",
    "normalize_query", "normalize_text", "read_document", "timeline",
]
__version__ = "0.1.0"
