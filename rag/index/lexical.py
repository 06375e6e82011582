"""BM25 over Vietnamese word tokens (bm25s), with a diacritic-folded twin for accentless queries.

Two bm25s indexes are kept side by side: one over lower-cased underthesea word tokens
(``khai_thác``) and one over the same tokens with diacritics removed (``khai_thac``).
A query typed with diacritics is scored against the first, one typed without any against
the second, so "chong khai thac hai san" finds the same clauses as the accented question.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import vietnamese as vn

SAMPLE_FROM, SAMPLE_STRIDE = 65_536, 16  # ArrayScores.top: a threshold from a sample above this many rows
DEFAULT_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene", "scheme": "words+syllables"}
SCHEMES = ("words", "words+syllables")


def _bm25s():
    try:
        import bm25s
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ImportError("The lexical index needs bm25s: pip install bm25s") from exc
    # bm25s sets its own logger to DEBUG on import and prints "Building index from tokens".
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def tokenize(text: str, scheme: str = DEFAULT_PARAMS["scheme"]) -> list[str]:
    """Lexical tokens of ``text`` under a tokenisation ``scheme``.

    ``words`` gives underthesea word tokens; ``words+syllables`` adds the syllables of each
    multi-syllable word, so a query segmented differently from the document
    (``kết_luận_của`` vs ``kết_luận``) still shares its syllables with it.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown token scheme {scheme!r}; expected one of {SCHEMES}")
    words = vn.lexical_tokens(text)
    if scheme == "words":
        return words
    out = []
    for word in words:
        out.append(word)
        if "_" in word:
            out.extend(s for s in word.split("_") if s)
    return out


def query_tokens(query: str, scheme: str, *, accentless: bool) -> list[str]:
    """Tokens of ``query`` as every backend looks them up: :func:`tokenize`, folded when ``accentless``."""
    tokens = tokenize(query, scheme)
    return vn.folded_tokens(tokens) if accentless else tokens


def coverage(tokens: Sequence[str], vocabulary) -> float:
    """Share of ``tokens`` (single syllables; joined words skipped) found in ``vocabulary`` (0 for none)."""
    tokens = [t for t in tokens if "_" not in t]
    return sum(t in vocabulary for t in tokens) / len(tokens) if tokens else 0.0


@dataclass(frozen=True)
class ArrayScores:
    """BM25 scores of every row (0 outside the selection)."""

    scores: np.ndarray

    def top(self, k: int) -> dict[int, float]:
        """The ``k`` best rows with a positive score (of rows with equal scores, the first ones)."""
        if k <= 0:
            return {}
        rows = self._candidates(k)
        if len(rows) > k:
            rows = rows[np.lexsort((rows, -self.scores[rows]))[:k]]
        return {int(r): float(self.scores[r]) for r in rows}

    def _candidates(self, k: int) -> np.ndarray:
        """Positive rows that include the best ``k``: those above a threshold read off a sample.

        When every 16th row's ``k/16 + 8``-th best score is still reached by ``k`` rows, every row
        of the top ``k`` (and every row tied with its last) is at or above it; a full partition
        of a million scores costs ~5 ms, this ~1 ms.
        """
        scores = self.scores
        sample = scores[::SAMPLE_STRIDE]
        wanted = k // SAMPLE_STRIDE + 8
        if len(scores) >= SAMPLE_FROM and len(sample) > wanted:
            threshold = np.partition(sample, len(sample) - wanted)[len(sample) - wanted]
            if threshold > 0:
                rows = np.flatnonzero(scores >= threshold)
                if len(rows) >= k:
                    return rows
        return np.flatnonzero(scores > 0)

    def of(self, rows: Sequence[int]) -> np.ndarray:
        """Scores of ``rows``."""
        return self.scores[np.asarray(rows, dtype=np.int64)]


class Lexical:
    """A pair of BM25 indexes (accented and folded tokens) over the same chunks."""

    def __init__(self, plain, folded, params: dict) -> None:
        self.plain = plain
        self.folded = folded
        self.params = params

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], params: dict | None = None, *,
              folded: Sequence[Sequence[str]] | None = None) -> Lexical:
        """Index one token list per chunk (the order defines chunk numbers).

        Args:
            token_lists: Per chunk, its tokens (:func:`tokenize`).
            params: BM25 settings (:data:`DEFAULT_PARAMS` for the missing ones).
            folded: The same lists with diacritics removed, when the caller has them (the
                benchmark's replicated index shares one list among a clause's copies).
        """
        bm25s = _bm25s()
        params = {**DEFAULT_PARAMS, **(params or {})}
        if folded is None:
            folded = [vn.folded_tokens(list(t)) for t in token_lists]
        indexes = []
        for tokens in (token_lists, folded):
            model = bm25s.BM25(k1=params["k1"], b=params["b"], method=params["method"])
            model.index([t if isinstance(t, list) else list(t) for t in tokens], show_progress=False)
            indexes.append(model)
        return cls(indexes[0], indexes[1], params)

    def save(self, folder: Path) -> None:
        """Write both indexes and the parameters under ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.plain.save(str(folder / "plain"), show_progress=False)
        self.folded.save(str(folder / "folded"), show_progress=False)
        (folder / "params.json").write_text(json.dumps(self.params, indent=2) + "\n", "utf-8")

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> Lexical:
        """Read indexes written by :meth:`save`.

        Args:
            folder: The ``bm25`` folder.
            mmap: Map the postings instead of reading them: only the postings of query tokens
                are ever read, so a query process holds a fraction of them (at 1 M clauses,
                ~1.1 GB of postings on disk; eval/EXPERIMENTS.md, "1 M clauses").
        """
        bm25s = _bm25s()
        params = json.loads((folder / "params.json").read_text("utf-8"))
        plain = bm25s.BM25.load(str(folder / "plain"), show_progress=False, verbosity=0, mmap=mmap)
        folded = bm25s.BM25.load(str(folder / "folded"), show_progress=False, verbosity=0, mmap=mmap)
        return cls(plain, folded, params)

    def query_tokens(self, query: str, *, accentless: bool) -> list[str]:
        """Tokens of ``query`` as they are looked up (folded when ``accentless``)."""
        return query_tokens(query, self.params.get("scheme", "words"), accentless=accentless)

    def scores(self, query: str, *, accentless: bool | None = None) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when no token is in the vocabulary).

        Args:
            query: The (normalised, expanded) query.
            accentless: Score against the folded index; by default when ``query`` has no
                Vietnamese diacritics at all.
        """
        if accentless is None:
            accentless = not vn.has_diacritics(query)
        model = self.folded if accentless else self.plain
        ids = [model.vocab_dict[t] for t in self.query_tokens(query, accentless=accentless)
               if t in model.vocab_dict]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(model.get_scores_from_ids(ids), dtype=np.float32)

    def coverage(self, query: str, *, accentless: bool) -> float:
        """Share of the query's tokens found in the index vocabulary (0 for an empty query).

        Tells an accentless Vietnamese query (most syllables known) from an English one
        (few known), which deserve opposite trust in the lexical side.
        """
        model = self.folded if accentless else self.plain
        return coverage(self.query_tokens(query, accentless=accentless), model.vocab_dict)

    @property
    def size(self) -> int:
        """Number of indexed chunks."""
        return int(self.plain.scores["num_docs"])
