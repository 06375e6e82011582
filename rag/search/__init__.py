"""Stage 4, retrieval.

Query planning aids (``glossary``, ``diacritics``, ``references``), rank fusion
(``fusion``) and the loaded index that searches (``searcher.Index``, ``load_index``).
"""
