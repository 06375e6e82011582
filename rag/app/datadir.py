"""Where users' data lives: uploads, their trash, the app's index and the audit log.

Users' data is not source: the app never writes into the project checkout or the corpus
folder it serves. Everything it creates lives under one data directory,
``$RAG_DATA_DIR``, else ``$XDG_DATA_HOME/party-rag``, else ``~/.local/share/party-rag``::

    uploads/      documents uploaded through the app (indexed as ``uploads/<name>``)
    trash/        deleted uploads, restorable (``<UTC time>--<name>``)
    index/        the app's index (unless ``--index`` says otherwise)
    audit.jsonl   who uploaded, deleted or restored what, and when

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
