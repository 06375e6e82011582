"""FAISS inner-product index over L2-normalised clause vectors, with pre-filtering.

``flat`` (exact float32) is right for small collections; ``fp16`` (vectors stored as
half floats, scored exactly against them) reads half the memory per query, which is what
a single-query scan is bound by: 2.8 ms instead of 7-12 ms at 87k clauses on 2 cores, with
recall@10 1.0 against ``flat``. A scan grows with the collection (~100 ms at a million
clauses here), so large ones get ``ivf-sq8``: 4,096 k-means lists of 8-bit codes, 128 of
them read per query (recall@10 .955 against exact search at 1 M, ~380 MB; HNSW over the
same codes reached .93 at efSearch 512, eval/EXPERIMENTS.md "1 M clauses"). ``hnsw`` stays
as an option. Filters are FAISS ID selectors, so they restrict the search itself rather
than trimming its top-k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..vocab import FAISS_KINDS

KINDS = FAISS_KINDS
# Above this many vectors ``auto`` stores half floats (a flat scan then costs > ~2 ms)…
AUTO_FP16_THRESHOLD = 20_000
# …and above this, IVF lists of 8-bit codes: a half-float scan costs ~0.1 µs a vector on one
# thread here (measured on a quiet machine: 9.8 ms at 86.5k, 27 ms at 250k, 97 ms at 1 M), so
# above ~150k it alone takes half of a 30 ms hybrid search, while an IVF search costs ~5 ms
# at 1 M (eval/EXPERIMENTS.md, "1 M clauses"). The whole shared corpus (86.5k) stays exact.
AUTO_IVF_THRESHOLD = 150_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
HNSW_EF_MAX = 2048  # a filtered HNSW search widens up to this
IVF_NPROBE = 128  # of 4,096 lists at 1 M: recall@10 .925 at 64, .955 at 128, .967 at 256
IVF_TRAIN_PER_LIST = 50  # k-means training vectors per list (FAISS wants >= 39)
# A filtered approximate search with at most this many allowed rows scores them all: every
# IVF list is read, excluded rows costing one bitmap test (12 ms for one 4,952-row document
# at 1 M, recall@10 .97); HNSW scans its stored vectors the same way.
EXACT_BELOW = 20_000
APPROXIMATE = ("hnsw", "ivf-sq8")


def ivf_lists(count: int) -> int:
    """IVF lists for ``count`` vectors: the power of two nearest 4·√count, with >= 39 vectors each."""
    lists = 2 ** int(round(np.log2(max(4 * np.sqrt(max(count, 1)), 1))))
    return int(max(1, min(lists, count // 39)))


def _training_sample(vectors: np.ndarray, size: int) -> np.ndarray:
    """At most ``size`` rows of ``vectors``, drawn without replacement (seeded: builds repeat)."""
    if len(vectors) == 0:
        return np.eye(1, vectors.shape[1], dtype=np.float32)  # FAISS cannot train on nothing
    if len(vectors) <= size:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size, replace=False))
    return vectors[rows]


def _faiss():
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ImportError("The vector index needs faiss: pip install faiss-cpu") from exc
    return faiss


def choose_kind(kind: str, count: int) -> str:
    """Resolve ``auto`` to ``flat``, ``fp16`` or ``ivf-sq8`` by collection size."""
    if kind == "auto":
        if count > AUTO_IVF_THRESHOLD:
            return "ivf-sq8"
        return "fp16" if count > AUTO_FP16_THRESHOLD else "flat"
    if kind not in KINDS:
        raise ValueError(f"unknown FAISS index kind {kind!r}; expected auto, {', '.join(KINDS)}")
    return kind


class Dense:
    """Vectors in a FAISS index; row ``i`` is chunk ``i``."""

    def __init__(self, index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "auto") -> Dense:
        """Index ``vectors`` (float32, L2-normalised rows) with inner product."""
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        kind = choose_kind(kind, len(vectors))
        dim = vectors.shape[1]
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "fp16":
            index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        elif kind == "ivf-sq8":
            index = faiss.index_factory(dim, f"IVF{ivf_lists(len(vectors))},SQ8", faiss.METRIC_INNER_PRODUCT)
            index.train(_training_sample(vectors, IVF_TRAIN_PER_LIST * index.nlist))
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        if len(vectors):
            index.add(vectors)
        dense = cls(index, kind)
        dense._tune()
        return dense

    def _tune(self) -> None:
        """Search-time settings, which FAISS does not all keep in the file."""
        if self.kind == "ivf-sq8":
            self.index.nprobe = min(IVF_NPROBE, self.index.nlist)
            if self.index.direct_map.no():  # vectors(rows) reconstructs by id; FAISS saves the map
                self.index.make_direct_map()
        elif self.kind in APPROXIMATE:
            self.index.hnsw.efSearch = HNSW_EF_SEARCH

    def save(self, path: Path) -> None:
        """Write the FAISS index to ``path``."""
        _faiss().write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str, *, threads: int | None = None) -> Dense:
        """Read an index written by :meth:`save`.

        Args:
            path: The ``vectors.faiss`` file.
            kind: The kind it was built as (from ``meta.json``).
            threads: If given, FAISS's (process-wide) OpenMP thread count. A query process
                wants 1: a single query scans memory, and a second thread on 2 cores only
                adds start-up cost (flat at 87k: 7 ms on one thread, 12 ms on two) and
                starves concurrent requests.
        """
        faiss = _faiss()
        if threads:
            faiss.omp_set_num_threads(threads)
        dense = cls(faiss.read_index(str(path)), kind)
        dense._tune()
        return dense

    @property
    def size(self) -> int:
        """Number of vectors."""
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.index.d)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Stored vectors (all, or the given rows) as a float32 array."""
        if rows is None:
            return self.index.reconstruct_n(0, self.size) if self.size else \
                np.zeros((0, self.dimension), dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.reconstruct_batch(rows)  # one call: ~4x faster than row by row

    def search(self, query: np.ndarray, k: int,
               mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows by inner product with ``query``, among rows where ``mask`` is true.

        Returns:
            ``(scores, rows)``, best first; fewer than ``k`` when fewer rows are allowed.
        """
        faiss = _faiss()
        k = min(k, self.size if mask is None else int(mask.sum()))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        index, params = self.index, None
        if mask is not None:
            bitmap = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
            index, params = self._filtered(selector, k, int(mask.sum()))
            params._keep = (bitmap, selector)  # the selector reads ``bitmap``; keep both alive
        scores, rows = index.search(query, k, params=params)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep].astype(np.int64)

    def _filtered(self, selector, k: int, allowed: int):
        """The index to search and its parameters when ``allowed`` rows may be returned.

        An exact index scores only the allowed rows. An approximate one searches all of its
        vectors, exactly, when at most :data:`EXACT_BELOW` rows are allowed (HNSW's stored
        vectors, or every IVF list; non-allowed rows cost one bitmap test each), and otherwise
        widens its search in proportion to the share of rows excluded, so that about as many
        allowed candidates are looked at as an unfiltered search looks at.
        """
        faiss = _faiss()
        if self.kind not in APPROXIMATE:
            return self.index, faiss.SearchParameters(sel=selector)
        exact = allowed <= EXACT_BELOW
        widen = self.size / max(allowed, 1)
        if self.kind == "ivf-sq8":
            nlist = self.index.nlist
            nprobe = nlist if exact else min(nlist, int(np.ceil(self.index.nprobe * widen)))
            return self.index, faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if exact:
            return faiss.downcast_index(self.index.storage), faiss.SearchParameters(sel=selector)
        ef = min(HNSW_EF_MAX, max(int(np.ceil(self.index.hnsw.efSearch * widen)), k))
        return self.index, faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
