"""Documents a question names by type and number: "Nghị quyết 57", "294-QĐ/TW", "Resolution 20".

Cadres cite documents by number. Such a question is about that document, but its clauses
rarely repeat their own number, so neither ranking side sees the link; the index uses
:func:`find_references` and :func:`matches` to lift the named documents' clauses.
Matching ignores case and diacritics ("nghi quyet 20" works).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..vietnamese import fold
from ..vocab import ENGLISH_SYNONYMS, ENGLISH_TYPES, NUMBER_CODES, REFERENCE_TYPES


def _folded(value: str) -> str:
    return fold(value).lower()


_KNOWN = {_folded(t) for t in REFERENCE_TYPES}
# Code letters inside a document number ("57-NQ/TW", "03/NQ-CP") → folded doc types ("a|b" if two).
_CODES = {_folded(code): "|".join(_folded(t) for t in types) for code, types in NUMBER_CODES.items()
          if all(_folded(t) in _KNOWN for t in types)}
# Folded type words (Vietnamese, abbreviation, English) → the folded Vietnamese doc type(s).
_TYPE_WORDS = {**{k: k for k in _KNOWN}, **_CODES,
               **{_folded(en): _folded(vi) for vi, en in ENGLISH_TYPES.items() if _folded(vi) in _KNOWN},
               **{en: _folded(vi) for en, vi in ENGLISH_SYNONYMS.items()}}
_TYPE_ALTERNATION = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _TYPE_WORDS),
                                    key=len, reverse=True))
_NUMBER_WORD = r"(?:so|no\.?|number|#)?"
_BY_TYPE = re.compile(
    rf"\b(?P<type>{_TYPE_ALTERNATION})\s*{_NUMBER_WORD}\s*(?P<num>\d{{1,4}})(?!\d|%|[.,]\d)")
# "57-NQ/TW", "03/NQ-CP", and "12/2018/NQ-HĐND" (a year between number and code).
_BY_CODE = re.compile(
    r"\b(?P<num>\d{1,4})(?:\s*/\s*(?:19|20)\d\d)?\s*[-/]\s*(?P<code>" + "|".join(_CODES) + r")\b")
_TYPE_LEAD = re.compile(rf"\b(?:{_TYPE_ALTERNATION})\s*{_NUMBER_WORD}\s*$")
# "…thực hiện Nghị quyết 57", "implementation of Resolution 57": the named document is the one
# being carried out, and the answer sits in the document that carries it out.
_IMPLEMENTING = re.compile(r"(?:thuc hien|trien khai|thi hanh|quan triet|implement\w*|carry(?:ing)? out|"
                           r"action (?:programme|program|plan)s?)(?:\s+(?:cac|of|the|for))*\s*$")


@dataclass(frozen=True)
class Reference:
    """A document named in a question: its number and the doc types it may be."""

    number: int
    types: frozenset[str]


def find_references(query: str) -> list[Reference]:
    """Documents ``query`` asks about, in order of appearance, without repeats.

    A document named as the one being implemented ("thực hiện Nghị quyết 57") is left out.

    >>> [(r.number, sorted(r.types)) for r in find_references("Nghị quyết 57 và 294-QĐ/TW")]
    [(57, ['nghi quyet']), (294, ['quy dinh', 'quyet dinh'])]
    """
    text = fold(query).lower()
    found: list[tuple[int, Reference]] = []
    for match in _BY_CODE.finditer(text):
        # "Nghị quyết số 57-NQ/TW": the reference starts at its type word.
        lead = _TYPE_LEAD.search(text[:match.start()])
        start = lead.start() if lead else match.start()
        found.append((start, Reference(int(match["num"]), frozenset(_CODES[match["code"]].split("|")))))
    for match in _BY_TYPE.finditer(text):
        kind = _TYPE_WORDS[" ".join(match["type"].split())]
        found.append((match.start(), Reference(int(match["num"]), frozenset(kind.split("|")))))
    found = [(start, ref) for start, ref in found if not _IMPLEMENTING.search(text[max(0, start - 40):start])]
    # "294-QĐ/TW" after "Quy định" is found twice (by type word and by code): one reference.
    types: dict[int, frozenset[str]] = {}
    for _, ref in sorted(found, key=lambda item: item[0]):
        types[ref.number] = types.get(ref.number, frozenset()) | ref.types
    return [Reference(number, kinds) for number, kinds in types.items()]


def document_key(number: str | None, doc_type: str | None, doc_id: str = "") -> tuple[int, str] | None:
    """``(number, folded type)`` of a document, from its number or else its file name.

    The file name is a fallback for documents whose number line is blank in the source
    ("Số - HD/BTCTU"), whose files are usually still named after the number.
    """
    kind = fold(doc_type or "").lower()
    for text in (number or "", doc_id.rsplit("/", 1)[-1]):
        match = _BY_CODE.search(fold(text).lower())
        if match:
            return int(match["num"]), kind or _CODES[match["code"]].split("|")[0]
    return None


def matches(reference: Reference, key: tuple[int, str] | None) -> bool:
    """True when a document with ``key`` (from :func:`document_key`) is the one referenced."""
    return key is not None and key[0] == reference.number and key[1] in reference.types


def document_matches(reference: Reference, doc_keys: dict[str, tuple]) -> set[str]:
    """Ids of the documents whose key (:func:`document_key`) ``reference`` names."""
    return {doc_id for doc_id, key in doc_keys.items() if matches(reference, key)}


# "văn bản thực hiện NQ 57", "các kế hoạch triển khai Nghị quyết số 57-NQ/TW": a request for the
# documents that implement a document, not for that document's clauses.
_WANTS_IMPLEMENTING = re.compile(
    r"^\s*(?:(?:cac|nhung)\s+)?(?:van ban|ke hoach|chuong trinh|huong dan)(?:\s+nao)?\s+"
    r"(?:thuc hien|trien khai|cu the hoa|quan triet)\s+(?P<ref>(?:" + _TYPE_ALTERNATION + r")\s*"
    + _NUMBER_WORD + r"\s*\d{1,4}(?:\s*/\s*(?:19|20)\d\d)?(?:\s*[-/]\s*[a-z]+(?:\s*[-/]\s*[a-z]+)?)?"
    r"|\d{1,4}(?:\s*/\s*(?:19|20)\d\d)?\s*[-/]\s*(?:" + "|".join(_CODES) + r")(?:\s*[-/]\s*[a-z]+)?)"
    r"\s*[,.:;]?\s*")


def implementing_request(query: str) -> tuple[str | None, str]:
    """The document whose implementing documents ``query`` asks for, and the rest of the query.

    Matching ignores case and accents; the reference is returned as typed, for
    ``Filters.implements`` (which reads "NQ 57", "Nghị quyết 57" and "57-NQ/TW" alike).

    >>> implementing_request("văn bản thực hiện NQ 57 về dữ liệu")
    ('NQ 57', 'về dữ liệu')
    >>> implementing_request("nhiệm vụ chống khai thác IUU")
    (None, 'nhiệm vụ chống khai thác IUU')
    """
    folded = fold(query).lower()
    match = _WANTS_IMPLEMENTING.match(folded)
    if not match or len(folded) != len(query):
        return None, query
    # Folding keeps one character per character here, so offsets carry over to the original.
    return query[match.start("ref"):match.end("ref")].strip(), query[match.end():].strip()
