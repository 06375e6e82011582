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

import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..ingest.chunking import CHUNKER_VERSION
from ..ingest.corpus import Corpus
from ..limits import DEFAULT_LIMITS, Limits
from ..records import Document
from ..vocab import DEFAULT_MAX_CHARS
from . import format as fmt
from . import sentences, store
from .backend import NewDocument, check_backend
from .embed_cache import CachedEmbedder, EmbeddingCache
from .embedded_writer import EmbeddedWriter
from .integrity import IndexCorruptError
from .lexical import DEFAULT_PARAMS
from .plan import Plan, collect_documents, collect_files
from .report import BuildProgress, BuildReport
from .rows import DocRow, Meta
from .segmenting import BackgroundTokens

# Clauses per encoder call: progress is reported between calls (a few seconds each on 2 cores).
EMBED_BATCH = 256
DEFAULT_CONTEXT = "title+headings"
CONTEXTS = ("none", "headings", "title+headings")


def context_text(headings, text: str, title: str | None, context: str) -> str:
    """Text that is embedded and tokenised for a clause: its heading trail, then the clause."""
    trail = list(headings) if context != "none" else []
    if context == "title+headings" and title:
        trail.insert(0, title)
    return " › ".join(trail) + "\n" + text if trail else text


def _settings(max_chars: int, context: str, lexical: dict) -> dict:
    return {"chunker": {"version": CHUNKER_VERSION, "max_chars": max_chars, "context": context},
            "lexical": {"scheme": lexical["scheme"]}}


