"""Who signed a document, and the term (khóa) of the body that issued it.

The signer is read from the signature block that closes the body — "T/M BAN CHẤP HÀNH
TRUNG ƯƠNG / TỔNG BÍ THƯ / Tô Lâm", "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH /
Lê Hồng Sơn" — also when it stands before an annex, or from a sentence that says so
("Thay mặt Bộ Chính trị, Tổng Bí thư Tô Lâm đã ký ban hành Nghị quyết số 57-NQ/TW").
Forms printed inside an annex ("TM. UBND XÃ/PHƯỜNG … CHỦ TỊCH") are never read.

The term comes from the title ("… LẦN THỨ 18 (KHÓA XXI)"), the meeting that issued the
document, the issuer line ("HỘI ĐỒNG NHÂN DÂN TỈNH GIA LAI KHÓA XI"), the passing formula
("Nghị quyết này đã được Hội đồng nhân dân tỉnh … khóa IX, kỳ họp thứ năm thông qua") or
the issuer named with its term in the preamble ("Quy chế làm việc của … Ban Bí thư khóa
XIII, Ban Bí thư hướng dẫn…"); never from a cited document ("Nghị quyết số 29-NQ/TW …
khóa XIII"). A value the text does not state stays ``None``: a wrong name is worse than none.
"""

from __future__ import annotations

import re

from .blocks import RECIPIENTS, end_matter_start, is_recipient, opens_annex
from .layout import Paragraph
from .numbering import parse_marker

_U = "A-ZĐÂĂÊÔƠƯÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
_L = "a-zà-ỹđ"
SIGNATURE = re.compile(r"^(?:T/?M\.?|TM\.?|K/?T\.?|KT\.?|Q\.|TL\.|T/L)\s+(.+)$")
NAME = re.compile(rf"^(?:[{_U}][{_L}]+\s){{1,4}}[{_U}][{_L}]+$")
_POSITION = re.compile(r"(?:CHỦ TỊCH|BÍ THƯ|GIÁM ĐỐC|TRƯỞNG BAN|THỦ TƯỚNG|BỘ TRƯỞNG|TRƯỞNG PHÒNG|"
                       r"CHÁNH VĂN PHÒNG|VIỆN TRƯỞNG|CHÁNH ÁN)$")
# "CHỦ TỊCHNguyễn Ngọc Tuấn": the layout step glued the name to the title.
_GLUED = re.compile(rf"([{_U}]{{2}})([{_U}][{_L}])")
# "(Đã ký)", "[đã ký]", "(Ký, ghi rõ họ tên)", and an image left by the transcription ("![Seal]").
_NOTE = re.compile(r"\([^)]*\)|!?\[[^\]]*\]")
_NAMED = rf"(?:[{_U}][{_L}]+\s){{1,4}}[{_U}][{_L}]+"
_STATED = re.compile(r"(?:Thay mặt|T/M|TM\.)\s+[^,.;]{3,60},\s*(?:đồng chí\s+)?"
                     r"(?:Phó\s+)?(?:Tổng Bí thư|Chủ tịch nước|Chủ tịch|Thủ tướng Chính phủ|Thủ tướng|"
                     r"Thường trực Ban Bí thư|Bí thư|Giám đốc|Trưởng ban)\s+"
                     rf"({_NAMED})\s+(?:đã\s+)?ký\b")
_TERM = re.compile(r"\b(?i:khóa)\s+([IVXLC]{1,6})\b")
_ISSUER_LINE = re.compile(r"(?:BAN CHẤP HÀNH|HỘI ĐỒNG NHÂN DÂN|BỘ CHÍNH TRỊ|BAN BÍ THƯ|BAN THƯỜNG VỤ|ĐẢNG BỘ|"
                          r"TỈNH ỦY|THÀNH ỦY|HUYỆN ỦY|THỊ ỦY|QUẬN ỦY|ĐẢNG ỦY)[^\n|.;]{0,60}?"
                          r"\bKHÓA\s+([IVXLC]{1,6})\b")
_PASSED = re.compile(r"\bnày\s+(?:đã\s+)?được\s+(?:Hội đồng nhân dân|HĐND|Ban Chấp hành|Hội nghị)[^.;]{0,80}?"
                     r"\b(?i:khóa)\s+([IVXLC]{1,6})\b[^.;]{0,80}?\bthông qua\b")
# The congress that opened each central term (month precision): a central document's own
# term must be the one in office on its date.
_CENTRAL_TERMS = {"IX": "2001-04", "X": "2006-04", "XI": "2011-01", "XII": "2016-01", "XIII": "2021-01",
                  "XIV": "2026-01"}
_CENTRAL = ("Ban Chấp hành Trung ương", "Bộ Chính trị", "Ban Bí thư")


def _clean(text: str) -> str:
    # "> TM. ỦY BAN NHÂN DÂN > KT. CHỦ TỊCH": a Markdown quote around the block.
    text = _NOTE.sub(" ", text).replace("*", " ").replace(">", " ")
    return " ".join(_GLUED.sub(r"\1 \2", text).split())


