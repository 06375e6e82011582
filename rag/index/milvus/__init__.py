"""The Milvus backend: an index whose rows are ranked by Milvus Lite, a standalone server or a cluster.

- :mod:`.schema`: the chunk collection (dense vector, BM25 over this package's tokens,
  filter fields);
- :mod:`.expressions`: filters as Milvus expressions built from typed values;
- :mod:`.writer` / :mod:`.reader`: the two sides of :mod:`rag.index.backend`'s seam;
- :mod:`.migrate`: an embedded index moved into Milvus without embedding again;
- :mod:`.client`: connecting (URI in ``meta.json``, token from ``$RAG_MILVUS_TOKEN``).
"""
