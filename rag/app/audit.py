"""An append-only audit log (JSON lines) of changes to the corpus made through the app."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path


class AuditLog:
    """Appends one JSON object per event: ``time`` (UTC, ISO), ``user``, ``action`` and details."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, user: str | None, action: str, **details) -> dict:
        """Append an event and return it.

        Args:
            user: The logged-in user, or ``None`` when the app runs without login.
            action: ``upload``, ``upload-rejected``, ``delete`` or ``restore``.
            **details: JSON-ready fields (``doc_id``, ``sha256``, ``reason``…).
        """
        event = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "user": user,
                 "action": action, **details}
        line = json.dumps(event, ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
        return event

    def events(self) -> list[dict]:
        """Every recorded event, oldest first."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