def build_index(corpus: str | Path | Corpus | None = None, index: str | Path = "index", *,
                documents: Iterable[Document] | None = None, backend: str | None = None,
                model: str | None = None, embedder=None,
                rebuild: bool = False, faiss_kind: str = "auto", max_chars: int = DEFAULT_MAX_CHARS,
                limits: Limits = DEFAULT_LIMITS, context: str = DEFAULT_CONTEXT,
                lexical_params: dict | None = None, sentence_pooling: str = "apart",
                progress: bool = False, on_progress: Callable[[BuildProgress], None] | None = None,
                lock_timeout: float = 0.0, cache: str | Path | None = None,
                parallel_segment: bool = True, milvus_uri: str | None = None) -> BuildReport:
    """Build the index of ``corpus`` (or of in-memory ``documents``) in ``index``, or update it.

    Args:
        corpus: Folder of documents (.txt, .md, .docx, .pdf), read recursively, or a
            :class:`rag.ingest.corpus.Corpus` (mounted folders, where links may lead).
        index: Index directory (created if missing).
        documents: Documents already read (:func:`rag.read_document`,
            :func:`rag.document_from_text`), instead of ``corpus``; the index then holds
            exactly these, and an update re-embeds only the ones whose content changed.
        backend: Storage backend (:data:`rag.vocab.BACKENDS`; ``embedded``: FAISS + bm25s
            files, ``milvus``: Milvus). Default: the live index's, else ``embedded``, so an
            update (an upload in the app) never moves an index to another backend.
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
        on_progress: Called with a :class:`~rag.index.report.BuildProgress` as files are
            read and clauses embedded, before writing, and when done (for a progress display).
        lock_timeout: Seconds to wait for another build holding the lock.
        cache: Folder of the content-addressed embedding cache (:mod:`rag.index.embed_cache`):
            passages embedded before by this model are read from it, new ones are stored as
            each batch is embedded (a killed build resumes). ``None``: no cache.
        parallel_segment: Segment the clauses for BM25 in a worker process while they are
            embedded (:mod:`rag.index.segmenting`); ``False`` segments them afterwards.
        milvus_uri: With ``backend="milvus"``: a Milvus Lite file or a server URI
            (``http://host:19530``; token from ``$RAG_MILVUS_TOKEN``). Default: the live
            index's, else ``<index>/milvus.db``.

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
    if backend is not None:
        check_backend(backend)
    sentences.check_pooling(sentence_pooling)
    lexical_params = {**DEFAULT_PARAMS, **(lexical_params or {})}
    settings = _settings(max_chars, context, lexical_params)
    root = Path(index)
    report = BuildReport(index=root)
    with store.writer_lock(root, timeout=lock_timeout), ExitStack() as stack:
        store.cleanup(root)  # leftovers of builds that died
        live = store.current_version(root)
        embedder = embedder or _load_embedder(model, live)
        if cache is not None:
            embedder = CachedEmbedder(embedder, EmbeddingCache(cache, embedder.info))
        sentences.check_pooling(sentence_pooling, embedder)
        settings = {**settings, "sentences": sentences.settings(embedder, sentence_pooling)}
        target = _target(backend, root, live, milvus_uri)
        base = None if rebuild or live is None else _reusable(live, embedder, settings, report, target)
        writer, base_meta = _open_writer(root, base, report, target, faiss_kind=faiss_kind,
                                         lexical_params=lexical_params, progress=progress,
                                         lock_timeout=lock_timeout)
        if hasattr(writer, "close"):  # the Milvus writer's lease and connection, also on failure
            stack.callback(writer.close)
        report.full_rebuild = base_meta is None
        old = writer.document_hashes()
        plan = collect_files(corpus, old, base_meta, report, limits=limits, max_chars=max_chars,
                             progress=progress, on_progress=on_progress) if corpus is not None else \
            collect_documents(documents, old, base_meta, report)
        if not plan.order:
            raise ValueError(f"no clauses could be read from {corpus.root if corpus else 'the documents'}; "
                             "nothing to index")
        if report.changed_anything:
            start = time.perf_counter()
            notify = on_progress or (lambda _: None)
            texts = [context_text(c.headings, c.text, doc.title, context) for doc, _ in plan.pending
                     for c in doc.clauses]
            # underthesea segments these for BM25 in a worker process while the encoder runs.
            background = BackgroundTokens(texts, lexical_params["scheme"], enabled=parallel_segment)
            try:
                embedded = _embed(plan.pending, texts, embedder, sentence_pooling, progress, report, notify)
                report.embed_seconds = time.perf_counter() - start
                embedded = _with_tokens(embedded, background.result())
            finally:
                background.close()
            writer.add_documents(embedded)
            # Only the segmentation time not hidden behind the embedding (all of it when serial).
            report.segment_seconds = time.perf_counter() - start - report.embed_seconds
            notify(BuildProgress("writing"))
            written = time.perf_counter()
            writer.delete_documents(set(old) - set(plan.order))
            meta = _meta(embedder, settings, corpus, plan, report, started)
            report.version = writer.persist(meta, plan.order)
            report.write_seconds = time.perf_counter() - written
        else:
            report.version = live
    if isinstance(embedder, CachedEmbedder):
        report.cache_hits, report.cache_misses = embedder.cache.hits, embedder.cache.misses
        embedder.cache.close()
    if on_progress is not None:
        on_progress(BuildProgress("done"))
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


def _target(backend: str | None, root: Path, live: Path | None, milvus_uri: str | None) -> dict:
    """Where the build writes: ``{"backend": name}``, plus the ``uri`` for Milvus."""
    if backend is None:
        try:
            backend = fmt.read_meta(live).backend if live is not None else "embedded"
        except (OSError, ValueError):
            backend = "embedded"
    if backend != "milvus":
        return {"backend": backend}
    if milvus_uri is None and live is not None:
        try:
            milvus_uri = fmt.read_meta(live).milvus.get("uri")
        except (OSError, ValueError):
            pass
    from .milvus.client import default_uri

    return {"backend": backend, "uri": milvus_uri or default_uri(root)}


def _reusable(live: Path, embedder, settings: dict, report: BuildReport, target: dict) -> Path | None:
    """``live`` if its documents can be kept for this build, else ``None`` with the reason."""
    try:
        meta = fmt.read_meta(live)
    except (OSError, ValueError) as exc:
        report.reason = f"the live index is damaged ({exc}); everything is read again"
        return None
    report.reason = fmt.incompatibility(meta, embedder.info.name, embedder.info.dimension, settings)
    if not report.reason and meta.backend != target["backend"]:
        report.reason = f"the index moves from the {meta.backend} backend to {target['backend']}"
    elif not report.reason and target.get("uri") and meta.milvus.get("uri") != target["uri"]:
        report.reason = f"the index moves to the Milvus at {target['uri']}"
    return None if report.reason else live


def _open_writer(root: Path, base: Path | None, report: BuildReport, target: dict,
                 **kwargs) -> tuple[EmbeddedWriter, Meta | None]:
    """A writer on ``base`` and its meta, or an empty one (reason in ``report``) when it is damaged."""
    if target["backend"] == "milvus":
        from .milvus.writer import MilvusWriter as writer_class

        kwargs["uri"] = target["uri"]
    else:
        writer_class = EmbeddedWriter
        kwargs.pop("lock_timeout", None)  # the folder's lock is all an embedded index needs
    if base is not None:
        try:
            return writer_class(root, base, **kwargs), fmt.read_meta(base)
        except store.IndexLockedError:
            raise
        except (IndexCorruptError, OSError, ValueError, KeyError, RuntimeError) as exc:
            # RuntimeError: faiss on a truncated file; ValueError: a JSON line cut short.
            report.reason = f"the live index is damaged ({exc}); everything is read again"
    return writer_class(root, **kwargs), None


def _with_tokens(documents: list[NewDocument], tokens: list[tuple[str, ...]]) -> list[NewDocument]:
    """``documents`` with their chunks' BM25 tokens (given in chunk order)."""
    out, at = [], 0
    for doc in documents:
        out.append(replace(doc, tokens=tuple(tokens[at:at + len(doc.chunks)])))
        at += len(doc.chunks)
    return out


