"""Users' ratings of answers, appended to ``feedback.jsonl`` in the data directory (gradio-free).

One JSON object per line: time, rating (``up``, ``down`` or ``wrong-citation``), comment,
the question, the filters, the cited clauses (chunk id, document, path, label) and who
(the login name, else the browser id). :mod:`eval.feedback` turns the file into candidate
judgments for party-gold.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

RATINGS = {"up": "👍 hữu ích", "down": "👎 chưa đúng", "wrong-citation": "trích dẫn sai"}
MAX_COMMENT = 2000


class FeedbackLog:
    """The append-only feedback file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, rating: str, turn: dict, *, comment: str = "", who: str = "",
               cited: int | None = None) -> dict:
        """Append a rating of one answered turn; returns the entry written.

        Args:
            rating: One of :data:`RATINGS`.
            turn: The conversation turn (``question``, ``answer`` dict, ``filters``).
            comment: Free text, cut at :data:`MAX_COMMENT` characters.
            who: Login name or browser id.
            cited: For ``wrong-citation``, the rank of the wrong citation (None: the answer as a whole).

        Raises:
            ValueError: An unknown rating.
        """
        if rating not in RATINGS:
            raise ValueError(f"unknown rating {rating!r}")
        answer = turn.get("answer") or {}
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "epoch": time.time(), "rating": rating, "comment": (comment or "").strip()[:MAX_COMMENT],
            "who": who, "question": turn.get("question", ""), "filters": turn.get("filters") or {},
            "cited_rank": cited,
            "citations": [{"rank": c.get("rank"), "chunk_id": c.get("chunk_id"), "doc_id": c.get("doc_id"),
                           "path": c.get("path"), "label": c.get("label")}
                          for c in answer.get("citations", [])],
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def entries(self) -> list[dict]:
        """Every entry, newest first (a damaged line is skipped)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out[::-1]

    def table(self) -> list[list]:
        """Rows for the admin view: time, rating, question, comment, first citation."""
        rows = []
        for e in self.entries():
            first = (e.get("citations") or [{}])[0].get("label") or ""
            rating = RATINGS.get(e.get("rating"), e.get("rating"))
            rows.append([e.get("time", "")[:16].replace("T", " "), rating,
                         e.get("question", ""), e.get("comment", ""), first])
        return rows
