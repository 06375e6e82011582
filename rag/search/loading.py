"""Opening an index directory: its live version, checked, with the right model.

Usage (Python)::

    from rag import load_index
    idx = load_index("index")
    for hit in idx.search("nhiệm vụ chống khai thác IUU", k=5, year_from=2024):
        print(hit.rank, hit.path, hit.text)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RagError
from ..index import format as fmt
from ..index import store
from ..index.backend import check_backend
from ..index.embedded import EmbeddedBackend
from ..index.integrity import IndexCorruptError
from ..index.rows import Meta
from .searcher import Index
from .settings import SearchSettings

INDEX_ENV = "RAG_INDEX"


def default_index_dir() -> Path:
    """``$RAG_INDEX`` or ``index`` (relative to the working directory)."""
    return Path(os.environ.get(INDEX_ENV, "index"))


class IndexNotFoundError(RagError, FileNotFoundError):
    """No built index in the given directory."""


class ModelMismatchError(RagError, RuntimeError):
    """The index was built with another embedding model than the one requested."""


def rebuild_command(root: Path, meta: Meta | None = None) -> str:
    """The command that rebuilds the index at ``root`` from its corpus."""
    corpus = (meta.corpus if meta is not None else None) or "DIR"
    if corpus == fmt.IN_MEMORY:
        return f"build_index(documents=…, index={str(root)!r}, rebuild=True)"
    if isinstance(corpus, dict) and corpus.get("mounts"):
        return f"rag index --index {root} --rebuild"  # the recorded corpus, mounted folders included
    corpus = corpus.get("root", "DIR") if isinstance(corpus, dict) else corpus
    return f"rag index --corpus {corpus} --index {root} --rebuild"


def _read_meta(folder: Path) -> Meta | None:
    try:
        return fmt.read_meta(folder)
    except (OSError, ValueError):
        return None


def _open(folder: Path, backend: str | None, *, verify: bool, hint: str, milvus_uri: str | None = None):
    """The reader of a version folder for the backend its ``meta.json`` names.

    Raises:
        ValueError: ``backend`` is given and the index was built with another.
    """
    meta = _read_meta(folder)
    built = meta.backend if meta is not None else "embedded"
    if backend is not None and backend != built:
        raise ValueError(f"the index in {folder.parent} uses the {built} backend, not {backend}")
    if built == "milvus":
        from ..index.milvus.reader import MilvusBackend

        return MilvusBackend(folder, verify=verify, hint=hint, uri=milvus_uri)
    return EmbeddedBackend(folder, verify=verify, hint=hint)


def load_index(path: str | Path | None = None, *, model: str | None = None, embedder=None,
               settings: SearchSettings | None = None, verify: bool = False,
               backend: str | None = None, milvus_uri: str | None = None) -> Index:
    """Open the live version of the index directory ``path`` (default: ``$RAG_INDEX`` or ``index``).

    Args:
        path: Index directory written by :func:`rag.build_index`.
        model: Embedding model the caller expects; refused if the index used another.
        embedder: A loaded query encoder (its ``info.name`` must match the index's model).
        settings: Fusion settings (defaults: :class:`SearchSettings`).
        verify: Check the sha256 of every index file (sizes are always checked).
        backend: Storage backend (:data:`rag.vocab.BACKENDS`) the caller expects; by default
            the one the index was built with (``meta.json``).
        milvus_uri: For a milvus index, reach its collection through this URI instead of the
            one in ``meta.json`` (the same store served another way, e.g. a Lite file's server).

    Raises:
        IndexNotFoundError: When ``path`` holds no built index.
        IndexCorruptError: When an index file is missing, truncated or changed.
        ModelMismatchError: When ``model``/``embedder`` differs from the index's model.
        ValueError: An unknown ``backend``.
    """
    if backend is not None:
        check_backend(backend)
    root = Path(path) if path is not None else default_index_dir()
    for attempt in range(3):
        folder = store.current_version(root)
        if folder is None:
            raise IndexNotFoundError(
                f"no index in {root}: build one with `rag index --corpus DIR --index {root}`")
        try:
            backend = _open(folder, backend, verify=verify, hint=rebuild_command(root, _read_meta(folder)),
                            milvus_uri=milvus_uri)
            break
        except (FileNotFoundError, IndexCorruptError):
            # A concurrent update may have removed this version while we read it: try the new one.
            if attempt == 2 or store.current_version(root) == folder:
                raise
    index = Index(backend, embedder=embedder, settings=settings)
    wanted = embedder.info.name if embedder is not None else model
    if wanted and wanted != index.model_name:
        raise ModelMismatchError(
            f"the index in {root} was built with the embedding model {index.model_name!r}, "
            f"not {wanted!r}. Search it with its own model, or rebuild it with the new one: "
            f"{rebuild_command(root, index.meta)} --model {wanted}")
    return index
