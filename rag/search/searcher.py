"""Load an index directory and search it: dense, BM25 or hybrid, with filters.

Usage (Python)::

    from rag import load_index
    idx = load_index("index")
    for hit in idx.search("nhiệm vụ chống khai thác IUU", k=5, year_from=2024):
        print(hit.rank, hit.path, hit.text)

Queries are NFC-normalised and their acronyms expanded (:mod:`rag.search.glossary`); filters
select the allowed chunks before either side ranks anything, so a filtered search
returns the best ``k`` among the allowed clauses, never a trimmed unfiltered top-k.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import vietnamese as vn
from ..answer.compose import Answer, compose
from ..errors import RagError
from ..index import integrity, store
from ..index.dense import Dense
from ..index.diacritics import Restorer
from ..index.integrity import IndexCorruptError
from ..index.lexical import Lexical
from ..limits import check_question
from ..records import Hit
from ..text import normalize_query
from ..vocab import MODES
from .fusion import fuse, lift
from .glossary import load_glossary, load_lexicon
from .references import document_key, find_references, matches

INDEX_ENV = "RAG_INDEX"


def default_index_dir() -> Path:
    """``$RAG_INDEX`` or ``index`` (relative to the working directory)."""
    return Path(os.environ.get(INDEX_ENV, "index"))


class IndexNotFoundError(RagError, FileNotFoundError):
    """No built index in the given directory."""


class ModelMismatchError(RagError, RuntimeError):
    """The index was built with another embedding model than the one requested."""


@dataclass(frozen=True)
class SearchSettings:
    """How the two sides are combined (defaults tuned on the development sets only)."""

    fusion: str = "rrf"
    dense_weight: float = 1.0
    lexical_weight: float = 2.0
    # Weight of BM25 for a query typed without diacritics (restored before both sides see it).
    accentless_lexical_weight: float = 1.0
    # A query whose words are mostly unknown to BM25 (English…) is left to the multilingual encoder.
    foreign_lexical_weight: float = 0.5
    foreign_coverage: float = 0.5  # below this share of known tokens a query counts as foreign
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each side before fusion
    # Below this confidence the documents are taken not to contain the answer (calibrated on
    # party-gold dev: abstains on 3 of 10 unanswerable questions, wrongly on 3 of 69 answerable).
    abstain_below: float = 0.87
    # Cross-lingual similarities run lower: median best cosine of answerable dev questions is
    # .909 for Vietnamese and .849 for English ones, so foreign queries get this much added.
    foreign_confidence_offset: float = 0.06
    # A question naming a document ("Nghị quyết 57", "294-QĐ/TW") lifts that document's
    # clauses by this many first places of an extra ranking (rag.search.references); 0 disables.
    reference_weight: float = 1.0
    # Pseudo-relevance feedback on the dense side: the query vector plus this share of the
    # mean vector of the best ``feedback_depth`` fused clauses re-scores the candidates
    # (party-gold dev: .846 → .865 at .2–.3 with 3; 0 disables).
    feedback_weight: float = 0.3
    feedback_depth: int = 3
    # Query vectors kept for repeated questions (0 disables; benchmarks measure uncached).
    query_cache: int = 256
    # Embed an accentless query with the diacritics the corpus most likely means (rag.index.diacritics).
    restore_diacritics: bool = True
    # Score BM25 on the accented index with the restored query (else on the folded index).
    restore_lexical: bool = True
    # Add Vietnamese wording of known English terms to a foreign query (rag/data/en_vi.tsv)…
    translate: bool = True
    # …and embed that enriched text too (else the dense side sees the query as typed).
    translate_dense: bool = True


@dataclass(frozen=True)
class QueryPlan:
    """How one query is searched (see :meth:`Index.plan`)."""

    kind: str  # "vi" (with diacritics), "accentless" (Vietnamese typed without) or "foreign"
    dense_text: str
    lexical_text: str
    accentless: bool  # score BM25 on the diacritic-folded index
    lexical_weight: float


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
        restorer_file = self.folder / "diacritics.json"
        self.restorer = Restorer.load(restorer_file) if restorer_file.exists() else \
            Restorer.build(c["text"] for c in self.chunks)
        self._embedder = embedder
        self._vector_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.doc_by_id = {d["id"]: d for d in self.documents}
        doc_pos = {d["id"]: i for i, d in enumerate(self.documents)}
        self._chunk_doc = np.array([doc_pos[c["doc_id"]] for c in self.chunks], dtype=np.int32)
        self._doc_year = np.array([d.get("year") or -1 for d in self.documents], dtype=np.int32)
        self._doc_type = [_fold_lower(d.get("doc_type")) for d in self.documents]
        self._doc_issuer = [_fold_lower(d.get("issuer")) for d in self.documents]
        self._doc_keys = [document_key(d.get("number"), d.get("doc_type"), d["id"]) for d in self.documents]
        groups: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            groups.setdefault((chunk["doc_id"], chunk["path"]), []).append(row)
        # Rows of clauses split into parts; a part found by search brings its siblings' text.
        self._parts = {key: rows for key, rows in groups.items() if len(rows) > 1}

    def _load(self, verify: bool, hint: str) -> None:
        self.meta = json.loads((self.folder / "meta.json").read_text("utf-8"))
        raw = {name: (self.folder / name).read_bytes() for name in ("documents.jsonl", "chunks.jsonl")}
        # Sizes always; the digests of the files read whole anyway cost one pass over bytes in memory.
        integrity.verify(self.folder, self.meta, full=verify, hint=hint,
                         known={n: integrity.sha256_bytes(b) for n, b in raw.items()})
        self.documents = [json.loads(line) for line in raw["documents.jsonl"].decode("utf-8").splitlines()
                          if line.strip()]
        self.chunks = [json.loads(line) for line in raw["chunks.jsonl"].decode("utf-8").splitlines()
                       if line.strip()]
        del raw
        self.dense = Dense.load(self.folder / "vectors.faiss", self.meta["faiss"]["kind"], threads=1)
        self.lexical = Lexical.load(self.folder / "bm25")
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

    def _query_vector(self, text: str) -> np.ndarray:
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
        return allowed[self._chunk_doc]

    # -- search ------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, year_from: int | None = None, year_to: int | None = None,
               doc_type: str | None = None, issuer: str | None = None, mode: str = "hybrid",
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
        depth = max(self.settings.depth, 3 * k)
        dense_side: dict[int, float] = {}
        lexical_side: dict[int, float] = {}
        query_vector = None
        bm25_all = None
        if mode in ("dense", "hybrid"):
            query_vector = self._query_vector(plan.dense_text)
            scores, rows = self.dense.search(query_vector, depth, mask)
            dense_side = dict(zip(rows.tolist(), scores.tolist(), strict=True))
        if mode in ("bm25", "hybrid"):
            bm25_all = self.lexical.scores(plan.lexical_text, accentless=plan.accentless)
            if mask is not None:
                bm25_all = np.where(mask, bm25_all, 0.0)
            lexical_side = _top_positive(bm25_all, depth)
        if mode == "dense":
            ranked = sorted(dense_side.items(), key=lambda item: (-item[1], item[0]))
        elif mode == "bm25":
            ranked = sorted(lexical_side.items(), key=lambda item: (-item[1], item[0]))
        else:
            s = self.settings
            weights = {"dense_weight": s.dense_weight, "lexical_weight": plan.lexical_weight}
            if s.fusion == "rrf":
                weights["k"] = s.rrf_k
            ranked = fuse(s.fusion, dense_side, lexical_side, **weights)
            if s.feedback_weight and s.feedback_depth and ranked:
                dense_side = self._feedback(query_vector, ranked, dense_side, lexical_side, depth)
                ranked = fuse(s.fusion, dense_side, lexical_side, **weights)
            ranked = self._lift_referenced(ranked, plan)
        return self._hits(ranked, k, query_vector, bm25_all)

    def _feedback(self, query_vector: np.ndarray, ranked, dense_side: dict[int, float],
                  lexical_side: dict[int, float], depth: int) -> dict[int, float]:
        # Re-score only the candidates both sides already found: the same ranking as a second
        # full scan on party-gold dev, for ~200 dot products instead of one more pass.
        s = self.settings
        top = np.asarray([row for row, _ in ranked[:s.feedback_depth]])
        moved = query_vector + s.feedback_weight * self.dense.vectors(top).mean(axis=0)
        moved /= np.linalg.norm(moved)
        pool = np.asarray(sorted(set(dense_side) | set(lexical_side)))
        scores = self.dense.vectors(pool) @ moved
        best = np.argsort(-scores, kind="stable")[:depth]
        return {int(pool[i]): float(scores[i]) for i in best}

    def _lift_referenced(self, ranked: list[tuple[int, float]], plan: QueryPlan) -> list[tuple[int, float]]:
        s = self.settings
        references = find_references(plan.lexical_text) if s.reference_weight else []
        if not references:
            return ranked
        docs = {i for i, key in enumerate(self._doc_keys) if any(matches(r, key) for r in references)}
        if not docs or len(docs) == len(self.documents):
            return ranked
        rows = {row for row, _ in ranked if int(self._chunk_doc[row]) in docs}
        # One first place in RRF is worth w / (k + 1); min-max fusion scores run 0..1 per side.
        amount = s.reference_weight / (s.rrf_k + 1) if s.fusion == "rrf" else s.reference_weight
        return lift(ranked, rows, amount)

    def answer(self, question: str, k: int = 5, **filters) -> Answer:
        """Extractive answer to ``question`` from the best ``k`` clauses (see :mod:`rag.answer.compose`).

        Args:
            question: The question, in any language.
            k: Clauses cited at most.
            **filters: ``year_from``, ``year_to``, ``doc_type``, ``issuer``, ``doc_id`` as in
                :meth:`search`.
        """
        check_question(question)
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

    def plan(self, query: str) -> QueryPlan:
        """Decide how ``query`` is searched: its language, expansions and the BM25 weight."""
        s = self.settings
        expanded = self.glossary.expand(query)
        if vn.has_diacritics(query):
            return QueryPlan("vi", expanded, expanded, False, s.lexical_weight)
        if self.lexical.coverage(query, accentless=True) >= s.foreign_coverage:
            restored = self.glossary.expand(self.restorer.restore(query))
            dense_text = restored if s.restore_diacritics else expanded
            if s.restore_lexical:
                return QueryPlan("accentless", dense_text, restored, False, s.accentless_lexical_weight)
            return QueryPlan("accentless", dense_text, expanded, True, s.accentless_lexical_weight)
        translated = self.lexicon.expand(expanded) if s.translate else expanded
        return QueryPlan("foreign", translated if s.translate_dense else expanded, translated,
                         not vn.has_diacritics(translated), s.foreign_lexical_weight)

    def _hits(self, ranked, k: int, query_vector, bm25_all) -> list[Hit]:
        groups: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for row, score in ranked:
            chunk = self.chunks[row]
            key = (chunk["doc_id"], chunk["path"])
            if key not in groups and len(groups) == k:
                continue  # a full list still merges later parts of clauses already in it
            groups.setdefault(key, []).append((row, score))
        hits = []
        for rank, (key, members) in enumerate(groups.items(), 1):
            best_row, best_score = members[0]
            rows = self._parts.get(key, [best_row])
            dense_score = bm25_score = None
            if query_vector is not None:
                dense_score = float(np.max(self.dense.vectors(np.asarray(rows)) @ query_vector))
            if bm25_all is not None:
                value = float(np.max(bm25_all[rows]))
                bm25_score = value if value > 0 else None
            hits.append(self._hit(rank, best_score, dense_score, bm25_score, best_row, rows,
                                  tuple(self.chunks[r]["id"] for r, _ in members)))
        return hits

    def _hit(self, rank, score, dense_score, bm25_score, row, rows, chunk_ids) -> Hit:
        chunk = self.chunks[row]
        doc = self.doc_by_id[chunk["doc_id"]]
        text = " ".join(self.chunks[r]["text"] for r in rows) if len(rows) > 1 else chunk["text"]
        return Hit(rank=rank, score=float(score), dense_score=dense_score, bm25_score=bm25_score,
                   chunk_id=chunk["id"], doc_id=chunk["doc_id"], source=doc["source"],
                   title=doc.get("title"), number=doc.get("number"), doc_type=doc.get("doc_type"),
                   issuer=doc.get("issuer"), date=doc.get("date"), year=doc.get("year"),
                   path=chunk["path"], headings=tuple(chunk.get("headings", ())), text=text,
                   page=chunk.get("page"), chunk_ids=chunk_ids)


def _top_positive(scores: np.ndarray, depth: int) -> dict[int, float]:
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    return {int(r): float(scores[r]) for r in positive}


def rebuild_command(root: Path, meta: dict | None = None) -> str:
    """The command that rebuilds the index at ``root`` from its corpus."""
    corpus = (meta or {}).get("corpus") or "DIR"
    if isinstance(corpus, dict) and corpus.get("mounts"):
        return f"rag index --index {root} --rebuild"  # the recorded corpus, mounted folders included
    corpus = corpus.get("root", "DIR") if isinstance(corpus, dict) else corpus
    return f"rag index --corpus {corpus} --index {root} --rebuild"


def _read_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def load_index(path: str | Path | None = None, *, model: str | None = None, embedder=None,
               settings: SearchSettings | None = None, verify: bool = False) -> Index:
    """Open the live version of the index directory ``path`` (default: ``$RAG_INDEX`` or ``index``).

    Args:
        path: Index directory written by :func:`rag.build_index`.
        model: Embedding model the caller expects; refused if the index used another.
        embedder: A loaded query encoder (its ``info.name`` must match the index's model).
        settings: Fusion settings (defaults: :class:`SearchSettings`).
        verify: Check the sha256 of every index file (sizes are always checked).

    Raises:
        IndexNotFoundError: When ``path`` holds no built index.
        IndexCorruptError: When an index file is missing, truncated or changed.
        ModelMismatchError: When ``model``/``embedder`` differs from the index's model.
    """
    root = Path(path) if path is not None else default_index_dir()
    for attempt in range(3):
        folder = store.current_version(root)
        if folder is None:
            raise IndexNotFoundError(
                f"no index in {root}: build one with `rag index --corpus DIR --index {root}`")
        try:
            index = Index(folder, embedder=embedder, settings=settings, verify=verify,
                          hint=rebuild_command(root, _read_meta(folder)))
            break
        except (FileNotFoundError, IndexCorruptError):
            # A concurrent update may have removed this version while we read it: try the new one.
            if attempt == 2 or store.current_version(root) == folder:
                raise
    wanted = embedder.info.name if embedder is not None else model
    if wanted and wanted != index.model_name:
        raise ModelMismatchError(
            f"the index in {root} was built with the embedding model {index.model_name!r}, "
            f"not {wanted!r}. Search it with its own model, or rebuild it with the new one: "
            f"{rebuild_command(root, index.meta)} --model {wanted}")
    return index
