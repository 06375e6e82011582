"""Put diacritics back on a Vietnamese query typed without them, from the corpus's own usage.

"chong khai thac hai san bat hop phap" has dozens of readings syllable by syllable; a
bigram model of the indexed texts picks the one the documents use ("chống khai thác hải
sản bất hợp pháp"). The restored query is what the embedding model sees, since the model
understands accentless Vietnamese poorly; BM25 keeps matching the folded tokens.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..vietnamese import fold

_SYLLABLE = re.compile(r"\w+", re.UNICODE)
MAX_CANDIDATES = 8
BIGRAM_WEIGHT = 0.8


class Restorer:
    """Syllable unigram/bigram counts of a corpus, and Viterbi restoration over them."""

    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = max(1, sum(unigrams.values()))
        self.candidates: dict[str, list[str]] = {}
        for syllable, _ in sorted(unigrams.items(), key=lambda item: -item[1]):
            options = self.candidates.setdefault(fold(syllable), [])
            if len(options) < MAX_CANDIDATES:
                options.append(syllable)

    @classmethod
    def build(cls, texts: Iterable[str], max_bigrams: int = 300_000) -> Restorer:
        """Count lower-cased syllables and adjacent pairs in ``texts``.

        Pairs seen once are dropped only when there are more than ``max_bigrams`` pairs,
        which keeps large corpora's tables small without starving small ones.
        """
        unigrams: Counter = Counter()
        bigrams: Counter = Counter()
        for text in texts:
            syllables = _SYLLABLE.findall(text.lower())
            unigrams.update(syllables)
            bigrams.update(f"{a} {b}" for a, b in zip(syllables, syllables[1:], strict=False))
        if len(bigrams) > max_bigrams:
            bigrams = Counter({k: v for k, v in bigrams.items() if v >= 2})
        return cls(dict(unigrams), dict(bigrams))

    def save(self, path: Path) -> None:
        """Write the counts as JSON."""
        path.write_text(json.dumps({"unigrams": self.unigrams, "bigrams": self.bigrams},
                                   ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Restorer:
        """Read counts written by :meth:`save`."""
        data = json.loads(path.read_text("utf-8"))
        return cls(data["unigrams"], data["bigrams"])

    def _log_p(self, previous: str | None, current: str) -> float:
        unigram = (self.unigrams.get(current, 0) + 0.1) / self.total
        if previous is None:
            return math.log(unigram)
        pair = self.bigrams.get(f"{previous} {current}", 0) / max(1, self.unigrams.get(previous, 0))
        return math.log(BIGRAM_WEIGHT * pair + (1 - BIGRAM_WEIGHT) * unigram)

    def restore(self, text: str) -> str:
        """``text`` with each accentless syllable replaced by its most likely written form.

        Syllables that already carry diacritics, and those the corpus never uses, are kept.
        """
        matches = list(_SYLLABLE.finditer(text))
        if not matches:
            return text
        options = []
        for m in matches:
            word = m.group(0).lower()
            known = self.candidates.get(word) if fold(word) == word else None
            options.append(known or [word])
        # Viterbi over the candidate lattice.
        best = [{c: (self._log_p(None, c), [c]) for c in options[0]}]
        for column in options[1:]:
            layer = {}
            for c in column:
                layer[c] = max(((score + self._log_p(prev, c), path + [c])
                                for prev, (score, path) in best[-1].items()), key=lambda item: item[0])
            best.append(layer)
        chosen = max(best[-1].values(), key=lambda item: item[0])[1]
        out, last = [], 0
        for m, word in zip(matches, chosen, strict=True):
            original = m.group(0)
            if word == original.lower():
                word = original
            elif original.isupper() and len(original) > 1:
                word = word.upper()
            elif original[:1].isupper():
                word = word[:1].upper() + word[1:]
            out.append(text[last:m.start()] + word)
            last = m.end()
        return "".join(out) + text[last:]
