"""Connecting to Milvus: Milvus Lite (a ``.db`` file, in-process) or a server (``http://host:19530``).

The URI is recorded in the index's ``meta.json``; the token never is: it comes from
``$RAG_MILVUS_TOKEN`` (or the caller) each time a process connects.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

TOKEN_ENV = "RAG_MILVUS_TOKEN"
LITE_FILE = "milvus.db"  # the default Lite file, inside the index directory
# Milvus Lite serves each file from a server inside the process that first opened it and holds
# the file until that server stops; these count the clients of each file so the last to
# close stops it, and another process (a search after `rag index`) can then open the file.
_LITE_USERS: Counter[str] = Counter()
_LITE_LOCK = threading.Lock()


def default_uri(root: Path) -> str:
    """The Milvus Lite file used when no URI is given: ``<index>/milvus.db``."""
    return str(Path(root).resolve() / LITE_FILE)


def is_lite(uri: str) -> bool:
    """True for a Milvus Lite file, False for a server URI."""
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def connect(uri: str, token: str | None = None):
    """A ``pymilvus.MilvusClient`` on ``uri``.

    Raises:
        ImportError: pymilvus (or milvus-lite, for a file) is not installed.
        ConnectionError: Milvus cannot be reached or the Lite file is held by another process.
    """
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ImportError("the milvus backend needs pymilvus: pip install 'party-rag[milvus]'") from exc
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = MilvusClient(uri, token=token or os.environ.get(TOKEN_ENV, ""))
    except Exception as exc:  # pymilvus raises its own exception types for every connection failure
        raise ConnectionError(
            f"cannot open Milvus at {uri}: {exc}. A Milvus Lite file is held by one process at a "
            "time; several processes share one through a server (`milvus-lite server --data-dir "
            "DIR`, then --milvus-uri http://host:19530).") from exc
    if is_lite(uri):
        with _LITE_LOCK:
            _LITE_USERS[os.path.abspath(uri)] += 1
    return client


def close(client, uri: str) -> None:
    """Close ``client``; for a Lite file, stop its in-process server when no other client uses it."""
    client.close()
    if not is_lite(uri):
        return
    path = os.path.abspath(uri)
    with _LITE_LOCK:
        _LITE_USERS[path] -= 1
        last = _LITE_USERS[path] <= 0
        if last:
            del _LITE_USERS[path]
    if last:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(path)
