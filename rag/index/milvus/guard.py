"""One writer at a time per index on a Milvus database, whichever machine it runs on.

The index folder's file lock (:func:`rag.index.store.writer_lock`) keeps out writers that
share the folder on one host; app servers on several hosts, each with its own view of the
folder, need a lock in Milvus itself. Milvus has no compare-and-set, so the guard is built
from strongly consistent inserts and queries: a writer inserts a lease row for the index's
scope, then reads every live lease of that scope. It holds the lock only when its own row is
the only live one; otherwise it deletes its row, waits and tries again. Two writers can never
both see themselves alone: the later query of the two always sees the earlier insert (both
may back off, then retry after a random pause). That rests on read-after-write consistency,
which a Milvus server gives at the Strong level used here. Milvus Lite 3.2.2 swaps in an empty
memtable before a flush has written the old one to a segment, so for that moment a lease can
be invisible; on Lite, which one host uses, the index folder's file lock is the guard that
holds. A lease expires when its holder stops
renewing it (a process that died), so a crash blocks other writers for at most
:data:`LEASE_SECONDS`.

The scope is the index folder's name: replicas mount the shared folder under different
parents but with one name; unrelated indexes with the same name on one Milvus only take
turns, which is safe.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..store import IndexLockedError

logger = logging.getLogger(__name__)

COLLECTION = "rag_writer_leases"
LEASE_SECONDS = 600.0  # how long a lease outlives its last renewal
RENEW_SECONDS = 60.0


def _ensure(client) -> None:
    """Create the lease collection (a 2-d vector field only because Milvus requires one)."""
    from pymilvus import DataType, MilvusClient

    if client.has_collection(COLLECTION):
        client.load_collection(COLLECTION)
        return
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("token", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("scope", DataType.VARCHAR, max_length=1_024)
    schema.add_field("holder", DataType.VARCHAR, max_length=1_024)
    schema.add_field("expires", DataType.DOUBLE)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index("unused", index_type="FLAT", metric_type="L2")
    try:
        client.create_collection(COLLECTION, schema=schema, index_params=index, consistency_level="Strong")
    except Exception:  # another writer created it first
        if not client.has_collection(COLLECTION):
            raise
    client.load_collection(COLLECTION)


class WriterLease:
    """A held lease: renewed in the background until :meth:`release`."""

    def __init__(self, client, scope: str, holder: str, lease_seconds: float = LEASE_SECONDS) -> None:
        self.client, self.scope, self.holder = client, scope, holder
        self.lease_seconds = lease_seconds
        self.token = secrets.token_hex(16)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _row(self) -> dict:
        return {"token": self.token, "scope": self.scope, "holder": self.holder,
                "expires": time.time() + self.lease_seconds, "unused": [0.0, 0.0]}

    def others(self) -> list[dict]:
        """Live leases of this scope other than this one; expired ones are deleted on the way."""
        rows = self.client.query(COLLECTION, filter=f"scope == {json.dumps(self.scope, ensure_ascii=False)}",
                                 output_fields=["token", "holder", "expires"], consistency_level="Strong")
        now = time.time()
        expired = [r["token"] for r in rows if r["expires"] <= now and r["token"] != self.token]
        if expired:
            self.client.delete(COLLECTION, ids=expired)
        return [r for r in rows if r["expires"] > now and r["token"] != self.token]

    def try_acquire(self) -> list[dict]:
        """Insert this lease; keep it when no other is live. Returns the others (empty: held)."""
        try:
            self.client.insert(COLLECTION, [self._row()])
            others = self.others()
        except Exception as exc:  # a failed round is not a held lease: withdraw and try again
            logger.warning("taking the Milvus writer lease of %s failed once (%s); trying again",
                           self.scope, exc)
            self._withdraw()
            return [{"token": "", "holder": f"unknown (Milvus said: {exc})", "expires": 0.0}]
        if others:
            self._withdraw()
            return others
        self._thread = threading.Thread(target=self._renew, name="milvus-writer-lease", daemon=True)
        self._thread.start()
        return []

    def _withdraw(self) -> None:
        try:
            self.client.delete(COLLECTION, ids=[self.token])
        except Exception as exc:  # the row then expires on its own
            logger.warning("could not withdraw a Milvus writer lease of %s: %s", self.scope, exc)

    def _renew(self) -> None:
        interval = min(RENEW_SECONDS, self.lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                self.client.upsert(COLLECTION, [self._row()])
            except Exception as exc:  # a renewal that fails is retried; the lease lasts meanwhile
                logger.warning("could not renew the Milvus writer lease of %s: %s", self.scope, exc)

    def release(self) -> None:
        """Stop renewing and delete the lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._withdraw()


def acquire(client, root: Path, timeout: float = 0.0, *, lease_seconds: float = LEASE_SECONDS) -> WriterLease:
    """Take the Milvus-side writer lease of the index in ``root``; call ``release()`` on it when done.

    Args:
        client: A connected ``MilvusClient``.
        root: The index directory (its name is the scope).
        timeout: Seconds to wait for another writer; 0 fails at once.
        lease_seconds: How long the lease outlives a holder that stopped renewing it.

    Raises:
        IndexLockedError: Another writer still holds the lease after ``timeout``.
    """
    _ensure(client)
    scope = Path(root).resolve().name
    lease = WriterLease(client, scope, f"{socket.gethostname()} pid {os.getpid()}", lease_seconds)
    deadline = time.monotonic() + timeout
    while others := lease.try_acquire():
        if time.monotonic() >= deadline:
            holders = ", ".join(sorted({o["holder"] for o in others}))
            raise IndexLockedError(f"another writer ({holders}) is updating the index {scope!r} in Milvus; "
                                   "wait for it to finish and try again")
        time.sleep(random.uniform(0.2, 1.0))  # apart, so two writers that collided do not collide again
    return lease


@contextmanager
def writer_guard(client, root: Path, timeout: float = 0.0, *, lease_seconds: float = LEASE_SECONDS
                 ) -> Iterator[WriterLease]:
    """Hold the writer lease of the index in ``root`` for the block (see :func:`acquire`)."""
    lease = acquire(client, root, timeout, lease_seconds=lease_seconds)
    try:
        yield lease
    finally:
        lease.release()
