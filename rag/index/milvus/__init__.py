"""The Milvus backend (issue 19, in progress): an index kept in Milvus Lite, standalone or a cluster.

Built so far: filter expressions from typed values (:mod:`.expressions`) and the
collection schema with BM25 over the pre-segmented tokens (:mod:`.schema`). The reader and
writer behind :mod:`rag.index.backend`'s protocols come next; until then ``milvus`` is not
in :data:`rag.vocab.BACKENDS`.
"""
