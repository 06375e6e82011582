"""Build and incrementally update an index directory from a corpus folder.

Usage:
    rag index --corpus DIR [--index DIR] [--model NAME_OR_PATH] [--rebuild] [--faiss auto|flat|hnsw]
    rag verify [--index DIR]

Each file's content hash (bytes plus any metadata override) is kept in ``meta.json``;
an update re-reads and re-embeds only files that are new or changed, copies the vectors
and tokens of unchanged files from the live version, drops deleted files, and publishes
the result as a new version (see :mod:`rag.index.store`). The live version's checksums
(:mod:`rag.index.integrity`) are verified before anything is reused from it; a damaged live
version is rebuilt from the corpus instead.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..ingest.chunking import CHUNKER_VERSION
from ..ingest.corpus import Corpus
from ..ingest.documents import try_read, with_progress
from ..limits import DEFAULT_LIMITS, Limits
from ..records import Document
from ..vocab import DEFAULT_MAX_CHARS
from . import format as fmt
from . import store
from .dense import Dense
from .diacritics import Restorer
from .integrity import IndexCorruptError, checksums, verify
from .lexical import DEFAULT_PARAMS, Lexical, tokenize
from .report import BuildReport

DEFAULT_CONTEXT = "title+headings"
CONTEXTS = ("none", "headings", "title+headings")


def context_text(headings, text: str, title: str | None, context: str) -> str:
    """Text that is embedded and tokenised for a clause: its heading trail, then the clause."""
    trail = list(headings) if context != "none" else []
    if context == "title+headings" and title:
        trail.insert(0, title)
    return " › ".join(trail) + "\n" + text if trail else text


def file_hash(path: Path, override: dict | None) -> str:
    """sha256 of a file's bytes and its metadata override (changing either re-indexes it)."""
    digest = hashlib.sha256(path.read_bytes())
    if override:
        digest.update(json.dumps(override, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _settings(max_chars: int, context: str, lexical: dict) -> dict:
    return {"chunker": {"version": CHUNKER_VERSION, "max_chars": max_chars, "context": context},
            "lexical": {"scheme": lexical["scheme"]}}


def _document_rows(doc: Document, digest: str) -> tuple[dict, list[dict]]:
    row = doc.to_dict(with_clauses=False, with_text=True)
    row["sha256"] = digest
    return row, [c.to_dict() for c in doc.clauses]


class _Previous:
    """The live version's data, kept for reuse by an incremental update."""

    def __init__(self, folder: Path) -> None:
        self.meta = fmt.read_meta(folder)
        if self.meta.get("format") == fmt.FORMAT_VERSION:
            verify(folder, self.meta, full=True)
        self.documents = {d["id"]: d for d in fmt.read_jsonl(folder / fmt.DOCUMENTS)}
        self.chunks = fmt.read_jsonl(folder / fmt.CHUNKS)
        self.tokens = fmt.read_jsonl(folder / fmt.TOKENS)
        self.dense = Dense.load(folder / fmt.VECTORS, self.meta["faiss"]["kind"])
        self.rows_by_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            self.rows_by_doc.setdefault(chunk["doc_id"], []).append(row)


def _open_previous(live: Path, report: BuildReport) -> _Previous | None:
    """The live version for reuse, or ``None`` (and the reason in ``report``) when it is damaged."""
    try:
        return _Previous(live)
    except (IndexCorruptError, OSError, ValueError, KeyError, RuntimeError) as exc:
        # RuntimeError: faiss on a truncated file; ValueError: a JSON line cut short.
        report.reason = f"the live index is damaged ({exc}); everything is read again"
        return None


def _live_model(live: Path) -> str | None:
    try:
        return fmt.read_meta(live)["model"]["name"]
    except (OSError, ValueError, KeyError):
        return None


def build_index(corpus: str | Path | Corpus, index: str | Path = "index", *, model: str | None = None,
                embedder=None, rebuild: bool = False, faiss_kind: str = "auto",
                max_chars: int = DEFAULT_MAX_CHARS, limits: Limits = DEFAULT_LIMITS,
                context: str = DEFAULT_CONTEXT, lexical_params: dict | None = None,
                progress: bool = False, lock_timeout: float = 0.0) -> BuildReport:
    """Build the index of ``corpus`` in ``index``, or update it incrementally.

    Args:
        corpus: Folder of documents (.txt, .md, .docx, .pdf), read recursively, or a
            :class:`rag.ingest.corpus.Corpus` (mounted folders, where links may lead).
        index: Index directory (created if missing).
        model: Embedding model name or folder; defaults to the bundled model, or to the
            model of the existing index when updating.
        embedder: An already loaded encoder (anything with ``info``, ``encode_passages``
            and ``encode_queries``); overrides ``model``.
        rebuild: Re-read and re-embed every file even if unchanged.
        faiss_kind: ``auto`` (flat up to 20k chunks, fp16 up to 500k, HNSW above), ``flat``,
            ``fp16`` or ``hnsw``.
        max_chars: Split clauses longer than this at sentence boundaries.
        limits: Size, character and clause limits per document (:mod:`rag.limits`).
        context: What precedes the clause text when embedding and tokenising: ``none``,
            ``headings`` or ``title+headings``.
        lexical_params: BM25 settings (``k1``, ``b``, ``method``, ``scheme``).
        progress: Show progress bars on stderr.
        lock_timeout: Seconds to wait for another build holding the lock.

    Returns:
        A :class:`BuildReport`.

    Raises:
        FileNotFoundError: When ``corpus`` is not a folder.
        store.IndexLockedError: When another build holds the lock.
        ValueError: When no chunk could be read from the corpus.
    """
    started = time.perf_counter()
    corpus, root = Corpus.of(corpus), Path(index)
    if not corpus.root.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus.root}")
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {CONTEXTS}")
    lexical_params = {**DEFAULT_PARAMS, **(lexical_params or {})}
    settings = _settings(max_chars, context, lexical_params)
    report = BuildReport(index=root)
    with store.writer_lock(root, timeout=lock_timeout):
        store.cleanup(root)  # leftovers of builds that died
        live = store.current_version(root)
        previous = _open_previous(live, report) if live is not None and not rebuild else None
        embedder = embedder or _load_embedder(model, live)
        if previous is not None and not report.reason:
            report.reason = fmt.incompatibility(previous.meta, embedder.info.name, embedder.info.dimension,
                                                settings)
        previous = None if report.reason else previous
        report.full_rebuild = previous is None
        rows = _collect(corpus.scan(), previous, report, limits=limits, max_chars=max_chars,
                        context=context, progress=progress)
        if not rows.chunks:
            raise ValueError(f"no clauses could be read from {corpus.root}; nothing to index")
        if report.changed_anything:
            vectors = _embed(rows, previous, embedder, lexical_params["scheme"], report, progress)
            workspace = store.new_workspace(root)
            kind = _write_files(workspace, rows, vectors, faiss_kind, lexical_params)
            fmt.write_meta(workspace, _meta(workspace, rows, report, embedder, kind, corpus, settings,
                                            lexical_params, started))
            report.version = store.publish(root, workspace)
            store.cleanup(root)
        else:
            report.version = live
    report.documents, report.chunks = len(rows.documents), len(rows.chunks)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Rows:
    """The new version's rows, and which of them are taken from the live one or embedded anew."""

    documents: list[dict] = field(default_factory=list)
    chunks: list[dict] = field(default_factory=list)
    tokens: list = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # source file -> sha256, bytes, chunks
    reused_rows: list[int] = field(default_factory=list)  # rows of the live version taken over…
    reused_positions: list[int] = field(default_factory=list)  # …and their positions here
    new_texts: list[str] = field(default_factory=list)
    slots: list[tuple[int, int]] = field(default_factory=list)  # (position here, index in new_texts)


def _load_embedder(model: str | None, live: Path | None):
    from ..models.embedding import Embedder

    if model is None and live is not None:
        model = _live_model(live)
    return Embedder(model)


def _reuse(rows: _Rows, previous: _Previous, doc_id: str) -> None:
    rows.documents.append(previous.documents[doc_id])
    for row in previous.rows_by_doc.get(doc_id, []):
        rows.reused_rows.append(row)
        rows.reused_positions.append(len(rows.chunks))
        rows.chunks.append(previous.chunks[row])
        rows.tokens.append(previous.tokens[row])
    rows.files[doc_id] = previous.meta["files"][doc_id]


def _add(rows: _Rows, doc: Document, digest: str, size: int, context: str) -> None:
    doc_row, clause_rows = _document_rows(doc, digest)
    rows.documents.append(doc_row)
    rows.files[doc.id] = {"sha256": digest, "bytes": size, "chunks": len(clause_rows)}
    for clause in clause_rows:
        rows.slots.append((len(rows.chunks), len(rows.new_texts)))
        rows.new_texts.append(context_text(clause["headings"], clause["text"], doc.title, context))
        rows.chunks.append(clause)
        rows.tokens.append(None)


def _collect(scan, previous: _Previous | None, report: BuildReport, *, limits: Limits, max_chars: int,
             context: str, progress: bool) -> _Rows:
    """Walk the corpus: reuse unchanged files from the live version, read the others."""
    rows, rejections = _Rows(), []
    old_files = previous.meta["files"] if previous else {}
    start = time.perf_counter()
    report.rejected.extend((r.source, r.reason) for r in scan.rejections)
    for item in with_progress(scan.files, progress):
        digest = file_hash(item.path, scan.overrides.get(item.doc_id))
        if previous is not None and old_files.get(item.doc_id, {}).get("sha256") == digest \
                and item.doc_id in previous.documents:
            report.unchanged.append(item.doc_id)
            _reuse(rows, previous, item.doc_id)
            continue
        (report.changed if item.doc_id in old_files else report.added).append(item.doc_id)
        doc = try_read(item, rejections, limits=limits, max_chars=max_chars,
                       overrides=scan.overrides.get(item.doc_id))
        if doc is None:
            report.rejected.append((rejections[-1].source, rejections[-1].reason))
            continue
        report.chars_read += len(doc.text)
        _add(rows, doc, digest, item.path.stat().st_size, context)
    # A previously indexed file that now fails to read is dropped, and said so.
    report.deleted = sorted(set(old_files) - set(rows.files) - {r for r, _ in report.rejected})
    report.read_seconds = time.perf_counter() - start
    return rows


def _embed(rows: _Rows, previous: _Previous | None, embedder, scheme: str, report: BuildReport,
           progress: bool) -> np.ndarray:
    """Vectors of every chunk (reused ones copied from the live version); BM25 tokens of new ones."""
    start = time.perf_counter()
    vectors = np.zeros((len(rows.chunks), embedder.info.dimension), dtype=np.float32)
    if rows.reused_rows:
        vectors[rows.reused_positions] = previous.dense.vectors(np.asarray(rows.reused_rows))
    if rows.new_texts:
        fresh = embedder.encode_passages(rows.new_texts, show_progress=progress)
        for position, text_index in rows.slots:
            vectors[position] = fresh[text_index]
        slots = rows.slots
        if progress:
            from tqdm import tqdm

            slots = tqdm(slots, desc="Tokenising", unit="chunk")
        for position, text_index in slots:
            rows.tokens[position] = tokenize(rows.new_texts[text_index], scheme)
    report.embed_seconds = time.perf_counter() - start
    report.embedded = len(rows.new_texts)
    return vectors


def _write_files(workspace: Path, rows: _Rows, vectors: np.ndarray, faiss_kind: str,
                 lexical_params: dict) -> str:
    """Every file of the version but ``meta.json``; returns the FAISS kind chosen."""
    dense = Dense.build(vectors, faiss_kind)
    dense.save(workspace / fmt.VECTORS)
    Lexical.build(rows.tokens, lexical_params).save(workspace / fmt.BM25)
    fmt.write_jsonl(workspace / fmt.CHUNKS, rows.chunks)
    fmt.write_jsonl(workspace / fmt.TOKENS, rows.tokens)
    fmt.write_jsonl(workspace / fmt.DOCUMENTS, rows.documents)
    Restorer.build(c["text"] for c in rows.chunks).save(workspace / fmt.DIACRITICS)
    return dense.kind


def _meta(workspace: Path, rows: _Rows, report: BuildReport, embedder, faiss_kind: str, corpus: Corpus,
          settings: dict, lexical_params: dict, started: float) -> dict:
    return {
        "format": fmt.FORMAT_VERSION,
        "model": fmt.model_record(embedder.info),
        "normalization": fmt.NORMALIZATION,
        "settings": settings,
        "lexical": lexical_params,
        "faiss": {"kind": faiss_kind, "metric": "inner_product"},
        "corpus": corpus.describe(),
        "counts": {"documents": len(rows.documents), "chunks": len(rows.chunks)},
        "files": rows.files,
        "rejected": [{"source": s, "reason": r} for s, r in report.rejected],
        "versions": fmt.package_versions(),
        "built_at": fmt.utc_now(),
        "build_seconds": round(time.perf_counter() - started, 3),
        "checksums": checksums(workspace),
    }
