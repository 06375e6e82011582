"""Chat histories per browser, kept in the data directory (no login needed; gradio-free).

A browser gets a random id (kept in its local storage by the page); its conversations
are JSON files ``conversations/<browser>/<conversation>.json`` holding the title and the
turns: question, the answer as :meth:`rag.answer.compose.Answer.to_dict` gives it, its
Markdown and the filters that applied. Ids are checked hex strings, so a crafted id can
never name a path outside the folder. Files are replaced atomically.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

_ID = re.compile(r"[0-9a-f]{16,64}")
TITLE_CHARS = 80  # a conversation is named after its first question, cut here
MAX_TURNS = 200  # kept per conversation (the oldest are dropped)


def new_id() -> str:
    """A fresh random id for a browser or a conversation."""
    return secrets.token_hex(8)


def valid_id(value) -> bool:
    """True for an id this module made (hex, 16–64 characters)."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def _title(question: str) -> str:
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


class ConversationStore:
    """Conversations of every browser under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def _folder(self, browser: str) -> Path:
        if not valid_id(browser):
            raise ValueError("invalid browser id")
        return self.root / browser

    def _path(self, browser: str, conversation: str) -> Path:
        if not valid_id(conversation):
            raise ValueError("invalid conversation id")
        return self._folder(browser) / f"{conversation}.json"

    def list(self, browser: str) -> list[dict]:
        """``{"id", "title", "updated"}`` of a browser's conversations, most recent first."""
        if not valid_id(browser) or not self._folder(browser).is_dir():
            return []
        items = []
        for path in self._folder(browser).glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a damaged file is skipped, never fatal to the page
            items.append({"id": path.stem, "title": data.get("title") or "Hội thoại",
                          "updated": float(data.get("updated") or 0)})
        return sorted(items, key=lambda item: item["updated"], reverse=True)

    def load(self, browser: str, conversation: str) -> dict:
        """A conversation: ``{"title", "updated", "turns"}`` (an empty one when unknown)."""
        try:
            path = self._path(browser, conversation)
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"title": "", "updated": 0.0, "turns": []}

    def _save(self, browser: str, conversation: str, data: dict) -> None:
        path = self._path(browser, conversation)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data["updated"] = time.time()
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)

    def add_turn(self, browser: str, conversation: str, turn: dict) -> None:
        """Append one question and its answer (the first question names the conversation)."""
        with self._lock:
            data = self.load(browser, conversation)
            data["turns"] = [*data.get("turns", []), turn][-MAX_TURNS:]
            data["title"] = data.get("title") or _title(turn.get("question", ""))
            self._save(browser, conversation, data)

    def rename(self, browser: str, conversation: str, title: str) -> None:
        """Give a conversation a new title (ignored when the title is blank or it does not exist)."""
        title = _title(title)
        with self._lock:
            if not title or not self._path(browser, conversation).exists():
                return
            data = self.load(browser, conversation)
            data["title"] = title
            self._save(browser, conversation, data)

    def delete(self, browser: str, conversation: str) -> None:
        """Remove a conversation (nothing happens when it does not exist)."""
        with self._lock:
            self._path(browser, conversation).unlink(missing_ok=True)

    def delete_all(self, browser: str) -> None:
        """Remove every conversation of a browser."""
        with self._lock:
            shutil.rmtree(self._folder(browser), ignore_errors=True)
