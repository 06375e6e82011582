"""Links between documents: "thực hiện Nghị quyết số 57-NQ/TW", "Căn cứ Quy định số 294-QĐ/TW …".

A reference is a document number as printed ("57-NQ/TW", "03/NQ-CP", "12/2018/NQ-HĐND"),
with the type word before it when there is one. It resolves to the one document of the
corpus whose number, type code, issuer code (TW, CP, HĐND…) and year agree with it — the
year from the number or from the date printed after it ("ngày 22/12/2024"). Numbers of local
bodies (HĐND, UBND, Tỉnh ủy…) repeat in every province, so those also need the same place
as the citing document or the place named after the reference. A reference that fits several
documents or none stays unresolved with its text; a document never links to itself.

The graph (:func:`build_graph`) is computed from the documents' texts: 0.16–0.4 s for the party
and local-gov corpora (1.4 M characters) and for the 10.7 M of laws-vlc on 2 shared cores
(``eval/reports/links-2026-12-03.md``), so an index computes it when first asked
(:attr:`rag.search.searcher.Index.links`) instead of storing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from ..vietnamese import fold
from ..vocab import DOC_TYPES, NUMBER_CODES

# Folded code letters ("nq", "qd", "nd"…) → folded doc types they stand for.
_CODE_TYPES = {fold(code).lower(): {fold(t).lower() for t in types} for code, types in NUMBER_CODES.items()}
_TYPE_CODE = {t: code for code, types in _CODE_TYPES.items() for t in types}
_CODES = "|".join(sorted(_CODE_TYPES, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
# "57-NQ/TW", "03/NQ-CP", "12/2018/NQ-HĐND", "06 -HD/TW", "05 /2025/QĐ-UBND" (folded, lower case).
_NUMBER = re.compile(rf"(?<![\d/.])(?P<num>\d{{1,4}})\s*(?:/\s*(?P<year>{_YEAR})\s*)?[-/]\s*"
                     rf"(?P<code>{_CODES})\s*[-/]\s*(?P<issuer>[a-z][a-z0-9]{{0,11}})\b")
_CANDIDATE = re.compile(r"\d\s*[-/]\s*[^\W\d_]")  # "7-N", "3/N", "8/N" of "12/2018/NQ-HĐND"
_TYPE_WORDS = sorted({fold(t).lower() for t in DOC_TYPES} | {"thong tri"}, key=len, reverse=True)
_TYPE_BEFORE = re.compile(r"(?:" + "|".join(w.replace(" ", r"\s+") for w in _TYPE_WORDS)
                          + r")\s+(?:so\s*)?$")
_SHORT = re.compile(r"^\s*(?P<type>" + "|".join([*_CODE_TYPES, *_TYPE_WORDS]).replace(" ", r"\s+")
                    + r")\s*(?:so\s*)?(?P<num>\d{1,4})\s*$")
# The date printed after a reference: ", ngày 26/5/2025", " (ngày 22 tháng 12 năm 2024)".
_DATE_AFTER = re.compile(rf"^\s*[,(]?\s*(?:ngay\s*)?\d{{1,2}}\s*(?:[/.-]|\s+thang\s+)\s*\d{{1,2}}\s*"
                         rf"(?:[/.-]|\s+nam\s+)\s*(?P<year>{_YEAR})\b")
# A document's own number in its header ("Số: 57-NQ/TW", "| Số: 20-NQ/TW |") is not a reference.
_OWN_NUMBER = re.compile(r"(?:^|\n)[\s|*#_]*so\s*:?\s*$")
_RELATIONS = (("căn cứ", r"can cu"),
              ("thực hiện", r"thuc hien|trien khai|quan triet|cu the hoa|hanh dong|tinh than"),
              ("sửa đổi/thay thế", r"sua doi|bo sung|thay the|bai bo|dieu chinh|het hieu luc"))
_RELATION = re.compile("|".join(f"(?P<r{n}>{words})" for n, (_, words) in enumerate(_RELATIONS)))
MENTION = "dẫn chiếu"
"""Relation of a reference with no "Căn cứ", "thực hiện" or "sửa đổi" word before it."""
_LOCAL = re.compile(r"^(?:hdnd|ubnd|[a-z]*(?:tu|hu|du))$")
_PLACE = re.compile(r"(?:tinh uy|thanh uy|thi uy|huyen uy|tinh|thanh pho|thi xa|huyen|quan)\s+(.+)$")
_ISSUER_CODES = (("ban to chuc trung uong", "btctw"), ("ban to chuc (?:tinh|thanh) uy", "btctu"),
                 ("thu tuong", "ttg"), ("chinh phu", "cp"), ("hdnd|hoi dong nhan dan", "hdnd"),
                 ("ubnd|uy ban nhan dan", "ubnd"), ("quoc hoi", "qh"),
                 ("bo chinh tri|ban bi thu|trung uong", "tw"), ("(?:tinh|thanh|thi) uy", "tu"),
                 ("huyen uy", "hu"), ("dang uy", "du"))
_WINDOW = 120  # characters after a reference read for its date and place
_BEFORE = 300  # characters before it read for its relation ("Căn cứ … , Hướng dẫn số 06-HD/TW")


# Precomposed letters (NFC text) → their folded lower-case letter: one str.translate pass, ~20x
# faster than rag.vietnamese.fold on whole documents, and offsets stay those of the text.
_FOLD_TABLE = {cp: f for cp in range(0xC0, 0x1F00) if len(f := fold(chr(cp)).lower()) == 1}


def _folded(text: str) -> str:
    """``text`` folded and lower-cased, one character for one, so offsets stay valid."""
    out = text.translate(_FOLD_TABLE).lower()
    return out if len(out) == len(text) else "".join((fold(c).lower() or c)[:1] for c in text)


@dataclass(frozen=True)
class DocKey:
    """What identifies a document: number, type code ("nq"), issuer code ("tw", "hdnd") and year."""

    number: int
    code: str
    issuer: str = ""
    year: int | None = None

    def fits(self, other: DocKey) -> bool:
        """True when nothing known of the two keys disagrees (an unknown issuer or year fits any)."""
        return (self.number == other.number and self.code == other.code
                and (not self.issuer or not other.issuer or self.issuer == other.issuer)
                and (self.year is None or other.year is None or self.year == other.year))


def parse_number(text: str) -> DocKey | None:
    """The key of a document number as printed: ``"57-NQ/TW"`` → ``DocKey(57, "nq", "tw")``.

    >>> parse_number("12/2018/NQ-HĐND")
    DocKey(number=12, code='nq', issuer='hdnd', year=2018)
    """
    m = _NUMBER.search(_folded(text or ""))
    return m and DocKey(int(m["num"]), m["code"], m["issuer"], int(m["year"] or 0) or None)


def _spec_key(spec: str) -> DocKey | None:
    """The key a user names a document by: "57-NQ/TW", or type and number ("NQ 57", "Nghị quyết 57")."""
    key = parse_number(spec)
    short = _SHORT.match(_folded(spec or ""))
    if key or not short:
        return key
    kind = " ".join(short["type"].split())
    return DocKey(int(short["num"]), kind if kind in _CODE_TYPES else _TYPE_CODE.get(kind, ""))


def issuer_code(issuer: str | None) -> str:
    """The code an issuer signs numbers with ("Bộ Chính trị" → ``tw``, "HĐND tỉnh X" → ``hdnd``)."""
    folded = _folded(issuer or "")
    return next((code for words, code in _ISSUER_CODES if re.search(rf"\b(?:{words})\b", folded)), "")


def place_of(issuer: str | None) -> str:
    """The province or town of a local issuer ("HĐND tỉnh Thừa Thiên Huế" → ``thua thien hue``)."""
    match = _PLACE.search(_folded(issuer or "").strip())
    return " ".join(match.group(1).replace("-", " ").split()) if match else ""


def _file_key(doc_id: str) -> DocKey | None:
    """The key a file name gives: "nghi-quyet-57-NQ-TW-…", "20-2017-nq-hđnd", "VanBanGoc_QĐ 05.2025"."""
    name = _folded(doc_id.rsplit("/", 1)[-1]).replace("_", " ")
    sep = r"[-. ]+"
    match = re.search(rf"(?<!\d)(\d{{1,4}}){sep}(?:({_YEAR}){sep})?({_CODES}){sep}([a-z]+)", name)
    if match and not re.fullmatch(_YEAR, match[1]):
        return DocKey(int(match[1]), match[3], match[4], int(match[2]) if match[2] else None)
    if match := re.search(rf"\b({_CODES})\s*(?:so)?\s*(\d{{1,4}})[. ]({_YEAR})\b", name):
        return DocKey(int(match[2]), match[1], "", int(match[3]))
    match = re.search(rf"(?<![\d.])(\d{{1,4}})\.({_YEAR})\b", name)
    return DocKey(int(match[1]), "", "", int(match[2])) if match else None


def document_keys(doc) -> tuple[DocKey, ...]:
    """The keys ``doc`` (a Document or index DocRow) is known by: its number's and its file name's.

    A number whose code or issuer contradicts the type or issuer read from the text (a
    "Tờ trình số 120/TTr-UBND" taken for the number of a resolution) is not used.
    """
    kind = _folded(doc.doc_type or "")
    own_issuer, year = issuer_code(doc.issuer), doc.year
    keys = []
    number = parse_number(doc.number or "")
    # "BTCTW" is signed by a body of the centre ("tw"), "BTGTU" by one of a provincial committee ("tu").
    if number and (not kind or kind in _CODE_TYPES[number.code]) and (
            not own_issuer or number.issuer.endswith(own_issuer) or own_issuer.endswith(number.issuer)):
        keys.append(number)
    named = _file_key(doc.id)
    if named and (not kind or not named.code or kind in _CODE_TYPES[named.code]):
        keys.append(named)
    full = (DocKey(k.number, k.code or _TYPE_CODE.get(kind, ""), k.issuer or own_issuer,
                   k.year if k.year is not None else year) for k in keys)
    return tuple(dict.fromkeys(k for k in full if k.code))


@dataclass(frozen=True)
class Link:
    """One reference of a document to another.

    Attributes:
        source_doc: Id of the citing document.
        target_doc: Id of the document referred to; ``None`` when it is not in the corpus or
            several documents fit (``candidates``).
        text: The reference as printed ("Nghị quyết số 57-NQ/TW"), whitespace collapsed.
        start: Character offset of the reference in the citing document's text.
        end: End offset (exclusive).
        relation: ``căn cứ``, ``thực hiện``, ``sửa đổi/thay thế`` or ``dẫn chiếu``.
        candidates: The documents an ambiguous reference fits.
    """

    source_doc: str
    target_doc: str | None
    text: str
    start: int
    end: int
    relation: str = MENTION
    candidates: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """True when the reference names exactly one document of the corpus."""
        return self.target_doc is not None

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``resolved`` included)."""
        return {**asdict(self), "candidates": list(self.candidates), "resolved": self.resolved}