def _trailing_name(text: str) -> str | None:
    """The name after the upper-case title words ("T/M BỘ CHÍNH TRỊ Trương Thị Mai")."""
    words = text.split()
    upper = [i for i, w in enumerate(words)
             if any(c.isalpha() for c in w) and not any(c.islower() for c in w)]
    if not upper:
        return None
    tail = " ".join(words[upper[-1] + 1:])
    return tail if NAME.match(tail) else None


def _is_title(text: str) -> bool:
    head = " ".join(w for w in text.split() if not any(c.islower() for c in w))
    return bool(SIGNATURE.match(text)) or bool(_POSITION.search(head))


def _cells(text: str) -> list[str]:
    """The cells of a paragraph: a two-column table row ("Nơi nhận: | TM. ỦY BAN NHÂN DÂN") gives two."""
    return [cell.strip() for cell in text.split(" | ")] if " | " in text else [text]


def block_signer(paras: list[Paragraph]) -> str | None:
    """The name in the signature block that closes the body, or ``None``.

    The block is looked for from two paragraphs before the first "Nơi nhận" or signature
    line (a signature may precede the list) until an annex opens; the name is the one
    glued to the title or in one of the three lines after it (recipients skipped).
    """
    first = end_matter_start(paras)
    if first is None:
        return None
    titled, since = False, 0
    for i in range(max(first - 2, 0), min(len(paras), first + 30)):
        marker = parse_marker(paras[i].text)
        if i > first and (opens_annex(paras[i].text) or (marker is not None and marker.kind != "bullet")):
            break
        for cell in _cells(paras[i].text):
            cleaned = _clean(cell)
            if not cleaned or RECIPIENTS.match(cleaned) or is_recipient(cleaned):
                continue
            if _is_title(cleaned):
                titled, since = True, 0
                if name := _trailing_name(cleaned):
                    return name
                continue
            if titled:
                if NAME.match(cleaned):
                    return cleaned
                since += 1
                if since >= 3:
                    return None
    return None


def stated_signer(head_paras: list[Paragraph], number: str | None) -> str | None:
    """The signer named by a sentence that gives the document's own number.

    "Thay mặt Bộ Chính trị, Tổng Bí thư Tô Lâm đã ký ban hành Nghị quyết số 57-NQ/TW" (a
    press preamble) names the signer of 57-NQ/TW, and of no other document.
    """
    if not number:
        return None
    for para in head_paras:
        match = _STATED.search(para.text)
        if match and number in para.text[match.end():match.end() + 120]:
            return match.group(1)
    return None


def own_term(zone: str) -> str | None:
    """First "khóa N" in ``zone`` that is not the term of a cited document ("Nghị quyết số 29-NQ/TW …")."""
    for match in _TERM.finditer(zone):
        if not re.search(r"\bsố\s+\d", zone[max(0, match.start() - 80):match.start()]):
            return match.group(1)
    return None


def _issuer_term(paras: list[Paragraph], issuer: str | None) -> str | None:
    """"Ban Bí thư khóa XIII" in the preamble of a document of the Ban Bí thư, not in a citation."""
    if not issuer:
        return None
    pattern = re.compile(re.escape(issuer) + r"(?:\s+Đảng)?\s+(?i:khóa)\s+([IVXLC]{1,6})\b")
    for para in paras:
        for match in pattern.finditer(para.text):
            segment = para.text[:match.start()].rsplit(";", 1)[-1]
            if not re.search(r"\b(?:số|ngày)\s+\d", segment):
                return match.group(1)
    return None


def _fits(term: str, issuer: str | None, date: str | None) -> bool:
    """Whether a central issuer's term was in office on the document's date (other issuers: always)."""
    if issuer not in _CENTRAL or not date or term not in _CENTRAL_TERMS:
        return True
    terms = sorted(_CENTRAL_TERMS.items(), key=lambda kv: kv[1])
    index = [t for t, _ in terms].index(term)
    after = terms[index + 1][1] if index + 1 < len(terms) else "9999"
    return terms[index][1] <= date[:7] < after


def term(title: str | None, head_paras: list[Paragraph], text: str, issuer: str | None,
         date: str | None) -> str | None:
    """The issuing body's term (``XIII``) from the places listed in the module docstring, or ``None``.

    Args:
        title: The document's title.
        head_paras: Its first paragraphs (header, title, preamble).
        text: Its whole text, for the passing formula ("Nghị quyết này đã được …").
        issuer: The issuer as extracted (``Ban Bí thư``), whose own term is looked for.
        date: The document's ISO date, to check a central issuer's term against.
    """
    meeting = [p.text for p in head_paras[:10] if re.search(r"Hội nghị|HỘI NGHỊ", p.text)]
    found = next((t for zone in [title or "", *meeting] if (t := own_term(zone))), None)
    if found is None:
        for para in head_paras[:12]:
            match = _ISSUER_LINE.search(para.text)
            if match and own_term(para.text[:match.end()]) == match.group(1):
                found = match.group(1)
                break
    if found is None and (match := _PASSED.search(text)):
        found = match.group(1)
    found = found or _issuer_term(head_paras[:12], issuer)
    return found if found and _fits(found, issuer, date) else None
