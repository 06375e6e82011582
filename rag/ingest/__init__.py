"""Stage 1, ingestion: files in, documents with clauses out.

``corpus`` (which files, safely), ``reading`` (text), ``layout`` (paragraphs),
``numbering`` (clause numbers), ``blocks`` (legal basis, "Nơi nhận", end matter),
``chunking`` (clauses), ``metadata`` with ``signing`` (signer, term), put together per
document by ``documents`` (``read_document``, ``ingest_folder``); ``report`` gives the
metadata coverage per folder.
"""