def _relation(before: str) -> str:
    """The relation word nearest before a reference, in its sentence."""
    found = list(_RELATION.finditer(re.split(r"[.;]\s|\n\s*\n", before)[-1]))
    return _RELATIONS[int(found[-1].lastgroup[1:])][0] if found else MENTION


@dataclass(frozen=True)
class Mention:
    """A reference found in a text, before resolution."""

    key: DocKey
    text: str
    start: int
    end: int
    relation: str
    after: str  # folded text following the reference (for the place it names)


def find_mentions(text: str) -> list[Mention]:
    """Every document number referred to in ``text`` (not the text's own header number)."""
    out: list[Mention] = []
    # Only the few places where a digit meets a letter across "-" or "/" are folded and read.
    for candidate in _CANDIDATE.finditer(text):
        if out and candidate.start() < out[-1].end:
            continue
        low = max(0, candidate.start() - _BEFORE)
        piece = _folded(text[low:candidate.end() + _WINDOW])
        at = candidate.start() - low
        # The number may start before the candidate ("12/2018/N"), never inside an earlier number.
        match = next((m for m in _NUMBER.finditer(piece, max(0, at - 12)) if m.end() > at), None)
        if not match or match.start() > at:
            continue
        before = piece[:match.start()]
        if _OWN_NUMBER.search(before[-_WINDOW:]):
            continue
        lead = _TYPE_BEFORE.search(before[-_WINDOW:])
        start = low + (match.start() - (len(before[-_WINDOW:]) - lead.start()) if lead else match.start())
        after = piece[match.end():]
        dated = _DATE_AFTER.match(after)
        year = match["year"] or (dated["year"] if dated else None)
        key = DocKey(int(match["num"]), match["code"], match["issuer"], int(year) if year else None)
        out.append(Mention(key, " ".join(text[start:low + match.end()].split()), start, low + match.end(),
                           _relation(before), after))
    return out