def _embed(pending: list[tuple[Document, str]], texts: list[str], embedder, pooling: str, progress: bool,
           report: BuildReport, notify: Callable[[BuildProgress], None]) -> list[NewDocument]:
    """Rows and vectors of the documents to add, embedded in batches that report progress."""
    if not texts:
        return []
    chunk_texts = [c.text for doc, _ in pending for c in doc.clauses]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="Embedding", unit="clause")
    started, parts = time.perf_counter(), []
    for at in range(0, len(texts), EMBED_BATCH):
        notify(BuildProgress("embedding", at, len(texts), time.perf_counter() - started))
        parts.append(sentences.embed(embedder, texts[at:at + EMBED_BATCH], chunk_texts[at:at + EMBED_BATCH],
                                     pooling=pooling))
        if bar is not None:
            bar.update(len(parts[-1][0]))
    if bar is not None:
        bar.close()
    notify(BuildProgress("embedding", len(texts), len(texts), time.perf_counter() - started))
    vectors = np.concatenate([p[0] for p in parts])
    spans = [s for p in parts for s in p[1]]
    sentence_vectors = [v for p in parts for v in p[2]]
    report.embedded = len(texts)
    out, at = [], 0
    for doc, digest in pending:
        n = len(doc.clauses)
        out.append(NewDocument(DocRow.from_document(doc, digest), tuple(doc.clauses),
                               vectors[at:at + n], tuple(texts[at:at + n]),
                               tuple(spans[at:at + n]), tuple(sentence_vectors[at:at + n])))
        at += n
    return out


def _meta(embedder, settings: dict, corpus: Corpus | None, plan: Plan, report: BuildReport,
          started: float) -> Meta:
    return Meta(format=fmt.FORMAT_VERSION, model=fmt.model_record(embedder.info),
                normalization=fmt.NORMALIZATION, settings=settings,
                corpus=corpus.describe() if corpus is not None else fmt.IN_MEMORY,
                files=plan.files, rejected=[{"source": s, "reason": r} for s, r in report.rejected],
                versions=fmt.package_versions(), built_at=fmt.utc_now(),
                build_seconds=round(time.perf_counter() - started, 3))
