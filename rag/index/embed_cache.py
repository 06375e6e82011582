"""Content-addressed embedding cache: a text embedded once by a model is not embedded again.

A vector is stored under ``sha256(model fingerprint, passage prompt, normalised text)`` in one
SQLite file per model (``<folder>/<fingerprint>.sqlite``), shared by every index built with
that model. So a rebuild after a chunker change embeds only the clauses whose embedded text
changed, and a build killed half-way resumes: each batch is committed as it is embedded.
The fingerprint holds the model's name, engine, dimension, prompts and the name of its
weights folder (which carries a hash of the weights for the bundled model), never a user's
path. The app and ``rag index`` keep the cache in the data directory (``embeddings/``);
:func:`rag.build_index` uses one only when given ``cache=``. ``rag cache info|prune``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..text import normalize_text

log = logging.getLogger(__name__)
SCHEMA = 1
_LOOKUP = 500  # keys per SELECT … IN (…): under SQLite's default variable limit


def fingerprint(info) -> str:
    """16 hex digits naming a model's vectors: same fingerprint, same vector for the same text."""
    record = {"schema": SCHEMA, "name": info.name, "engine": getattr(info, "engine", ""),
              "dimension": info.dimension, "passage_prompt": getattr(info, "passage_prompt", ""),
              "weights": Path(getattr(info, "path", "") or "").name}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


class EmbeddingCache:
    """The vectors of one model, in ``folder/<fingerprint>.sqlite``.

    Args:
        folder: Directory of the cache files (created if missing).
        info: The model's ``info`` (:class:`rag.models.embedding.ModelInfo` or alike).
    """

    def __init__(self, folder: str | Path, info) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint(info)
        self.dimension = int(info.dimension)
        self.path = self.folder / f"{self.fingerprint}.sqlite"
        self._prefix = f"{self.fingerprint}\n{getattr(info, 'passage_prompt', '')}\n".encode()
        self.hits = self.misses = 0
        # One connection per thread that uses the cache: the builder's thread only.
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers (another build) never block the writer
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL, "
                         "used REAL NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS about (name TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("INSERT OR REPLACE INTO about VALUES ('model', ?)",
                         (json.dumps({"name": info.name, "engine": getattr(info, "engine", ""),
                                      "dimension": self.dimension}),))
        self._db.commit()

    def key(self, text: str) -> bytes:
        """The key of a passage text (normalised as the encoder sees it)."""
        return hashlib.sha256(self._prefix + normalize_text(text).strip().encode()).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors among ``keys`` (marked as used now, for :func:`prune`)."""
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for at in range(0, len(unique), _LOOKUP):
            part = unique[at:at + _LOOKUP]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part)
            for key, blob in rows:
                found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
            self._db.execute(f"UPDATE vectors SET used = ? WHERE key IN ({marks})", [time.time(), *part])
        self._db.commit()
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors and commit (a build killed after this keeps them)."""
        now = time.time()
        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                             [(k, np.asarray(v, np.float32).tobytes(), now) for k, v in items])
        self._db.commit()

    def close(self) -> None:
        """Close the database."""
        self._db.close()


class CachedEmbedder:
    """An encoder whose passages go through an :class:`EmbeddingCache`; queries are not cached.

    Everything else (``info``, ``encode_queries``, ``can_pool_late``…) is the wrapped encoder's.
    Late sentence pooling reads each sentence inside its clause's pass, so it is never cached.
    """

    def __init__(self, embedder, cache: EmbeddingCache) -> None:
        self.embedder, self.cache = embedder, cache

    def __getattr__(self, name: str):
        if name == "encode_passage_spans":
            getattr(self.embedder, name)  # AttributeError when the wrapped encoder has none
            return self._encode_passage_spans
        return getattr(self.embedder, name)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """:meth:`Embedder.encode_passages`, embedding only the texts not in the cache."""
        keys = [self.cache.key(t) for t in texts]
        found = self.cache.get_many(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.cache.hits += len(keys) - sum(1 for k in keys if k not in found)
        self.cache.misses += sum(1 for k in keys if k not in found)
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            vectors = self.embedder.encode_passages([text_of[k] for k in missing],
                                                    show_progress=show_progress)
            self.cache.put_many(list(zip(missing, vectors, strict=True)))
            found.update(zip(missing, np.asarray(vectors, np.float32), strict=True))
        if not keys:
            return np.zeros((0, self.cache.dimension), np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _encode_passage_spans(self, texts, spans, *, late: bool = False, show_progress: bool = False):
        from ..models.embedding import encode_spans_apart

        if late:
            return self.embedder.encode_passage_spans(texts, spans, late=True, show_progress=show_progress)
        return encode_spans_apart(self, texts, spans, show_progress=show_progress)


def cache_info(folder: str | Path) -> list[dict]:
    """Per cache file: model, vectors, megabytes, last use."""
    out = []
    for path in sorted(Path(folder).glob("*.sqlite")):
        with sqlite3.connect(path, timeout=60) as db:
            model = dict(db.execute("SELECT name, value FROM about").fetchall()).get("model", "{}")
            count, last = db.execute("SELECT COUNT(*), MAX(used) FROM vectors").fetchone()
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        out.append({"file": path.name, "model": json.loads(model), "vectors": count,
                    "megabytes": round(size / 2**20, 1), "last_used": last})
    return out


def prune(folder: str | Path, *, older_than_days: float) -> int:
    """Delete the vectors not used for ``older_than_days`` days; returns how many were."""
    cutoff, removed = time.time() - older_than_days * 86400, 0
    for path in sorted(Path(folder).glob("*.sqlite")):
        with sqlite3.connect(path, timeout=60) as db:
            removed += db.execute("DELETE FROM vectors WHERE used < ?", (cutoff,)).rowcount
        with sqlite3.connect(path, timeout=60) as db:
            db.execute("VACUUM")
    return removed
