"""A loaded index version and its searches: dense, BM25 or hybrid, with filters (``load_index`` opens one).

Queries are NFC-normalised and their acronyms expanded (:mod:`rag.search.glossary`); filters
select the allowed chunks before either side ranks anything, so a filtered search
returns the best ``k`` among the allowed clauses, never a trimmed unfiltered top-k.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .. import vietnamese as vn
from ..answer.compose import Answer, compose
from ..index import format as fmt
from ..index import integrity
from ..index.dense import Dense
from ..index.diacritics import Restorer
from ..index.integrity import IndexCorruptError
from ..index.lexical import Lexical
from ..limits import check_question
from ..records import Hit
from ..text import normalize_query
from ..vocab import MODES
from .glossary import load_glossary, load_lexicon
from .hits import build_hits
from .plan import QueryPlan, plan_query
from .references import document_key
from .settings import SearchSettings
from .stages import STAGES, Candidates, pipeline


def _fold_lower(value: str | None) -> str:
    return vn.fold(value).lower() if value else ""


class Index:
    """A loaded index version: documents, chunks, vectors and BM25, plus the query encoder."""

    def __init__(self, folder: Path, *, embedder=None, settings: SearchSettings | None = None,
                 verify: bool = False, hint: str = "") -> None:
        self.folder = Path(folder)
        try:
            self._load(verify, hint)
        except (IndexCorruptError, FileNotFoundError):
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # faiss raises RuntimeError
            raise IndexCorruptError(f"the index in {self.folder} cannot be read ({type(exc).__name__}: "
                                    f"{exc}).{' Rebuild it: ' + hint if hint else ''}") from exc
        self.settings = settings or SearchSettings()
        self.glossary = load_glossary()
        self.lexicon = load_lexicon()
        restorer_file = self.folder / fmt.DIACRITICS
        self.restorer = Restorer.load(restorer_file) if restorer_file.exists() else \
            Restorer.build(c["text"] for c in self.chunks)
        self._embedder = embedder
        self._vector_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.doc_by_id = {d["id"]: d for d in self.documents}
        doc_pos = {d["id"]: i for i, d in enumerate(self.documents)}
        self.chunk_doc = np.array([doc_pos[c["doc_id"]] for c in self.chunks], dtype=np.int32)
        self._doc_year = np.array([d.get("year") or -1 for d in self.documents], dtype=np.int32)
        self._doc_type = [_fold_lower(d.get("doc_type")) for d in self.documents]
        self._doc_issuer = [_fold_lower(d.get("issuer")) for d in self.documents]
        self.doc_keys = [document_key(d.get("number"), d.get("doc_type"), d["id"]) for d in self.documents]
        groups: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            groups.setdefault((chunk["doc_id"], chunk["path"]), []).append(row)
        # Rows of clauses split into parts; a part found by search brings its siblings' text.
        self.parts = {key: rows for key, rows in groups.items() if len(rows) > 1}

    def _load(self, verify: bool, hint: str) -> None:
        self.meta = fmt.read_meta(self.folder)
        if self.meta.get("format") != fmt.FORMAT_VERSION:
            raise IndexCorruptError(f"the index in {self.folder} has format {self.meta.get('format')}, this "
                                    f"version of party-rag reads {fmt.FORMAT_VERSION}. Rebuild it: {hint}")
        raw = {name: (self.folder / name).read_bytes() for name in (fmt.DOCUMENTS, fmt.CHUNKS)}
        # Sizes always; the digests of the files read whole anyway cost one pass over bytes in memory.
        integrity.verify(self.folder, self.meta, full=verify, hint=hint,
                         known={n: integrity.sha256_bytes(b) for n, b in raw.items()})
        self.documents = fmt.parse_jsonl(raw[fmt.DOCUMENTS])
        self.chunks = fmt.parse_jsonl(raw[fmt.CHUNKS])
        del raw
        self.dense = Dense.load(self.folder / fmt.VECTORS, self.meta["faiss"]["kind"], threads=1)
        self.lexical = Lexical.load(self.folder / fmt.BM25)
        if not (len(self.chunks) == self.dense.size == self.lexical.size):
            raise IndexCorruptError(f"index {self.folder} is inconsistent: {len(self.chunks)} chunks, "
                                    f"{self.dense.size} vectors, {self.lexical.size} BM25 rows")

    # -- encoder -----------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        """Name of the embedding model the index was built with."""
        return self.meta["model"]["name"]

    @property
    def embedder(self):
        """The query encoder, loaded on first dense or hybrid search."""
        if self._embedder is None:
            from ..models.embedding import Embedder

            self._embedder = Embedder(self.model_name)
        return self._embedder

    def query_vector(self, text: str) -> np.ndarray:
        """The query's vector (the last ``SearchSettings.query_cache`` distinct texts are kept)."""
        # The app re-runs a question when only its filters change, and /ask and /search
        # often carry the same text: encoding is ~3/4 of a search, so recent vectors are kept.
        size = self.settings.query_cache
        with self._cache_lock:  # the app searches from several threads
            vector = self._vector_cache.get(text) if size else None
            if vector is not None:
                self._vector_cache.move_to_end(text)
                return vector
        vector = self.embedder.encode_queries([text])[0]
        if size:
            with self._cache_lock:
                self._vector_cache[text] = vector
                while len(self._vector_cache) > size:
                    self._vector_cache.popitem(last=False)
        return vector

    # -- filters -----------------------------------------------------------------------
    def doc_types(self) -> list[str]:
        """Distinct document types in the index."""
        return sorted({d["doc_type"] for d in self.documents if d.get("doc_type")})

    def issuers(self) -> list[str]:
        """Distinct issuers in the index."""
        return sorted({d["issuer"] for d in self.documents if d.get("issuer")})

    def mask(self, *, year_from: int | None = None, year_to: int | None = None,
             doc_type: str | None = None, issuer: str | None = None,
             doc_id: str | list[str] | None = None) -> np.ndarray | None:
        """Boolean array over chunks allowed by the filters, or ``None`` when there are none.

        Documents without a known year are excluded by any year filter. ``doc_type``
        matches the type ignoring case and diacritics; ``issuer`` is a case- and
        diacritic-insensitive substring.
        """
        if year_from is None and year_to is None and not doc_type and not issuer and not doc_id:
            return None
        allowed = np.ones(len(self.documents), dtype=bool)
        if year_from is not None:
            allowed &= self._doc_year >= int(year_from)
        if year_to is not None:
            allowed &= (self._doc_year <= int(year_to)) & (self._doc_year >= 0)
        if doc_type:
            wanted = _fold_lower(normalize_query(doc_type))
            allowed &= np.array([t == wanted for t in self._doc_type], dtype=bool)
        if issuer:
            wanted = _fold_lower(normalize_query(issuer))
            allowed &= np.array([wanted in s for s in self._doc_issuer], dtype=bool)
        if doc_id:
            ids = {doc_id} if isinstance(doc_id, str) else set(doc_id)
            allowed &= np.array([d["id"] in ids for d in self.documents], dtype=bool)
        return allowed[self.chunk_doc]

    # -- search ------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, year_from: int | None = None,
               year_to: int | None = None, doc_type: str | None = None, issuer: str | None = None,
               mode: str = "hybrid",
               doc_id: str | list[str] | None = None) -> list[Hit]:
        """Best ``k`` clauses for ``query`` among those allowed by the filters.

        Args:
            query: Question or keywords, in any language; Vietnamese with or without diacritics.
            k: Number of hits (parts of one clause count once).
            year_from: Earliest document year (inclusive).
            year_to: Latest document year (inclusive).
            doc_type: Document type such as ``Nghị quyết`` (case and accents ignored).
            issuer: Substring of the issuer (case and accents ignored).
            mode: ``hybrid`` (default), ``dense`` or ``bm25``.
            doc_id: Restrict to one document id or a list of them.

        Returns:
            Hits, best first; empty for an empty query or when no clause passes the filters.

        Raises:
            ValueError: An unknown ``mode``.
            QuestionTooLongError: A query over :data:`rag.limits.MAX_QUESTION_CHARS` characters.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        check_question(query)
        query = normalize_query(query)
        if not query or k <= 0:
            return []
        filters = {"year_from": year_from, "year_to": year_to, "doc_type": doc_type, "issuer": issuer,
                   "doc_id": doc_id}
        return self._search(self.plan(query), k, mode, filters)

    def _search(self, plan: QueryPlan, k: int, mode: str, filters: dict) -> list[Hit]:
        mask = self.mask(**filters)
        if mask is not None and not mask.any():
            return []
        state = Candidates(plan, depth=max(self.settings.depth, 3 * k), mask=mask)
        for name in pipeline(mode, self.settings):
            STAGES[name](self, state)
        return build_hits(self, state.ranked, k, state.query_vector, state.bm25_all)

    def plan(self, query: str) -> QueryPlan:
        """Decide how ``query`` is searched: its language, expansions and the BM25 weight."""
        return plan_query(query, self.settings, glossary=self.glossary, lexicon=self.lexicon,
                          lexical=self.lexical, restorer=self.restorer)

    def answer(self, question: str, k: int = 5, *, year_from: int | None = None,
               year_to: int | None = None, doc_type: str | None = None, issuer: str | None = None,
               doc_id: str | list[str] | None = None) -> Answer:
        """Extractive answer to ``question`` from the best ``k`` clauses (see :mod:`rag.answer.compose`).

        Args:
            question: The question, in any language.
            k: Clauses cited at most.
            year_from: Earliest document year (inclusive), as in :meth:`search`.
            year_to: Latest document year (inclusive).
            doc_type: Document type (case and accents ignored).
            issuer: Substring of the issuer (case and accents ignored).
            doc_id: Restrict to one document id or a list of them.
        """
        check_question(question)
        filters = {"year_from": year_from, "year_to": year_to, "doc_type": doc_type, "issuer": issuer,
                   "doc_id": doc_id}
        query = normalize_query(question)
        plan = self.plan(query) if query else None
        hits = self._search(plan, k, "hybrid", filters) if plan is not None and k > 0 else []
        language = "en" if plan is not None and plan.kind == "foreign" else "vi"
        match_text = f"{plan.lexical_text} {plan.dense_text}" if plan else query
        return compose(query, hits, confidence=self.confidence(hits, plan),
                       threshold=self.settings.abstain_below, language=language, match_text=match_text)

    def confidence(self, hits: list[Hit], plan: QueryPlan | str | None = None) -> float | None:
        """How sure the hits answer the query: best dense similarity, language-adjusted.

        Args:
            hits: Search results.
            plan: The query's :class:`QueryPlan` (or the query text); foreign queries get
                ``foreign_confidence_offset`` added.

        Returns:
            ``None`` when the dense side was not used (``bm25`` mode).
        """
        scores = [h.dense_score for h in hits if h.dense_score is not None]
        if not scores:
            return None
        if isinstance(plan, str):
            plan = self.plan(normalize_query(plan)) if normalize_query(plan) else None
        foreign = plan is not None and plan.kind == "foreign"
        return max(scores) + (self.settings.foreign_confidence_offset if foreign else 0.0)
