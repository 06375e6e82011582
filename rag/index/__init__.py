"""Stage 3, the index directory.

``lexical`` (BM25), ``dense`` (vectors), ``store`` (versioned folders), ``integrity``
(checksums) and ``build`` (``build_index``).
"""