@dataclass(frozen=True)
class LinkGraph:
    """Every reference of a set of documents, resolved where exactly one document fits."""

    links: tuple[Link, ...] = ()
    keys: dict = field(default_factory=dict, compare=False, repr=False)  # doc id -> its DocKeys
    _out: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    _in: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for link in self.links:
            self._out.setdefault(link.source_doc, []).append(link)
            if link.target_doc:
                self._in.setdefault(link.target_doc, []).append(link)

    def outgoing(self, doc_id: str) -> list[Link]:
        """References of ``doc_id``, in text order (unresolved ones included)."""
        return list(self._out.get(doc_id, ()))

    def incoming(self, doc_id: str) -> list[Link]:
        """Resolved references to ``doc_id`` from other documents."""
        return list(self._in.get(doc_id, ()))

    def targets(self, doc_id: str) -> list[str]:
        """Documents ``doc_id`` refers to ("Căn cứ / thực hiện"), first reference first, once each."""
        return list(dict.fromkeys(link.target_doc for link in self.outgoing(doc_id) if link.target_doc))

    def sources(self, doc_id: str) -> list[str]:
        """Documents that refer to ``doc_id`` ("Được cụ thể hóa bởi"), once each."""
        return list(dict.fromkeys(link.source_doc for link in self.incoming(doc_id)))

    def find(self, spec: str) -> list[str]:
        """Documents ``spec`` names: a document id, a number ("57-NQ/TW") or type and number ("NQ 57")."""
        if spec in self.keys:
            return [spec]
        wanted = _spec_key(spec)
        return [d for d, keys in self.keys.items() if wanted and any(wanted.fits(k) for k in keys)]

    def implementing(self, spec: str) -> set[str]:
        """Documents that refer to the document ``spec`` names, or to that number when it is not here."""
        found = {s for target in self.find(spec) for s in self.sources(target)}
        wanted = _spec_key(spec)
        if wanted:  # the number cited but not (or ambiguously) in the corpus
            found |= {link.source_doc for link in self.links if not link.resolved
                      and (parse_number(link.text) or DocKey(0, "")).fits(wanted)}
        return found


