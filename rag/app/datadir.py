"""Where users' data lives: uploads, their trash, the app's index and the audit log.

Users' data is not source: the app never writes into the project checkout or the corpus
folder it serves. Everything it creates lives under one data directory,
``$RAG_DATA_DIR``, else ``$XDG_DATA_HOME/party-rag``, else ``~/.local/share/party-rag``::

    uploads/      documents uploaded through the app (indexed as ``uploads/<name>``)
    trash/        deleted uploads, restorable (``<UTC time>--<name>``)
    index/        the app's index (unless ``--index`` says otherwise)
    audit.jsonl   who uploaded, deleted or restored what, and when
    conversations/<browser>/<id>.json   chat history per browser (no login needed)
    feedback.jsonl  👍/👎 and "trích dẫn sai" on answers, with comments
    metadata.json   metadata corrections made in the app (type, number, date, issuer, title)

Folders are created private to the user (mode 0700).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV = "RAG_DATA_DIR"


def default_data_dir() -> Path:
    """``$RAG_DATA_DIR``, else ``$XDG_DATA_HOME/party-rag``, else ``~/.local/share/party-rag``."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "party-rag"


@dataclass(frozen=True)
class DataDir:
    """The folders of one data directory (see the module docstring)."""

    root: Path

    @classmethod
    def open(cls, root: str | Path | None = None) -> DataDir:
        """The data directory at ``root`` (default: :func:`default_data_dir`), created if missing."""
        data = cls(Path(root).expanduser().resolve() if root else default_data_dir().resolve())
        for folder in (data.root, data.uploads, data.trash):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return data

    @property
    def uploads(self) -> Path:
        """Uploaded documents."""
        return self.root / "uploads"

    @property
    def trash(self) -> Path:
        """Deleted uploads, restorable."""
        return self.root / "trash"

    @property
    def index(self) -> Path:
        """The app's index directory."""
        return self.root / "index"

    @property
    def audit_log(self) -> Path:
        """JSON lines: who uploaded, deleted or restored what, and when."""
        return self.root / "audit.jsonl"

    @property
    def conversations(self) -> Path:
        """Chat histories, one folder per browser."""
        return self.root / "conversations"

    @property
    def feedback(self) -> Path:
        """JSON lines: users' ratings of answers."""
        return self.root / "feedback.jsonl"

    @property
    def embeddings(self) -> Path:
        """The content-addressed embedding cache shared by every index built here."""
        return self.root / "embeddings"

    @property
    def metadata(self) -> Path:
        """Metadata corrections by document id (applied over what was read from the files)."""
        return self.root / "metadata.json"
