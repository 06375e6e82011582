"""What a build must do: which documents to keep from the live index and which to read and embed.

A document is kept when its content hash (a file's bytes plus any metadata override; a
document given in memory: its text, metadata and clauses) equals the one it was indexed
from; every other one is read (files) or taken (in-memory documents) and embedded.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.corpus import Corpus
from ..ingest.documents import try_read, with_progress
from ..limits import Limits
from ..records import Document
from .report import BuildProgress, BuildReport
from .rows import Meta


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


@dataclass
class Plan:
    """What the new version holds: documents in order, which to (re-)embed, per-document file info."""

    order: list[str] = field(default_factory=list)
    pending: list[tuple[Document, str]] = field(default_factory=list)  # (document, its hash)
    files: dict[str, dict] = field(default_factory=dict)  # doc id -> sha256, bytes, chunks


def _keep(plan: Plan, report: BuildReport, doc_id: str, base_meta: Meta) -> None:
    report.unchanged.append(doc_id)
    plan.order.append(doc_id)
    plan.files[doc_id] = base_meta.files[doc_id]


def _take(plan: Plan, doc: Document, digest: str, size: int) -> None:
    plan.order.append(doc.id)
    plan.pending.append((doc, digest))
    plan.files[doc.id] = {"sha256": digest, "bytes": size, "chunks": len(doc.clauses)}


def collect_files(corpus: Corpus, old: dict[str, str], base_meta: Meta | None, report: BuildReport, *,
                  limits: Limits, max_chars: int, progress: bool,
                  on_progress: Callable[[BuildProgress], None] | None = None) -> Plan:
    """Walk the corpus: keep unchanged files, read the others (``on_progress`` after each file)."""
    plan, rejections, scan = Plan(), [], corpus.scan()
    start = time.perf_counter()
    report.rejected.extend((r.source, r.reason) for r in scan.rejections)
    for n, item in enumerate(with_progress(scan.files, progress)):
        if on_progress is not None:
            on_progress(BuildProgress("reading", n, len(scan.files), time.perf_counter() - start))
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


def collect_documents(documents: Iterable[Document], old: dict[str, str], base_meta: Meta | None,
                       report: BuildReport) -> Plan:
    """Keep unchanged in-memory documents, take the others (a later duplicate id replaces an earlier one)."""
    plan = Plan()
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
