"""The search facade over a storage backend: dense, BM25 or hybrid, with filters (``load_index`` opens one).

Queries are NFC-normalised and planned (:mod:`rag.search.plan`), then run through the stages
that ``SearchSettings`` names (:mod:`rag.search.stages`). Filters are handed to the backend
before either side ranks anything, so a filtered search returns the best ``k`` among the
allowed clauses, never a trimmed unfiltered top-k.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from functools import cached_property

import numpy as np

from ..answer.compose import Answer
from ..answer.direct import DirectSettings
from ..index.backend import Filters, SearchBackend
from ..index.rows import DocRow
from ..ingest.links import LinkGraph, build_graph
from ..limits import check_question
from ..records import Hit
from ..text import normalize_query
from ..vocab import MODES
from . import answering
from .glossary import load_glossary, load_lexicon
from .hits import browse_hits, build_hits
from .plan import QueryPlan, plan_query
from .references import document_key
from .settings import SearchSettings
from .stages import STAGES, Candidates, pipeline


class Index:
    """A loaded index: a storage backend (:mod:`rag.index.backend`), the query encoder and the stages."""

    def __init__(self, backend: SearchBackend, *, embedder=None,
                 settings: SearchSettings | None = None) -> None:
        """Search ``backend`` (open one with :func:`rag.load_index`).

        Args:
            backend: The stored index (the embedded one: :class:`rag.index.embedded.EmbeddedBackend`).
            embedder: A loaded query encoder; by default the index's model, loaded on first use.
            settings: Search settings (defaults: :class:`SearchSettings`).
        """
        self.backend = backend
        self.meta = backend.meta
        self.settings = settings or SearchSettings()
        self.glossary = load_glossary()
        self.lexicon = load_lexicon()
        self.direct_settings = DirectSettings()
        self._embedder = embedder
        self._vector_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.doc_keys = {d.id: document_key(d.number, d.doc_type, d.id) for d in backend.documents()}

    @property
    def documents(self) -> list[DocRow]:
        """Every indexed document."""
        return list(self.backend.documents())

    @cached_property
    def links(self) -> LinkGraph:
        """References between the indexed documents (:mod:`rag.ingest.links`), read on first use.

        Computed from the stored texts rather than stored: 0.16–0.4 s for the 145 party and
        local-gov documents (1.4 M characters), and always in step with the documents.
        """
        return build_graph(self.backend.documents())

    def resolve(self, filters: Filters) -> Filters:
        """``filters`` with the documents that refer to ``filters.implements`` filled in."""
        if not filters.implements or filters.implementing is not None:
            return filters
        return replace(filters, implementing=tuple(sorted(self.links.implementing(filters.implements))))

    # -- encoder -----------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        """Name of the embedding model the index was built with."""
        return self.meta.model_name

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
        return sorted({d.doc_type for d in self.backend.documents() if d.doc_type})

    def issuers(self) -> list[str]:
        """Distinct issuers in the index."""
        return sorted({d.issuer for d in self.backend.documents() if d.issuer})

    # -- search ------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, year_from: int | None = None,
               year_to: int | None = None, doc_type: str | None = None, issuer: str | None = None,
               mode: str = "hybrid", doc_id: str | list[str] | None = None,
               implements: str | None = None) -> list[Hit]:
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
            implements: Only documents that refer to this one ("57-NQ/TW", or a document id).

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
        filters = Filters.of(year_from=year_from, year_to=year_to, doc_type=doc_type, issuer=issuer,
                             doc_id=doc_id, implements=implements)
        return self.run(self.plan(query), k, filters, mode=mode)

    def browse(self, limit: int = 500, *, year_from: int | None = None, year_to: int | None = None,
               doc_type: str | None = None, issuer: str | None = None,
               doc_id: str | list[str] | None = None,
               implements: str | None = None) -> tuple[list[Hit], int]:
        """The clauses the filters allow, without a query: newest document first, each in text order.

        Args:
            limit: Hits returned at most.
            year_from: Earliest document year (inclusive), as in :meth:`search`.
            year_to: Latest document year (inclusive).
            doc_type: Document type (case and accents ignored).
            issuer: Substring of the issuer (case and accents ignored).
            doc_id: Restrict to one document id or a list of them.
            implements: Only documents that refer to this one ("57-NQ/TW").

        Returns:
            The first ``limit`` clauses as hits (score 0) and the number of clauses that pass.
        """
        filters = Filters.of(year_from=year_from, year_to=year_to, doc_type=doc_type, issuer=issuer,
                             doc_id=doc_id, implements=implements)
        return browse_hits(self.backend, self.resolve(filters), max(0, limit))

    def run(self, plan: QueryPlan, k: int, filters: Filters, *, mode: str = "hybrid",
            extra: tuple[str, ...] = ()) -> list[Hit]:
        """Run the stages of ``mode`` (plus ``extra`` ones not already named) for a planned query.

        Args:
            plan: The query's plan (:meth:`plan`).
            k: Number of hits.
            filters: Which documents may be returned.
            mode: ``hybrid``, ``dense`` or ``bm25``.
            extra: Stage names appended to the pipeline (answers add ``headings``).
        """
        selection = self.backend.select(self.resolve(filters))
        if selection.nothing or k <= 0:
            return []
        state = Candidates(plan, depth=max(self.settings.depth, 3 * k), selection=selection)
        names = pipeline(mode, self.settings)
        for name in names + tuple(e for e in extra if e not in names):
            STAGES[name](self, state)
        return build_hits(self.backend, state.ranked, k, state.query_vector, state.lexical_scores)

    def plan(self, query: str) -> QueryPlan:
        """Decide how ``query`` is searched: its language, expansions and the BM25 weight."""
        return plan_query(query, self.settings, glossary=self.glossary, lexicon=self.lexicon,
                          lexical=self.backend, restorer=self.backend.restorer)

    def answer(self, question: str, k: int = 5, *, year_from: int | None = None,
               year_to: int | None = None, doc_type: str | None = None, issuer: str | None = None,
               doc_id: str | list[str] | None = None, previous: str | None = None,
               implements: str | None = None) -> Answer:
        """Extractive answer to ``question``: the sentences that answer, then the clauses, best first.

        See :mod:`rag.search.answering` for the steps and :mod:`rag.answer.compose` for the record.

        Args:
            question: The question, in any language.
            k: Clauses cited at most.
            year_from: Earliest document year (inclusive), as in :meth:`search`.
            year_to: Latest document year (inclusive).
            doc_type: Document type (case and accents ignored).
            issuer: Substring of the issuer (case and accents ignored).
            doc_id: Restrict to one document id or a list of them.
            previous: The question asked before this one in a chat; a short follow-up is
                read with it.
            implements: Only documents that refer to this one ("57-NQ/TW").

        Raises:
            QuestionTooLongError: A question over :data:`rag.limits.MAX_QUESTION_CHARS` characters.
        """
        check_question(question)
        filters = Filters.of(year_from=year_from, year_to=year_to, doc_type=doc_type, issuer=issuer,
                             doc_id=doc_id, implements=implements)
        return answering.answer(self, question, k, filters, previous=previous)

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
