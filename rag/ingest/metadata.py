"""Document metadata from the text: type, number, issuer, date, term, signer and title.

Each field is read from where official documents state it — the header block ("Số
294-QĐ/TW", "Hà Nội, ngày 26 tháng 5 năm 2025"), the title, the signature block ("T/M
BAN BÍ THƯ", signer's name) or the body ("Tại Hội nghị ngày 11/10/2024", "Kết luận số
69-KL/TW ngày 11/01/2024 của Bộ Chính trị"). A field the text does not state is ``None``;
a date taken from the file name is marked ``date_source="filename"``. A sidecar
``NAME.meta.json`` or a ``metadata.csv`` row overrides any field (see :mod:`rag.ingest.documents`).
"""

from __future__ import annotations

import re

from ..vocab import DOC_TYPES, FILE_NAME_TYPES, NUMBER_CODES, STATE_NUMBER_CODES
from .layout import Paragraph
from .signing import SIGNATURE, block_signer, stated_signer, term

TYPES = list(DOC_TYPES)
_TYPE_UPPER = {t.upper(): t for t in TYPES}

_NUMBER = re.compile(r"\bSố\s*:?\s*(\d{1,5}[a-zA-Z]?)?\s*((?:/\s*\d{4}\s*)?[-/]\s*[A-ZĐ][A-ZĐa-zđ0-9\-/.]*)")
_NUMBER_INLINE = re.compile(r"(?:" + "|".join(TYPES) + r")\s+số\s+(\d{1,5}[-/][A-ZĐ][\wĐđ\-/]*)")
_HEADER_DATE = re.compile(r"[A-ZĐ][^\n,;]{1,40},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_DATE_WORDS = r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_DATE_SLASH = r"ngày\s+(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_MEETING_DATE = re.compile(r"(?:Tại|tại)\s+(?:Hội nghị|hội nghị|Kỳ họp|kỳ họp)[^.;]{0,40}?(?:"
                           + _DATE_SLASH + "|" + _DATE_WORDS + ")")
_PASSED_DATE = re.compile(r"thông qua\s+(?:" + _DATE_WORDS + "|" + _DATE_SLASH + ")")
_LOCAL_BODY = {"THỊ ỦY": "thị xã", "TỈNH ỦY": "tỉnh", "HUYỆN ỦY": "huyện", "THÀNH ỦY": "thành phố",
               "QUẬN ỦY": "quận"}
_UNIT = r"(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG)"
_PLACE = r"([A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ\- ]{1,30}?)"
_COUNCIL = re.compile(r"HỘI ĐỒNG NHÂN DÂN\s+" + _UNIT + r"\s+" + _PLACE + r"(?=\s+KH[OÓ]|\s*\n|\s*$|\s*\|)",
                      re.M)
_COUNCIL_BODY = re.compile(r"Hội đồng nhân dân\s+(tỉnh|thành phố|huyện|quận|thị xã)\s+"
                           r"((?:[A-ZĐ][\wà-ỹ]*\s?){1,4})(?=\s*(?:[Kk]hóa|[Kk]hoá|[,.;:]|$|\s[a-zà-ỹ]))")
_COMMITTEE = re.compile(r"ỦY BAN NHÂN DÂN\s+" + _UNIT + r"\s+" + _PLACE + r"(?=\s*\n|\s*$|\s*\||\s+Số)", re.M)
_PARTY_LOCAL = re.compile(r"\b(TỈNH ỦY|THÀNH ỦY|HUYỆN ỦY|THỊ ỦY|QUẬN ỦY)\s+" + _PLACE
                          + r"(?=\s*\n|\s*$|\s*\||\s+\*|\s+Số)", re.M)
_CENTRAL = [("BAN CHẤP HÀNH TRUNG ƯƠNG", "Ban Chấp hành Trung ương"), ("BỘ CHÍNH TRỊ", "Bộ Chính trị"),
            ("BAN BÍ THƯ", "Ban Bí thư"), ("CHÍNH PHỦ", "Chính phủ"), ("QUỐC HỘI", "Quốc hội")]
_ISSUER_ABOVE_BASIS = ("ỦY BAN NHÂN DÂN", "CHÍNH PHỦ")
_OF_ISSUER = re.compile(r"của\s+(Bộ Chính trị|Ban Bí thư|Ban Chấp hành Trung ương(?: Đảng)?|Chính phủ)")


def _canon(text: str) -> str:
    """Old-style tone placement (``uỷ``, ``khoá``) to the modern one used by the patterns."""
    for old, new in (("UỶ", "ỦY"), ("Uỷ", "Ủy"), ("uỷ", "ủy"), ("KHOÁ", "KHÓA"), ("khoá", "khóa"),
                     ("Khoá", "Khóa")):
        text = text.replace(old, new)
    return text


def _title_case(name: str) -> str:
    return " ".join(w.capitalize() for w in name.lower().split())


def _iso(day: str | None, month: str | None, year: str) -> str | None:
    y = int(year)
    if not 1945 <= y <= 2100:
        return None
    if month is None:
        return f"{y:04d}"
    m = int(month)
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{y:04d}-{m:02d}"
    d = int(day)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= d <= 31 else None


def _first_date(match: re.Match) -> str | None:
    groups = [g for g in match.groups() if g is not None]
    return _iso(groups[0], groups[1], groups[2]) if len(groups) >= 3 else None


def extract(text: str, paras: list[Paragraph], filename: str) -> dict:
    """Extract metadata fields from a document.

    Args:
        text: The normalised document text.
        paras: Its paragraphs (see :func:`rag.ingest.layout.paragraphs`).
        filename: The file name, used for the date and type only as a last resort.

    Returns:
        A dict with ``doc_type``, ``number``, ``issuer``, ``date``, ``date_source``,
        ``term``, ``signer`` and ``title``; unknown fields are ``None``.
    """
    text = _canon(text)
    paras = [Paragraph(_canon(p.text), p.offset) for p in paras]
    head_paras = paras[:25]
    head = "\n".join(p.text for p in head_paras)[:4000]
    tail_paras = paras[-25:]
    tail = "\n".join(p.text for p in tail_paras)

    number, code = _number(head)
    doc_type, title = _type_and_title(head_paras, code, filename, state=bool(number and code and
                                                                             f"{code}-" in number.upper()))
    date, date_source = _date(head, text, tail, filename, number)
    issuer = _issuer(head, tail, text, tail_paras)
    return {
        "doc_type": doc_type,
        "number": number,
        "issuer": issuer,
        "date": date,
        "date_source": date_source,
        # The term belongs to the issuing body: never the term of a cited older resolution.
        "term": term(title, head_paras, text, issuer, date),
        "signer": block_signer(paras) or stated_signer(head_paras[:6], number),
        "title": title,
    }


def _number(head: str) -> tuple[str | None, str | None]:
    match = _NUMBER.search(head)
    if match:
        digits, rest = match.group(1), re.sub(r"\s+", "", match.group(2)).rstrip(".")
        code = re.split(r"[-/]", rest.lstrip("-/").lstrip("0123456789/"), maxsplit=1)[0]
        if digits:
            return digits + rest, code.upper() or None
        return None, code.upper() or None
    inline = _NUMBER_INLINE.search(head)
    if inline:
        number = inline.group(1)
        code = re.split(r"[-/]", number, maxsplit=2)[1] if re.search(r"[-/]", number) else None
        return number, code.upper() if code else None
    return None, None


def _type_and_title(head_paras: list[Paragraph], code: str | None, filename: str, *, state: bool = False):
    for i, para in enumerate(head_paras):
        text = para.text.strip()
        for upper, name in sorted(_TYPE_UPPER.items(), key=lambda kv: -len(kv[0])):
            if text.startswith(upper) and (len(text) == len(upper) or not text[len(upper)].isalpha()):
                title_parts = [text]
                for nxt in head_paras[i + 1 : i + 4]:
                    t = nxt.text.strip()
                    if len(t) > 300 or t.startswith(("Căn cứ", "-", "Tại ", "Số")) or t.endswith(":"):
                        break
                    if t.startswith(_ISSUER_ABOVE_BASIS):  # the enacting body above "Căn cứ …", no title
                        break
                    if not t.isupper() and not t[:1].islower() and not t.startswith(("VỀ", "về", "Về")):
                        break
                    title_parts.append(t)
                    if not t.isupper():
                        break
                return name, " ".join(title_parts)
    for para in head_paras[:5]:
        for name in sorted(TYPES, key=len, reverse=True):
            if para.text.startswith(name + " số") or para.text.startswith(name + " "):
                return name, para.text.strip()
    # A code that may stand for two types ("QĐ": Quy định or Quyết định) says nothing on its own,
    # except in state numbering ("35/2025/QĐ-UBND"), where it has one meaning.
    names = NUMBER_CODES.get(code.upper(), ()) if code else ()
    if state and code and code.upper() in STATE_NUMBER_CODES:
        names = (STATE_NUMBER_CODES[code.upper()],)
    if len(names) == 1:
        return names[0], None
    stem = filename.lower()
    for key, name in FILE_NAME_TYPES.items():
        if re.search(rf"(?:^|[-_ .\d]){re.escape(key)}(?:[-_ .\d]|$)", stem):
            return name, None
    return None, None


def _date(head: str, text: str, tail: str, filename: str,
          number: str | None) -> tuple[str | None, str | None]:
    match = _HEADER_DATE.search(head)
    if match and (date := _first_date(match)):
        return date, "header"
    match = re.search(r"[A-ZĐ][^\n,;]{1,40},\s*ngày\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", head)
    if match:  # "Hà Nội, ngày   tháng 11 năm 2025": the day was left blank
        return _iso(None, match.group(1), match.group(2)), "header"
    for pattern, zone in ((_MEETING_DATE, text[:5000]), (_PASSED_DATE, tail)):
        match = pattern.search(zone)
        if match and (date := _first_date(match)):
            return date, "body"
    if number:  # "Kết luận số 69-KL/TW ngày 11/01/2024 của Bộ Chính trị"
        own = re.search(re.escape(number) + r"\s*,?\s*\(?(?:" + _DATE_SLASH + "|" + _DATE_WORDS + ")",
                        text[:3000])
        if own and (date := _first_date(own)):
            return date, "body"
    match = re.search(r"(?<!\d)((?:19|20)\d{2})-(\d{2})(?:-(\d{2}))?(?!\d)", filename)
    if match:
        return _iso(match.group(3), match.group(2), match.group(1)), "filename"
    match = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", filename)
    if match:
        return _iso(None, None, match.group(1)), "filename"
    return None, None


def _issuer(head: str, tail: str, text: str, tail_paras: list[Paragraph]) -> str | None:
    signed = None
    for para in tail_paras:
        match = SIGNATURE.match(para.text.strip())
        if match:
            signed = match.group(1).upper()
            break
    if signed:
        for upper, name in _CENTRAL:
            if signed.startswith(upper):
                return name
    match = _PARTY_LOCAL.search(head)
    if match:
        org = match.group(1).capitalize()
        place, _, ban = match.group(2).partition(" BAN ")  # "HÀ NỘI BAN TỔ CHỨC" (joined lines)
        place = _title_case(place)
        if not ban:
            after = head[match.end():].lstrip(" |\n")
            found = re.match(r"BAN ([A-ZĐÀ-Ỹ ]+?)\s*(?:\n|$|\||\*)", after)
            ban = found.group(1) if found else ""
        prefix = f"Ban {ban.strip().lower().capitalize()} " if ban else ""
        return f"{prefix}{org} {place}"
    for upper, name in _CENTRAL:
        if re.search(rf"(?m)^{upper}\b", head) or f"| {upper}" in head:
            return name
    match = _COUNCIL.search(head) or _COUNCIL.search(tail)
    if match:
        return f"HĐND {match.group(1).lower()} {_title_case(match.group(2))}"
    match = _COMMITTEE.search(head)
    if match:
        return f"UBND {match.group(1).lower()} {_title_case(match.group(2))}"
    match = _COUNCIL_BODY.search(head) or _COUNCIL_BODY.search(tail) or _COUNCIL_BODY.search(text)
    if match:
        return f"HĐND {match.group(1)} {match.group(2).strip()}"
    match = _OF_ISSUER.search(text[:3000])
    if match:
        return match.group(1).replace("Trung ương Đảng", "Trung ương")
    for body, unit in _LOCAL_BODY.items():
        if body in head.upper() or (signed and body in signed):
            place = re.search(rf"\b{unit}\s+((?:[A-ZĐ][\wà-ỹ]*\s?){{1,3}})", text)
            if place:
                return f"{body.capitalize()} {place.group(1).strip()}"
            return body.capitalize()
    return None
