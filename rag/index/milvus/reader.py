"""The Milvus backend, read side: rows read from the version folder, ranked by Milvus.

Everything a search reads row by row (chunks, documents, clause keys, children, sentence
vectors, the diacritics restorer) comes from the version folder exactly as in the embedded
backend, which this class extends. Dense and BM25 ranking, filters and stored vectors go to
Milvus. Rows are the folder's line numbers, mapped to and from the Milvus keys of
``milvus_rows.npy``; a key this version does not list (written by a newer build) is skipped.
BM25 scores are divided by ``k1 + 1``, Milvus' factor, so that they read like bm25s'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ... import vietnamese as vn
from .. import format as fmt
from ..backend import Filters, Selection
from ..embedded import EmbeddedBackend
from ..integrity import IndexCorruptError
from ..lexical import DEFAULT_PARAMS, coverage, query_tokens
from ..row_table import RowTable
from . import expressions as ex
from .client import connect
from .schema import analyzer_text
from .writer import ROWS

MAX_LIMIT = 16_384  # Milvus' largest top-k


class MilvusBackend(EmbeddedBackend):
    """A loaded index version whose rows are searched in Milvus."""

    def __init__(self, folder, *, verify: bool = False, hint: str = "", uri: str | None = None) -> None:
        """Load a version folder and connect to its collection (through ``uri`` when given)."""
        self._uri = uri
        super().__init__(folder, verify=verify, hint=hint)

    def _open_search(self, table: RowTable) -> None:
        record = self.meta.milvus
        if self.meta.backend != "milvus" or not record.get("collection"):
            raise IndexCorruptError(f"the index in {self.folder} is not a milvus index")
        uri = self._uri or record["uri"]
        self.client = connect(uri)
        self.collection = record["collection"]
        if not self.client.has_collection(self.collection):
            raise IndexCorruptError(f"the index in {self.folder} names the Milvus collection "
                                    f"{self.collection!r}, which {uri} does not have")
        self.client.load_collection(self.collection)
        self._keys = np.load(self.folder / ROWS).astype(np.int64)
        if len(self._keys) != table.size:
            raise IndexCorruptError(f"index {self.folder} is inconsistent: {table.size} chunks, "
                                    f"{len(self._keys)} Milvus keys")
        self._line_of = {int(k): line for line, k in enumerate(self._keys.tolist())}
        self._params = {**DEFAULT_PARAMS, **self.meta.lexical}
        tokens = fmt.read_tokens(self.folder)
        self._vocabulary = {t for row in tokens for t in row}
        self._folded_vocabulary = {vn.fold(t) for t in self._vocabulary}

    # -- search --------------------------------------------------------------------------
    def select(self, filters: Filters) -> Selection:
        """The filters as a Milvus expression (``None`` when nothing is filtered)."""
        if filters.empty:
            return Selection(filters)
        nothing = not any(filters.admits(d) for d in self._documents)
        return Selection(filters, ex.expression(filters, self._documents), nothing=nothing)

    def _search(self, data, field: str, limit: int, where: str | None) -> list[tuple[int, float]]:
        """``(row, score)`` of a Milvus search, best first, rows this version lists only."""
        # Only the primary key comes back (an empty list would return every field, BM25 sparse
        # vectors included), read column-wise so that pymilvus builds no per-hit dictionaries.
        hits = self.client.search(self.collection, data=[data], anns_field=field, filter=where or "",
                                  limit=max(1, min(int(limit), MAX_LIMIT)), output_fields=["row"])[0]
        out = []
        for key, distance in zip(hits.ids, hits.distances, strict=True):
            line = self._line_of.get(int(key))
            if line is not None:
                out.append((line, float(distance)))
        return out

    def dense_search(self, vector: np.ndarray, k: int, selection: Selection) -> dict[int, float]:
        """The ``k`` selected rows nearest to ``vector``."""
        if k <= 0 or selection.nothing:
            return {}
        return dict(self._search(np.asarray(vector, np.float32).tolist(), "dense", k, selection.native))

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Stored vectors of ``rows``."""
        keys = [int(self._keys[int(r)]) for r in rows]
        if not keys:
            return np.zeros((0, self.meta.dimension), dtype=np.float32)
        found = {int(e["row"]): e["dense"] for e in self.client.get(self.collection, ids=keys,
                                                                     output_fields=["row", "dense"])}
        return np.asarray([found[k] for k in keys], dtype=np.float32)

    def query_text(self, text: str, accentless: bool) -> str:
        """The analyzer text of a query's BM25 tokens (folded when ``accentless``)."""
        return analyzer_text(query_tokens(text, self._params["scheme"], accentless=accentless))

    def lexical_search(self, text: str, *, accentless: bool, selection: Selection) -> MilvusScores:
        """BM25 of the query over the selected rows, ranked by Milvus."""
        return MilvusScores(self, self.query_text(text, accentless), "bm25_folded" if accentless else "bm25",
                            None if selection.nothing else selection.native, selection.nothing)

    def coverage(self, text: str, *, accentless: bool) -> float:
        """Share of the query's lexical tokens (not the joined words) that occur in the index."""
        vocabulary = self._folded_vocabulary if accentless else self._vocabulary
        return coverage(query_tokens(text, self._params["scheme"], accentless=accentless), vocabulary)


@dataclass(frozen=True)
class MilvusScores:
    """One query's BM25 in Milvus: the best rows on demand, or the scores of given rows."""

    backend: MilvusBackend
    query: str
    field: str
    where: str | None
    nothing: bool = False

    def _scale(self) -> float:
        return float(self.backend._params["k1"]) + 1.0

    def top(self, k: int) -> dict[int, float]:
        """The ``k`` best rows with a positive score."""
        if k <= 0 or self.nothing or not self.query:
            return {}
        hits = self.backend._search(self.query, self.field, k, self.where)
        return {row: abs(score) / self._scale() for row, score in hits if score}

    def of(self, rows: Sequence[int]) -> np.ndarray:
        """Scores of ``rows`` (0 where a row does not match or is not selected)."""
        rows = [int(r) for r in rows]
        out = np.zeros(len(rows), dtype=np.float32)
        if not rows or self.nothing or not self.query:
            return out
        keys = sorted({int(self.backend._keys[r]) for r in rows})
        where = f"row in [{', '.join(map(str, keys))}]"
        if self.where:
            where = f"({where}) and ({self.where})"
        found = dict(self.backend._search(self.query, self.field, len(keys), where))
        for i, row in enumerate(rows):
            out[i] = abs(found.get(row, 0.0)) / self._scale()
        return out
