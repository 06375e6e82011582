"""Move an embedded index into Milvus without embedding anything again (``rag migrate --to milvus``)."""

from __future__ import annotations

from pathlib import Path

from .. import format as fmt
from .. import store
from ..embedded_writer import EmbeddedWriter
from .client import default_uri
from .writer import MilvusWriter


def migrate_to_milvus(root: str | Path, uri: str | None = None, *, lock_timeout: float = 0.0) -> Path:
    """Copy the live embedded version of ``root`` into Milvus and publish it as a milvus version.

    The vectors, tokens and sentence vectors are read from the embedded version (verified in
    full) and written to a new collection; the folder keeps the same documents in the same
    order. Readers switch when the new version is published; the embedded version is then
    removed like any replaced version.

    Args:
        root: The index directory.
        uri: Milvus Lite file or server URI (default: ``<root>/milvus.db``).
        lock_timeout: Seconds to wait for a build holding the index lock.

    Returns:
        The new version folder.

    Raises:
        ValueError: ``root`` holds no index, or one that is not embedded.
        store.IndexLockedError: Another build holds the lock.
    """
    root = Path(root)
    uri = uri or default_uri(root)
    with store.writer_lock(root, timeout=lock_timeout):
        live = store.current_version(root)
        if live is None:
            raise ValueError(f"no index in {root} to migrate")
        meta = fmt.read_meta(live)
        if meta.backend != "embedded":
            raise ValueError(f"the index in {root} already uses the {meta.backend} backend")
        source = EmbeddedWriter(root, live, lexical_params=meta.lexical)
        writer = MilvusWriter(root, uri=uri, lexical_params=meta.lexical, lock_timeout=lock_timeout)
        try:
            writer.add_documents_from(source)
            order = [d.id for d in fmt.parse_documents((live / fmt.DOCUMENTS).read_bytes())]
            return writer.persist(meta, order)
        finally:
            writer.close()
