"""A small-memory XLM-R (SentencePiece Unigram) tokenizer for the bundled model.

``tokenizers`` builds a per-character trie over the model's 250k pieces, which costs a
search process ~280 MB. This tokenizer keeps one dict from piece to ``(id, score)`` (~30 MB)
and runs the same Viterbi search per word, with a cache of words already seen (Vietnamese
text repeats a few thousand syllables). It reproduces :func:`rag.models.convert.build_tokenizer`
exactly — the replayed ``nmt_nfkc`` differences, NFKC, collapsed spaces, the ``▁``
Metaspace split, special tokens taken from the raw text, unknown characters scored
``min score - 10`` and fused — which ``tests/test_unigram.py`` checks against ``tokenizers``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

_UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY
_CACHE_LIMIT = 200_000
SPACE = "▁"


class UnigramTokenizer:
    """Tokenize text into model ids without special ``<s>``/``</s>`` around it.

    Args:
        pieces: The model's pieces; a piece's index is its id.
        scores: Log-probabilities, aligned with ``pieces``.
        unk: Id of ``<unk>``.
        replacements: Characters mapped before NFKC (see :func:`rag.models.convert.normalizer_differences`).
        specials: Pieces matched verbatim in the raw text (``<s>``, ``</s>``, …).
    """

    def __init__(self, pieces: Sequence[str], scores: np.ndarray, unk: int,
                 replacements: dict[str, str], specials: Sequence[str]) -> None:
        scores = [float(s) for s in scores]
        self._vocab = {piece: (i, scores[i]) for i, piece in enumerate(pieces)}
        self._longest = max(len(p) for p in pieces)
        self._unk = unk
        self._unk_score = min(scores) - _UNK_PENALTY
        self._table = str.maketrans(replacements)
        self._specials = {s: self._vocab[s][0] for s in specials}
        self._split = re.compile("(" + "|".join(map(re.escape, sorted(specials, key=len, reverse=True)))
                                 + ")") if specials else None
        self._cache: dict[str, list[int]] = {}

    def encode(self, text: str) -> list[int]:
        """Ids of ``text`` (no ``<s>``/``</s>`` added)."""
        ids: list[int] = []
        for part in self._split.split(text) if self._split else [text]:
            if part in self._specials:
                ids.append(self._specials[part])
            elif part:
                ids.extend(self._encode_plain(part))
        return ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """:meth:`encode` over several texts."""
        return [self.encode(t) for t in texts]

    def _encode_plain(self, text: str) -> list[int]:
        text = re.sub(" {2,}", " ", unicodedata.normalize("NFKC", text.translate(self._table)))
        if not text:
            return []
        text = text.replace(" ", SPACE)
        if not text.startswith(SPACE):
            text = SPACE + text
        ids: list[int] = []
        start = 0
        # Metaspace split: every ▁ starts a new word.
        for end in range(1, len(text) + 1):
            if end == len(text) or text[end] == SPACE:
                word = text[start:end]
                cached = self._cache.get(word)
                if cached is None:
                    if len(self._cache) >= _CACHE_LIMIT:
                        self._cache.clear()
                    cached = self._cache[word] = self._viterbi(word)
                ids.extend(cached)
                start = end
        return ids

    def _viterbi(self, word: str) -> list[int]:
        n = len(word)
        best = [-np.inf] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (start, id) of the last piece
        best[0] = 0.0
        vocab, longest = self._vocab, self._longest
        for start in range(n):
            base = best[start]
            if base == -np.inf:
                continue
            single = False
            for end in range(start + 1, min(n, start + longest) + 1):
                hit = vocab.get(word[start:end])
                if hit is None:
                    continue
                single = single or end == start + 1
                # Strictly better only, as tokenizers: ties keep the path found first.
                if base + hit[1] > best[end]:
                    best[end], back[end] = base + hit[1], (start, hit[0])
            if not single and base + self._unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = base + self._unk_score, (start, self._unk)
        ids: list[int] = []
        end = n
        while end > 0:
            start, piece = back[end]
            if not (piece == self._unk and ids and ids[-1] == self._unk):  # unknowns are fused
                ids.append(piece)
            end = start
        return ids[::-1]
