"""Build and incrementally update an index directory from a corpus folder.

Usage:
    rag index --corpus DIR [--index DIR] [--model NAME_OR_PATH] [--rebuild] [--faiss auto|flat|hnsw]
    rag verify [--index DIR]

Each document's content hash (a file's bytes plus any metadata override; a document given
in memory: its text, metadata and clauses) is kept with it; an update re-reads and
re-embeds only documents that are new or changed, keeps the vectors and tokens of
unchanged ones, drops deleted ones, and publishes the result as a new version. Storage
goes through the backend seam (:mod:`rag.index.backend`): the embedded writer
(:mod:`rag.index.embedded_writer`) verifies the live version's checksums before reusing
anything from it; a damaged live version is rebuilt from the corpus instead.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.chunking import CHUNKER_VERSION
from ..ingest.corpus import Corpus
from ..ingest.documents import try_read, with_progress
from ..limits import DEFAULT_LIMITS, Limits
from ..records import Document
from ..vocab import DEFAULT_MAX_CHARS
from . import format as fmt
from . import sentences, store
from .backend import NewDocument, check_backend
from .embedded_writer import EmbeddedWriter
from .integrity import IndexCorruptError
from .lexical import DEFAULT_PARAMS
from .report import BuildReport
from .rows import DocRow, Meta

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


def document_hash(doc: Document) -> str:
    """sha256 of an in-memory document's text, metadata and clauses."""
    data = json.dumps(doc.to_dict(with_clauses=True, with_text=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _settings(max_chars: int, context: str, lexical: dict) -> dict:
    return {"chunker": {"version": CHUNKER_VERSION, "max_chars": max_chars, "context": context},
            "lexical": {"scheme": lexical["scheme"]}}


@dataclass
class _Plan:
    """What the new version holds: documents in order, which to (re-)embed, per-document file info."""

    order: list[str] = field(default_factory=list)
    pending: list[tuple[Document, str]] = field(default_factory=list)  # (document, its hash)
    files: dict[str, dict] = field(default_factory=dict)  # doc id -> sha256, bytes, chunks


def build_index(corpus: str | Path | Corpus | None = None, index: str | Path = "index", *,
                documents: Iterable[Document] | None = None, backend: str = "embedded",
                model: str | None = None, embedder=None,
                rebuild: bool = False, faiss_kind: str = "auto", max_chars: int = DEFAULT_MAX_CHARS,
                limits: Limits = DEFAULT_LIMITS, context: str = DEFAULT_CONTEXT,
                lexical_params: dict | None = None, sentence_pooling: str = "apart",
                progress: bool = False, lock_timeout: float = 0.0) -> BuildReport:
    """Build the index of ``corpus`` (or of in-memory ``documents``) in ``index``, or update it.

    Args:
        corpus: Folder of documents (.txt, .md, .docx, .pdf), read recursively, or a
            :class:`rag.ingest.corpus.Corpus` (mounted folders, where links may lead).
        index: Index directory (created if missing).
        documents: Documents already read (:func:`rag.read_document`,
            :func:`rag.document_from_text`), instead of ``corpus``; the index then holds
            exactly these, and an update re-embeds only the ones whose content changed.
        backend: Storage backend (:data:`rag.vocab.BACKENDS`; ``embedded``: FAISS + bm25s files).
        model: Embedding model name or folder; defaults to the bundled model, or to the
            model of the existing index when updating.
        embedder: An already loaded encoder (anything with ``info``, ``encode_passages``
            and ``encode_queries``); overrides ``model``.
        rebuild: Re-read and re-embed everything even if unchanged.
        faiss_kind: ``auto`` (flat up to 20k chunks, fp16 up to 500k, HNSW above), ``flat``,
            ``fp16`` or ``hnsw``.
        max_chars: Split clauses longer than this at sentence boundaries (files only).
        limits: Size, character and clause limits per document (:mod:`rag.limits`).
        context: What precedes the clause text when embedding and tokenising: ``none``,
            ``headings`` or ``title+headings``.
        lexical_params: BM25 settings (``k1``, ``b``, ``method``, ``scheme``).
        sentence_pooling: How the sentence vectors of the direct answer are made
            (:data:`rag.vocab.SENTENCE_POOLINGS`, :mod:`rag.index.sentences`).
        progress: Show progress bars on stderr.
        lock_timeout: Seconds to wait for another build holding the lock.

    Returns:
        A :class:`BuildReport`.

    Raises:
        FileNotFoundError: When ``corpus`` is not a folder.
        store.IndexLockedError: When another build holds the lock.
        ValueError: When both or neither of ``corpus`` and ``documents`` are given, the
            backend or sentence pooling is unknown or unavailable, or no chunk could be read.
    """
    started = time.perf_counter()
    if (corpus is None) == (documents is None):
        raise ValueError("give either a corpus folder or documents, not both or neither")
    if corpus is not None:
        corpus = Corpus.of(corpus)
        if not corpus.root.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {corpus.root}")
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {CONTEXTS}")
    check_backend(backend)
    sentences.check_pooling(sentence_pooling)
    lexical_params = {**DEFAULT_PARAMS, **(lexical_params or {})}
    settings = _settings(max_chars, context, lexical_params)
    root = Path(index)
    report = BuildReport(index=root)
    with store.writer_lock(root, timeout=lock_timeout):
        store.cleanup(root)  # leftovers of builds that died
        live = store.current_version(root)
        embedder = embedder or _load_embedder(model, live)
        sentences.check_pooling(sentence_pooling, embedder)
        settings = {**settings, "sentences": sentences.settings(embedder, sentence_pooling)}
        base = None if rebuild or live is None else _reusable(live, embedder, settings, report)
        writer, base_meta = _open_writer(root, base, report, faiss_kind, lexical_params, progress)
        report.full_rebuild = base_meta is None
        old = writer.document_hashes()
        plan = _collect_files(corpus, old, base_meta, report, limits=limits, max_chars=max_chars,
                              progress=progress) if corpus is not None else \
            _collect_documents(documents, old, base_meta, report)
        if not plan.order:
            raise ValueError(f"no clauses could be read from {corpus.root if corpus else 'the documents'}; "
                             "nothing to index")
        if report.changed_anything:
            start = time.perf_counter()
            writer.add_documents(_embed(plan.pending, embedder, context, sentence_pooling, progress, report))
            writer.delete_documents(set(old) - set(plan.order))
            report.embed_seconds = time.perf_counter() - start
            meta = _meta(embedder, settings, corpus, plan, report, started)
            report.version = writer.persist(meta, plan.order)
        else:
            report.version = live
    report.documents = len(plan.order)
    report.chunks = sum(f["chunks"] for f in plan.files.values())
    report.seconds = time.perf_counter() - started
    return report


def _load_embedder(model: str | None, live: Path | None):
    from ..models.embedding import Embedder

    if model is None and live is not None:
        try:
            model = fmt.read_meta(live).model_name
        except (OSError, ValueError):
            pass
    return Embedder(model)


def _reusable(live: Path, embedder, settings: dict, report: BuildReport) -> Path | None:
    """``live`` if its documents can be kept for this build, else ``None`` with the reason."""
    try:
        meta = fmt.read_meta(live)
    except (OSError, ValueError) as exc:
        report.reason = f"the live index is damaged ({exc}); everything is read again"
        return None
    report.reason = fmt.incompatibility(meta, embedder.info.name, embedder.info.dimension, settings)
    return None if report.reason else live


def _open_writer(root: Path, base: Path | None, report: BuildReport, faiss_kind: str, lexical_params: dict,
                 progress: bool) -> tuple[EmbeddedWriter, Meta | None]:
    """A writer on ``base`` and its meta, or an empty one (reason in ``report``) when it is damaged."""
    kwargs = {"faiss_kind": faiss_kind, "lexical_params": lexical_params, "progress": progress}
    if base is not None:
        try:
            return EmbeddedWriter(root, base, **kwargs), fmt.read_meta(base)
        except (IndexCorruptError, OSError, ValueError, KeyError, RuntimeError) as exc:
            # RuntimeError: faiss on a truncated file; ValueError: a JSON line cut short.
            report.reason = f"the live index is damaged ({exc}); everything is read again"
    return EmbeddedWriter(root, **kwargs), None


def _keep(plan: _Plan, report: BuildReport, doc_id: str, base_meta: Meta) -> None:
    report.unchanged.append(doc_id)
    plan.order.append(doc_id)
    plan.files[doc_id] = base_meta.files[doc_id]


def _take(plan: _Plan, doc: Document, digest: str, size: int) -> None:
    plan.order.append(doc.id)
    plan.pending.append((doc, digest))
    plan.files[doc.id] = {"sha256": digest, "bytes": size, "chunks": len(doc.clauses)}


def _collect_files(corpus: Corpus, old: dict[str, str], base_meta: Meta | None, report: BuildReport, *,
                   limits: Limits, max_chars: int, progress: bool) -> _Plan:
    """Walk the corpus: keep unchanged files, read the others."""
    plan, rejections, scan = _Plan(), [], corpus.scan()
    start = time.perf_counter()
    report.rejected.extend((r.source, r.reason) for r in scan.rejections)
    for item in with_progress(scan.files, progress):
        digest = file_hash(item.path, scan.overrides.get(item.doc_id))
        if base_meta is not None and old.get(item.doc_id) == digest and item.doc_id in base_meta.files:
            _keep(plan, report, item.doc_id, base_meta)
            continue
        (report.changed if item.doc_id in old else report.added).append(item.doc_id)
        doc = try_read(item, rejections, limits=limits, max_chars=max_chars,
                       overrides=scan.overrides.get(item.doc_id))
        if doc is None:
            report.rejected.append((rejections[-1].source, rejections[-1].reason))
            continue
        report.chars_read += len(doc.text)
        _take(plan, doc, digest, item.path.stat().st_size)
    # A previously indexed file that now fails to read is dropped, and said so.
    report.deleted = sorted(set(old) - set(plan.files) - {r for r, _ in report.rejected})
    report.read_seconds = time.perf_counter() - start
    return plan


def _collect_documents(documents: Iterable[Document], old: dict[str, str], base_meta: Meta | None,
                       report: BuildReport) -> _Plan:
    """Keep unchanged in-memory documents, take the others (a later duplicate id replaces an earlier one)."""
    plan = _Plan()
    start = time.perf_counter()
    latest = {doc.id: doc for doc in documents}
    for doc in latest.values():
        digest = document_hash(doc)
        if base_meta is not None and old.get(doc.id) == digest and doc.id in base_meta.files:
            _keep(plan, report, doc.id, base_meta)
            continue
        if not doc.clauses:
            report.rejected.append((doc.id, "no clauses"))
            continue
        (report.changed if doc.id in old else report.added).append(doc.id)
        report.chars_read += len(doc.text)
        _take(plan, doc, digest, len(doc.text.encode("utf-8")))
    report.deleted = sorted(set(old) - set(plan.files))
    report.read_seconds = time.perf_counter() - start
    return plan


def _embed(pending: list[tuple[Document, str]], embedder, context: str, pooling: str, progress: bool,
           report: BuildReport) -> list[NewDocument]:
    """Rows and vectors of the documents to add (one encoder call over all their clauses)."""
    texts = [context_text(c.headings, c.text, doc.title, context) for doc, _ in pending for c in doc.clauses]
    if not texts:
        return []
    chunk_texts = [c.text for doc, _ in pending for c in doc.clauses]
    vectors, spans, sentence_vectors = sentences.embed(embedder, texts, chunk_texts, pooling=pooling,
                                                       progress=progress)
    report.embedded = len(texts)
    out, at = [], 0
    for doc, digest in pending:
        n = len(doc.clauses)
        out.append(NewDocument(DocRow.from_document(doc, digest), tuple(doc.clauses),
                               vectors[at:at + n], tuple(texts[at:at + n]),
                               tuple(spans[at:at + n]), tuple(sentence_vectors[at:at + n])))
        at += n
    return out


def _meta(embedder, settings: dict, corpus: Corpus | None, plan: _Plan, report: BuildReport,
          started: float) -> Meta:
    return Meta(format=fmt.FORMAT_VERSION, model=fmt.model_record(embedder.info),
                normalization=fmt.NORMALIZATION, settings=settings,
                corpus=corpus.describe() if corpus is not None else fmt.IN_MEMORY,
                files=plan.files, rejected=[{"source": s, "reason": r} for s, r in report.rejected],
                versions=fmt.package_versions(), built_at=fmt.utc_now(),
                build_seconds=round(time.perf_counter() - started, 3))
