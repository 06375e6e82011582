"""Blocks of a document that are not content clauses: legal basis, "Nơi nhận" and signature.

* The **legal basis** of a preamble ("- Căn cứ Điều lệ Đảng;", "Căn cứ Luật Tổ chức chính
  quyền địa phương…;", then "Xét Tờ trình…", "Theo đề nghị của…") says on what a document
  rests. It stays searchable, as one clause with the path ``Căn cứ`` and the kind ``basis``
  (see :mod:`rag.ingest.chunking`), instead of top-level paragraphs ``¶1``, ``¶2``….
* The **"Nơi nhận" list** (recipients, "- Lưu: VT") is never a clause, wherever it
  stands: at the end, or between a decision and the annex or regulation it issues.
* The **end matter** ("Nơi nhận", "T/M BAN BÍ THƯ", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
  closes the body; :func:`end_matter_start` finds where, for the chunker and for the
  signer (:mod:`rag.ingest.signature`).
"""

from __future__ import annotations

import re

from .layout import Paragraph, is_upper_title
from .numbering import parse_marker

END_MATTER = re.compile(
    r"^(?:Nơi nhận\s*:?|T/?M\.?\s|TM\.\s|K/?T\.?\s|KT\.\s|Q\.\s|TL\.\s|T/L\s|"
    r"TM\s+(?:BAN|THỊ|TỈNH|HUYỆN|THÀNH|ĐẢNG|HỘI|ỦY|UỶ|CHÍNH)|"
    r"CHỦ TỊCH$|BÍ THƯ$|TỔNG BÍ THƯ$)"
)
RECIPIENTS = re.compile(r"^Nơi nhận\b")
# Upper-case title of a document printed after a resolution's signature
# ("CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ", "QUY CHẾ LÀM VIỆC…").
_ATTACHED = re.compile(r"^(CHƯƠNG TRÌNH|KẾ HOẠCH|QUY CHẾ|QUY ĐỊNH|ĐIỀU LỆ|ĐỀ ÁN|HƯỚNG DẪN)\b")
# "Căn cứ" opens the basis ("Cân cứ": a typo seen in HĐND digitisations); "_" and "*" are
# left over from Markdown emphasis.
_BASIS_OPEN = re.compile(r"^[_*\s]*(?:Căn cứ|Cân cứ)\b")
# Lines that carry the basis on once it has opened: the submission considered ("Xét Tờ
# trình…", "Theo đề nghị…", "Trên cơ sở…") or an instrument cited on its own line.
_BASIS_MORE = re.compile(r"^[_*\s]*(?:Xét|Theo đề nghị|Theo đề xuất|Trên cơ sở|Sau khi (?:xem xét|nghe))\b")
_BASIS_CITED = re.compile(r"^[_*\s]*(?:Thực hiện|Luật|Bộ luật|Nghị định|Nghị quyết|Thông tư|Pháp lệnh|"
                          r"Quyết định|Báo cáo thẩm tra|Ý kiến)\b")


def upper_head(text: str) -> str:
    """The words of ``text`` before the first one with a lower-case letter."""
    words = []
    for word in text.split():
        if any(c.islower() for c in word):
            break
        words.append(word)
    return " ".join(words)


def attached_name(text: str) -> str | None:
    """``Chương trình`` for "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ…", else ``None``."""
    found = _ATTACHED.match(text)
    if found and is_upper_title(upper_head(text)):
        return found.group(1).capitalize()
    return None


def opens_annex(text: str) -> bool:
    """Whether ``text`` opens an annex ("PHỤ LỤC II") or a document issued with this one."""
    marker = parse_marker(text)
    if marker is not None:
        return marker.kind == "phuluc"
    return attached_name(text) is not None


def _unbulleted(text: str) -> str:
    # "- Căn cứ", and "----- Căn cứ" where a printed rule ran into the first line.
    return text.lstrip("-–•+* ")


def basis_run(paras: list[Paragraph], start: int, end: int) -> range:
    """Indexes of the legal-basis paragraphs of the preamble (an empty range when none).

    The basis opens with the first "Căn cứ" paragraph before the first numbered heading
    and runs on over further "Căn cứ", "Xét …", "Theo đề nghị …" paragraphs and lines
    citing an instrument ("Luật sửa đổi…;", "- Thực hiện Quy định số 02-QĐ/TU…;"); a line
    that ends with ":" after "Thực hiện" or an instrument announces the body instead.

    Args:
        paras: The document's paragraphs.
        start: First paragraph of the body (see :func:`rag.ingest.chunking.body_bounds`).
        end: End of the body.
    """
    first = None
    for i in range(start, end):
        text = paras[i].text
        marker = parse_marker(text)
        if marker is not None and marker.kind != "bullet":
            return range(0)  # the body has begun: a later "Căn cứ" is content
        if END_MATTER.match(text):
            return range(0)
        if _BASIS_OPEN.match(_unbulleted(text)):
            first = i
            break
    if first is None:
        return range(0)
    last = first
    for i in range(first + 1, end):
        text = _unbulleted(paras[i].text)
        if _BASIS_OPEN.match(text) or _BASIS_MORE.match(text):
            last = i
        elif _BASIS_CITED.match(text) and not text.rstrip().endswith(":"):
            last = i
        elif not is_rule(text):  # a rule or "..." between two lines does not end the basis
            break
    return range(first, last + 1)


def is_recipient(text: str) -> bool:
    """Whether a paragraph inside a "Nơi nhận" list is one of its entries ("- Bộ Tư pháp;", "Lưu: VT")."""
    marker = parse_marker(text)
    return (marker is not None and marker.kind == "bullet") or text.startswith("Lưu")


def is_rule(text: str) -> bool:
    """Whether a paragraph is a printed rule ("-----", "***") with no letter or digit."""
    return not any(c.isalnum() for c in text)


def end_matter_start(paras: list[Paragraph], start: int = 0) -> int | None:
    """Index of the first "Nơi nhận" or signature line that closes the body, or ``None``.

    A line in the second half of the body closes it; an earlier one closes it too when an
    annex or attached document follows (the decision before "QUY CHẾ …" or "PHỤ LỤC").
    """
    half = start + (len(paras) - start) // 2
    annex_after = [False] * (len(paras) + 1)
    for i in range(len(paras) - 1, -1, -1):
        annex_after[i] = annex_after[i + 1] or opens_annex(paras[i].text)
    for i in range(start + 1, len(paras)):
        if END_MATTER.match(paras[i].text) and (i >= half or annex_after[i + 1]):
            return i
    return None
