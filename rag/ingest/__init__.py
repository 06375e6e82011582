"""Stage 1, ingestion: files in, documents with clauses out.

``corpus`` (which files, safely), ``reading`` (text), ``layout`` (paragraphs),
``numbering`` (clause numbers), ``chunking`` (clauses), ``metadata``, put together per
document by ``documents`` (``read_document``, ``ingest_folder``).
"""