def _resolve(doc, mention: Mention, by_number: dict, places: dict) -> set[str]:
    """The documents ``mention`` in ``doc`` fits (``doc`` itself included when it fits)."""
    key = mention.key
    fits = {d for d, other in by_number.get((key.number, key.code), ()) if key.fits(other)}
    if doc.id not in fits and _LOCAL.match(key.issuer):
        # "Nghị quyết số 20/2017/NQ-HĐND" exists in every province: the citing one's, or the one named.
        after = " ".join(mention.after.replace("-", " ").split())
        fits = {d for d in fits if places[d] and (places[d] == places[doc.id] or places[d] in after)}
    return fits


def build_graph(documents: Iterable) -> LinkGraph:
    """Resolve the references of every document against the others.

    Args:
        documents: :class:`rag.records.Document` or index ``DocRow`` objects (``id``, ``text``,
            ``number``, ``doc_type``, ``issuer``, ``date``).
    """
    docs = list(documents)
    keys = {d.id: document_keys(d) for d in docs}
    by_number: dict[tuple[int, str], list[tuple[str, DocKey]]] = {}
    for doc_id, key in ((d, k) for d, doc_keys in keys.items() for k in doc_keys):
        by_number.setdefault((key.number, key.code), []).append((doc_id, key))
    places = {d.id: place_of(d.issuer) for d in docs}
    links = []
    for doc in docs:
        for mention in find_mentions(doc.text or ""):
            fits = _resolve(doc, mention, by_number, places)
            if doc.id in fits:
                continue  # the document naming itself ("Nghị quyết số 03/NQ-CP này")
            target = next(iter(fits)) if len(fits) == 1 else None
            links.append(Link(doc.id, target, mention.text, mention.start, mention.end, mention.relation,
                              tuple(sorted(fits)) if len(fits) > 1 else ()))
    return LinkGraph(tuple(links), keys)
