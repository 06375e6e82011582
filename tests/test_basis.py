"""The legal basis ("Căn cứ …"), "Nơi nhận" lists and signature blocks of whole documents."""

from rag.answer.labels import clause_label
from rag.ingest.chunking import build_clauses
from rag.ingest.documents import document_from_text
from rag.ingest.layout import paragraphs

REGULATION = """BAN CHẤP HÀNH TRUNG ƯƠNG
Số 294-QĐ/TW
Hà Nội, ngày 26 tháng 5 năm 2025

QUY ĐỊNH
THI HÀNH ĐIỀU LỆ ĐẢNG

- Căn cứ Điều lệ Đảng;
- Căn cứ Quy chế làm việc của Ban Chấp hành Trung ương, Bộ Chính trị và Ban Bí thư khoá XIII;
- Xét Tờ trình của Bộ Chính trị tiếp thu ý kiến của Ban Chấp hành Trung ương Đảng khoá XIII tại Hội nghị
lần thứ 11, Ban Chấp hành Trung ương quy định thi hành Điều lệ Đảng như sau:

1. Điều 1 (Khoản 2): Tuổi đời và trình độ học vấn của người vào Đảng
1.1. Tại thời điểm chi bộ xét kết nạp, người vào Đảng phải đủ 18 tuổi.
Căn cứ kết quả xác minh, chi bộ xem xét đề nghị kết nạp người vào Đảng.
2. Quy định này có hiệu lực thi hành từ ngày 01/7/2025.

Nơi nhận:
- Các tỉnh ủy, thành ủy,
- Lưu Văn phòng Trung ương Đảng.

T/M BAN CHẤP HÀNH TRUNG ƯƠNG
TỔNG BÍ THƯ

Tô Lâm
"""

DECISION = """ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI
Số: 35/2024/QĐ-UBND
Hà Nội, ngày 28 tháng 5 năm 2024

QUYẾT ĐỊNH
Về việc ban hành Quy chế xét tặng danh hiệu "Công dân Thủ đô ưu tú"
ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ ngày 22 tháng 11 năm 2019;
Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;
Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 1046/TTr-SNV ngày 29 tháng 4 năm 2024.

QUYẾT ĐỊNH:
Điều 1. Ban hành kèm theo Quyết định này Quy chế xét tặng danh hiệu "Công dân Thủ đô ưu tú".
Điều 2. Quyết định này có hiệu lực từ ngày 10 tháng 6 năm 2024.
Điều 3. Chánh Văn phòng Ủy ban nhân dân Thành phố và các sở, ngành thi hành Quyết định này.

Nơi nhận:
- Như Điều 3;
- Bộ Nội vụ;
- Thường trực Thành ủy;
- Lưu: VT, SNV.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
(Đã ký)
Trần Sỹ Thanh

PHỤ LỤC I
MẪU TỜ TRÌNH
1. Tờ trình đề nghị xét tặng danh hiệu do Chủ tịch Ủy ban nhân dân cấp huyện ký.

Nơi nhận:
- Ủy ban nhân dân xã;
- Lưu: VT.

TM. UBND XÃ/PHƯỜNG
CHỦ TỊCH
Xã Đàn
"""


def clauses_of(text: str):
    return build_clauses("doc", text, paragraphs(text))


def test_the_preamble_basis_of_a_regulation_is_one_basis_clause_not_paragraphs():
    clauses = clauses_of(REGULATION)
    basis = [c for c in clauses if c.kind == "basis"]
    assert [c.path for c in basis] == ["Căn cứ"]
    assert "Căn cứ Điều lệ Đảng" in basis[0].text and "Xét Tờ trình" in basis[0].text
    assert not any(c.path.startswith("¶") for c in clauses), [c.path for c in clauses]
    # A sentence opening with "Căn cứ" inside the body is content, under its item.
    inside = next(c for c in clauses if c.text.startswith("Căn cứ kết quả"))
    assert inside.kind == "paragraph" and inside.path == "1.1¶1"


def test_the_basis_clause_is_a_span_of_the_document_and_is_cited_as_can_cu():
    doc = document_from_text("quy-dinh.txt", REGULATION)
    basis = next(c for c in doc.clauses if c.kind == "basis")
    assert doc.text[basis.start:basis.end] == basis.text
    assert basis.id == "quy-dinh.txt#Căn cứ"
    assert clause_label(basis.path) == "Căn cứ"
    assert clause_label(basis.path, language="en") == "legal basis"


def test_basis_lines_of_a_decision_with_a_cited_law_on_its_own_line():
    clauses = clauses_of(DECISION)
    basis = next(c for c in clauses if c.kind == "basis")
    for words in ("Căn cứ Luật Tổ chức", "Luật sửa đổi", "Căn cứ Luật Thi đua", "Theo đề nghị"):
        assert words in basis.text
    assert not any(c.kind != "basis" and ("Căn cứ" in c.text or "Theo đề nghị" in c.text) for c in clauses)


def test_noi_nhan_before_an_annex_is_not_a_clause_but_the_annex_is():
    clauses = clauses_of(DECISION)
    texts = [c.text for c in clauses]
    for recipient in ("Nơi nhận", "Như Điều 3", "Bộ Nội vụ", "Thường trực Thành ủy", "Lưu: VT"):
        assert not any(recipient in t for t in texts), recipient
    assert next(c for c in clauses if c.text.startswith("Điều 3.")).path == "Điều 3"
    assert next(c for c in clauses if c.text.startswith("1. Tờ trình")).path == "Phụ lục I.1"
    # The signature before the annex says who signed: it stays, as a top-level paragraph.
    assert any(c.path.startswith("¶") and "Trần Sỹ Thanh" in c.text for c in clauses)


def test_signer_and_term_of_the_regulation_from_its_signature_block_and_preamble():
    doc = document_from_text("quy-dinh.txt", REGULATION)
    assert (doc.signer, doc.term, doc.issuer) == ("Tô Lâm", "XIII", "Ban Chấp hành Trung ương")


def test_signer_before_an_annex_is_read_and_a_form_in_the_annex_is_not():
    doc = document_from_text("35.2024.md", DECISION)
    assert doc.signer == "Trần Sỹ Thanh"  # not "Xã Đàn" from the form in the annex
    assert doc.term is None  # a People's Committee has no khóa; none is invented
