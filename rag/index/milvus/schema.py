"""The chunk collection of the Milvus backend: one entity per chunk row, with dense and BM25 fields.

Lexical scoring keeps this package's tokens: underthesea words plus their syllables
(:func:`rag.index.lexical.tokenize`) and their diacritic-folded twins. Milvus' own BM25
function scores them server-side from text fields that hold those tokens joined by spaces
(:func:`analyzer_text`), so its statistics (document count, average length, document
frequencies) follow every insert and delete, which client-side sparse vectors with frozen
statistics would not. Lite accepts only the ``standard`` and ``jieba`` analyzers; the
standard tokenizer keeps ``khai_thác`` whole (the underscore joins words in Unicode word
segmentation) and lower-cases, so each token is made of word characters and underscores
only: ``57-nq/tw`` is written ``57_nq_tw``, one token as in bm25s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..lexical import DEFAULT_PARAMS

MAX_TEXT = 65_535  # Milvus VARCHAR limit in bytes
_NON_WORD = re.compile(r"[^\w]+")

# field name -> (what it holds); the order is the schema's.
CHUNK_FIELDS = {
    "row": "primary key: the row number the search passes around",
    "chunk_id": "clause id (doc#path, #part for a split clause)",
    "doc_id": "document id",
    "clause_key": "equal for the parts of one clause",
    "part": "part number of a split clause (1 otherwise)",
    "path": "clause path (II.2.6)",
    "record": "the chunk row as JSON (text, headings, span, page)",
    "tokens": "BM25 tokens, space-joined (analyzer input)",
    "folded": "the same tokens without diacritics",
    "year": "document year, -1 when undated",
    "doc_type_fold": "document type, lower-case without diacritics",
    "issuer_fold": "issuer, lower-case without diacritics",
    "number": "document number (57-NQ/TW)",
    "date": "document date (ISO)",
    "dense": "the clause vector",
    "bm25": "BM25 sparse vector of tokens (function output)",
    "bm25_folded": "BM25 sparse vector of folded (function output)",
}


def analyzer_text(tokens: Sequence[str]) -> str:
    """``tokens`` as the text Milvus' standard analyzer splits back into the same tokens.

    Cut at a token boundary to fit a VARCHAR field (:data:`MAX_TEXT` bytes): only a clause of
    over ~20,000 characters, which the chunker splits when it reads files, can reach it.
    """
    words = (_NON_WORD.sub("_", t).strip("_") for t in tokens)
    return fit(" ".join(w for w in words if w))


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut at its last space that keeps it within ``limit`` UTF-8 bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[:limit].decode("utf-8", errors="ignore")
    return cut[:cut.rfind(" ")] if " " in cut else cut


def chunk_schema(dimension: int, partition_key: str | None = None):
    """The chunk collection's schema: scalar fields, the dense vector and two BM25 functions.

    Args:
        dimension: Size of the dense vectors.
        partition_key: A scalar field (``year``, ``issuer_fold``) Milvus hashes rows into
            partitions by; none by default (``eval/milvus_partitions.py`` measured no gain on
            Lite, see EXPERIMENTS).
    """
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    for name in ("chunk_id", "doc_id", "path", "number", "date", "doc_type_fold", "issuer_fold"):
        schema.add_field(name, DataType.VARCHAR, max_length=2_048, is_partition_key=name == partition_key)
    for name in ("clause_key", "part", "year"):
        schema.add_field(name, DataType.INT64, is_partition_key=name == partition_key)
    schema.add_field("record", DataType.VARCHAR, max_length=MAX_TEXT)
    for name in ("tokens", "folded"):
        schema.add_field(name, DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                         analyzer_params={"type": "standard"})
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dimension))
    for source, target in (("tokens", "bm25"), ("folded", "bm25_folded")):
        schema.add_field(target, DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name=f"{target}_function", function_type=FunctionType.BM25,
                                     input_field_names=[source], output_field_names=[target]))
    return schema


def chunk_index_params(client, params: dict | None = None):
    """Index parameters: exact inner product on ``dense``, BM25 with bm25s' k1 and b on the sparse ones."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    for field in ("bm25", "bm25_folded"):
        index.add_index(field, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": params["k1"], "bm25_b": params["b"]})
    return index
