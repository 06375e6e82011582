"""The app's corpus: the bundled or given folder plus users' uploads, its live index and its writer.

Gradio-free, so it is tested without a browser. Uploaded files live in the data
directory (:mod:`rag.app.datadir`), mounted into the corpus as ``uploads/…``; the corpus
folder itself is only read. Searches use the current :class:`~rag.search.searcher.Index` object
while an update builds the next one, which is swapped in when complete. Who may change
the corpus is decided by :class:`Access`; every change is written to the audit log. App
processes that share the data directory (replicas) follow each other's versions
(:mod:`rag.app.live`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..answer.labels import format_date
from ..answer.links import link_lines
from ..answer.render import document_html
from ..errors import RagError
from ..index.build import build_index
from ..index.integrity import sha256_file
from ..index.report import BuildProgress
from ..ingest.corpus import Corpus, read_metadata_file
from ..limits import DEFAULT_LIMITS, Limits
from ..search.loading import load_index
from ..search.searcher import Index
from ..vocab import DEFAULT_MODEL
from .audit import AuditLog
from .datadir import DataDir
from .live import LiveIndex
from .middleware import original_url
from .texts import VI
from .uploads import (
    DEFAULT_MAX_BYTES,
    UPLOAD_PREFIX,
    UploadRejected,
    move_to_trash,
    restore_from_trash,
    store_upload,
    trash_entries,
)

log = logging.getLogger(__name__)
# Metadata a user may correct in the app (rag.ingest.documents.OVERRIDABLE minus term and signer).
EDITABLE = ("doc_type", "number", "date", "issuer", "title")


@dataclass(frozen=True)
class Access:
    """Who may upload, delete and restore documents.

    With a login, only the users named in ``admins``; without one, anybody when
    ``allow_upload`` is set, else nobody. Everybody may ask, search and read.
    """

    login: bool = False
    admins: frozenset[str] = field(default_factory=frozenset)
    allow_upload: bool = False

    def can_manage(self, user: str | None) -> bool:
        """True when ``user`` (``None`` without login) may change the corpus."""
        if self.login:
            return user is not None and user in self.admins
        return self.allow_upload


class Library:
    """The corpus, its live index and the one writer that updates both (searches never wait).

    With ``background``, the index is built or updated in a thread: the page is served at
    once, on the index already on disk if there is one (else :attr:`index` is ``None``
    until the first build is done), and :meth:`status` says how far the build is.
    """

    def __init__(self, corpus: Path, data: DataDir, *, index_dir: Path | None = None,
                 model: str = DEFAULT_MODEL, max_upload: int = DEFAULT_MAX_BYTES, embedder=None,
                 limits: Limits = DEFAULT_LIMITS, background: bool = False, backend: str | None = None,
                 milvus_uri: str | None = None) -> None:
        self.data = data
        self.backend, self.milvus_uri = backend, milvus_uri  # None: the index's own
        self.corpus = Corpus.of(corpus, {UPLOAD_PREFIX: data.uploads}, metadata_file=data.metadata)
        self.index_dir = Path(index_dir) if index_dir else data.index
        self.max_upload, self.limits = max_upload, limits
        self.audit = AuditLog(data.audit_log)
        self.embedder = embedder
        if self.embedder is None:
            from ..models.embedding import Embedder

            self.embedder = Embedder(model)
        self._writer = threading.Lock()
        self._live = LiveIndex(self.index_dir, lambda: load_index(self.index_dir, embedder=self.embedder),
                               busy=self._writer.locked)
        self.progress: BuildProgress | None = None  # of the build running now
        self.build_error = ""
        if not background:
            self.index = self._update(progress=True)
            return
        self.index = self._existing()
        self._builder = threading.Thread(target=self._first_update, name="index-build", daemon=True)
        self._builder.start()

    @property
    def index(self) -> Index | None:
        """The index searches use: the latest version published by this or another app process."""
        return self._live.get()

    @index.setter
    def index(self, value: Index | None) -> None:
        self._live.set(value)

    def _existing(self) -> Index | None:
        """The index on disk, if one can be searched with this model (it is updated next)."""
        try:
            return load_index(self.index_dir, embedder=self.embedder)
        except (RagError, OSError, ValueError) as exc:
            log.info("no usable index yet in %s (%s); building it", self.index_dir, exc)
            return None

    def _first_update(self) -> None:
        with self._writer:
            try:
                self.index = self._update()
            except (RagError, OSError, ValueError, RuntimeError) as exc:
                self.build_error = str(exc)
                log.error("building the index failed: %s", exc)

    def _update(self, progress: bool = False) -> Index:
        def seen(step: BuildProgress) -> None:
            self.progress = step

        try:
            # The data directory's embedding cache: a first start killed half-way resumes, and a
            # rebuild (new chunker, new index format) re-embeds only the passages that changed.
            report = build_index(self.corpus, self.index_dir, embedder=self.embedder, progress=progress,
                                 lock_timeout=600, limits=self.limits, on_progress=seen,
                                 cache=self.data.embeddings, backend=self.backend, milvus_uri=self.milvus_uri)
        finally:
            self.progress = None
        log.info("%s", report.summary())
        self.last_report = report
        # Swapped in only when complete: searches meanwhile use the previous index object.
        return load_index(self.index_dir, embedder=self.embedder)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for a background first build (if any); True when an index can be searched."""
        builder = getattr(self, "_builder", None)
        if builder is not None:
            builder.join(timeout)
        return self.index is not None

    def status(self) -> str:
        """What the index is doing, in Vietnamese ("" when it is ready and idle)."""
        if self.build_error and self.index is None:
            return f"Không lập được chỉ mục ({self.build_error.rstrip('.')}); hãy báo quản trị viên."
        step = self.progress
        if step is None:
            return "" if self.index is not None else "Đang chuẩn bị lập chỉ mục…"
        prefix = "Đang cập nhật chỉ mục" if self.index is not None else "Đang lập chỉ mục lần đầu"
        return f"{prefix}: {describe_progress(step)}."

    def _known(self) -> dict[str, str]:
        return {sha256_file(f.path): f.doc_id for f in self.corpus.scan().files}

    def add_files(self, files: list[tuple[Path, str]],
                  user: str | None = None) -> tuple[list[str], list[str]]:
        """Store uploads and re-index; returns (stored document ids, rejection messages)."""
        with self._writer:
            known = self._known()
            stored, rejected, digests = [], [], {}
            for path, name in files:
                try:
                    item = store_upload(self.data.uploads, path, name, max_bytes=self.max_upload, known=known)
                except UploadRejected as exc:
                    rejected.append(str(exc))
                    self.audit.record(user, "upload-rejected", name=name, reason=str(exc))
                    continue
                known[item.sha256] = item.doc_id
                digests[item.doc_id] = item.sha256
                stored.append(item.doc_id)
            if stored:
                self.index = self._update()
                # A stored file the pipeline could not read (zip bomb, scanned PDF…) is not kept.
                for source, reason in self.last_report.rejected:
                    if source in stored:
                        stored.remove(source)
                        rejected.append(f"{source}: {reason}")
                        (self.data.uploads / source.split("/", 1)[1]).unlink(missing_ok=True)
                        self.audit.record(user, "upload-rejected", doc_id=source, reason=reason)
            for doc_id in stored:
                self.audit.record(user, "upload", doc_id=doc_id, sha256=digests[doc_id])
        return stored, rejected

    def delete(self, doc_id: str, user: str | None = None) -> str:
        """Move an uploaded document to the trash and drop it from the index; returns the trash entry.

        Raises:
            UploadRejected: When ``doc_id`` is not an uploaded document.
        """
        with self._writer:
            entry = move_to_trash(self.data.uploads, self.data.trash, doc_id)
            self.audit.record(user, "delete", doc_id=doc_id, trash=entry)
            self.index = self._update()
        return entry

    def trash(self) -> list[str]:
        """Trash entries that :meth:`restore` can bring back, newest first."""
        return trash_entries(self.data.trash)

    def restore(self, entry: str, user: str | None = None) -> str:
        """Bring a trash entry back into the corpus and the index; returns its document id."""
        with self._writer:
            doc_id = restore_from_trash(self.data.trash, self.data.uploads, entry)
            self.audit.record(user, "restore", doc_id=doc_id, trash=entry)
            self.index = self._update()
        return doc_id

    def edit_metadata(self, doc_id: str, fields: dict[str, str], user: str | None = None) -> dict[str, str]:
        """Save metadata corrections for one document and re-index it; returns what is saved for it.

        Blank fields remove an earlier correction (the value read from the file comes back).

        Raises:
            UploadRejected: An unknown document or field.
        """
        if doc_id not in self.document_ids():
            raise UploadRejected(f"{doc_id}: không có văn bản này trong kho")
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise UploadRejected(f"không sửa được trường {', '.join(sorted(unknown))}")
        doc = self.index.backend.document(doc_id)
        with self._writer:
            table = read_metadata_file(self.data.metadata)
            entry = dict(table.get(doc_id, {}))
            for name, value in fields.items():
                value = value.strip()
                # A value left as it was read is not a correction (the file's own value stays in charge).
                if name in entry or value != (getattr(doc, name) or ""):
                    entry[name] = value
            entry = {k: v for k, v in entry.items() if v}
            if entry:
                table[doc_id] = entry
            else:
                table.pop(doc_id, None)
            tmp = self.data.metadata.with_suffix(".tmp")
            tmp.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.data.metadata)
            self.audit.record(user, "edit-metadata", doc_id=doc_id, fields=entry)
            self.index = self._update()
        return entry

    def original(self, doc_id: str) -> Path | None:
        """The file an indexed document was read from (``None`` for an unknown id)."""
        if doc_id not in self.document_ids():
            return None
        return next((f.path for f in self.corpus.scan().files if f.doc_id == doc_id), None)

    def document_ids(self, uploaded_only: bool = False) -> list[str]:
        """Ids of the indexed documents (only the uploaded ones when asked; none before the first build)."""
        ids = [d.id for d in self.index.documents] if self.index is not None else []
        return [i for i in ids if i.startswith(UPLOAD_PREFIX + "/")] if uploaded_only else ids

    def documents_table(self) -> list[list]:
        """One row per indexed document."""
        if self.index is None:
            return []
        return [[d.id, d.doc_type or "", d.number or "", format_date(d.date), d.issuer or "", d.title or "",
                 d.clause_count] for d in self.index.documents]

    def viewer(self, doc_id: str | None, selected: str | None = None, marks: tuple[str, ...] = ()) -> str:
        """HTML of a document: the selected clause highlighted, ``marks`` marked in it, a link to its file."""
        if not doc_id:
            return VI["pick_doc"]
        if self.index is None:
            return VI["viewer_wait"]
        doc = self.index.backend.document(doc_id)
        if doc is None:
            return VI["pick_doc"]
        chunks = self.index.backend.chunks_of(doc.id)
        page = next((c.page for c in chunks if c.clause_id == selected and c.page), None)
        text = VI["open_original_page"].format(page=page) if page else VI["open_original"]
        link = (original_url(doc.id, page), text)
        related = link_lines(self.index.links, doc.id, self.index.backend.document, original_url)
        return document_html(doc, chunks, selected, marks=marks, link=link, related=related)


_STAGES = {"reading": "đọc văn bản", "embedding": "mã hóa điều khoản", "writing": "ghi chỉ mục",
           "done": "xong"}


def describe_progress(step: BuildProgress) -> str:
    """``đọc văn bản 3/7, còn khoảng 20 giây`` — a build step for a cadre."""
    text = _STAGES.get(step.stage, step.stage)
    if step.total:
        text += f" {step.done:,}/{step.total:,}".replace(",", ".")
    eta = step.eta_seconds
    if eta is not None:
        text += f", còn khoảng {round(eta)} giây" if eta < 90 else f", còn khoảng {round(eta / 60)} phút"
    return text

