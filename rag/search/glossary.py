"""Acronym glossary: expand IUU, OCOP, HĐND, KT-XH… in queries before retrieval.

The bundled table is ``rag/data/glossary.tsv``; users add their own entries with a file of
the same format named by ``$RAG_GLOSSARY`` (or passed to :func:`load_glossary`). Matching
ignores case and diacritics and only takes whole words, so ``hdnd`` in a query typed
without accents still expands to "Hội đồng nhân dân".
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text import normalize_text
from ..vietnamese import fold

DATA = Path(__file__).resolve().parent.parent / "data"
BUNDLED = DATA / "glossary.tsv"
_BOUNDARY_L = r"(?<![\w-])"
_BOUNDARY_R = r"(?![\w-])"


def _key(acronym: str) -> str:
    return re.sub(r"\s+", "", fold(acronym)).upper()


@dataclass(frozen=True)
class Entry:
    """One acronym and its expansion; ``upper_only`` entries match upper-case spelling only."""

    acronym: str
    expansion: str
    upper_only: bool = False


def _in_order(found: list[tuple[int, Entry]]) -> list[Entry]:
    """Entries by position in the query, each expansion once."""
    ordered, seen = [], set()
    for _, entry in sorted(found, key=lambda item: item[0]):
        if entry.expansion not in seen:
            seen.add(entry.expansion)
            ordered.append(entry)
    return ordered


class Glossary:
    """A set of acronym entries compiled into two whole-word regular expressions."""

    def __init__(self, entries: list[Entry]) -> None:
        # Later entries (user files) replace bundled ones with the same folded acronym.
        by_key: dict[str, Entry] = {}
        for entry in entries:
            by_key[_key(entry.acronym)] = entry
        self.entries = list(by_key.values())
        self._lookup = by_key
        self._any_case = self._compile([e for e in self.entries if not e.upper_only], re.IGNORECASE)
        self._upper = self._compile([e for e in self.entries if e.upper_only], 0)

    @staticmethod
    def _compile(entries: list[Entry], flags: int) -> re.Pattern | None:
        if not entries:
            return None
        # Longest first so "TCCSĐ" wins over "TCCS".
        keys = sorted({fold(e.acronym) for e in entries}, key=len, reverse=True)
        alternation = "|".join(re.escape(k).replace(r"\ ", r"\s*") for k in keys)
        return re.compile(f"{_BOUNDARY_L}(?:{alternation}){_BOUNDARY_R}", flags)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, query: str) -> list[Entry]:
        """Entries whose acronym occurs in ``query`` as a whole word, in order of appearance."""
        folded = fold(normalize_text(query))
        found: list[tuple[int, Entry]] = []
        for pattern in (self._any_case, self._upper):
            if pattern is None:
                continue
            for match in pattern.finditer(folded):
                entry = self._lookup.get(_key(match.group(0)))
                if entry is not None:
                    found.append((match.start(), entry))
        return _in_order(found)

    def expand(self, query: str) -> str:
        """Return ``query`` followed by the expansions of its acronyms in parentheses.

        Expansions the query already spells out are not repeated. A query without known
        acronyms is returned unchanged.
        """
        query = normalize_text(query).strip()
        folded_query = fold(query).lower()
        extra = [e.expansion for e in self.find(query) if fold(e.expansion).lower() not in folded_query]
        return f"{query} ({'; '.join(extra)})" if extra else query


def read_entries(path: str | Path) -> list[Entry]:
    """Parse a glossary file: ``ACRONYM<TAB>expansion[<TAB>upper]`` per line, ``#`` comments.

    Raises:
        ValueError: On a line that has no tab-separated expansion (with its line number).
    """
    entries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = unicodedata.normalize("NFC", line)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise ValueError(f"{path}:{number}: expected 'ACRONYM<TAB>expansion', got {line!r}")
        upper_only = len(fields) > 2 and fields[2].lower() == "upper"
        entries.append(Entry(fields[0], fields[1], upper_only))
    return entries


@lru_cache(maxsize=16)
def _load(kind: type, files: tuple[str, ...]):
    entries = []
    for path in files:
        entries.extend(read_entries(path))
    return kind(entries)


def _files(bundled: Path, variable: str, extra_files) -> tuple[str, ...]:
    paths = [str(bundled), *(p for p in os.environ.get(variable, "").split(os.pathsep) if p)]
    return tuple(paths + [str(p) for p in extra_files])


def load_glossary(*extra_files: str | Path) -> Glossary:
    """The bundled glossary plus ``$RAG_GLOSSARY`` and any ``extra_files`` (later files win)."""
    return _load(Glossary, _files(BUNDLED, "RAG_GLOSSARY", extra_files))


_INFLECTION = r"(?:s|es|d|ed|ing)?(?!\w)"  # "members", "exempted", "signing"


class Lexicon:
    """English → Vietnamese term list: adds the Vietnamese wording of English terms to a query.

    Longer phrases win ("science and technology" before "science"); plurals and -ed/-ing forms match.
    """

    def __init__(self, entries: list[Entry]) -> None:
        by_phrase = {e.acronym.lower(): e for e in entries}
        self.entries = sorted(by_phrase.values(), key=lambda e: len(e.acronym), reverse=True)
        self._patterns = [
            re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, e.acronym.split())) + _INFLECTION,
                       re.IGNORECASE)
            for e in self.entries
        ]

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, query: str) -> list[Entry]:
        """Entries found in ``query`` (non-overlapping, longest first), in order of appearance."""
        taken: list[tuple[int, int]] = []
        found: list[tuple[int, Entry]] = []
        for entry, pattern in zip(self.entries, self._patterns, strict=True):
            for match in pattern.finditer(query):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue
                taken.append(match.span())
                found.append((match.start(), entry))
        return _in_order(found)

    def expand(self, query: str) -> str:
        """``query`` followed by the Vietnamese wording of the English terms it contains."""
        extra = [e.expansion for e in self.find(query)]
        return f"{query} ({'; '.join(extra)})" if extra else query


BUNDLED_LEXICON = DATA / "en_vi.tsv"


def load_lexicon(*extra_files: str | Path) -> Lexicon:
    """The bundled English → Vietnamese terms plus ``$RAG_EN_VI`` and ``extra_files``."""
    return _load(Lexicon, _files(BUNDLED_LEXICON, "RAG_EN_VI", extra_files))
