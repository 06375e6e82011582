"""Ingestion of the real documents in ../shared/corpus (skipped when it is absent)."""

from __future__ import annotations

import pytest
from helpers import shared_path

from rag.ingest.documents import ingest_folder


@pytest.fixture(scope="module")
def party():
    return ingest_folder(shared_path("corpus", "party"))


def test_all_nine_party_documents_are_read(party):
    assert party.rejections == []
    assert len(party.documents) == 9
    assert all(len(d.clauses) >= 10 for d in party.documents)


@pytest.mark.parametrize(("prefix", "number", "date", "doc_type"), [
    ("quy-dinh-294", "294-QĐ/TW", "2025-05-26", "Quy định"),
    ("huong-dan-06", "06-HD/TW", "2025-06-09", "Hướng dẫn"),
    ("nghi-quyet-57", "57-NQ/TW", "2024-12-22", "Nghị quyết"),
    ("ket-luan-69", "69-KL/TW", "2024-01-11", "Kết luận"),
    ("nghi-quyet-20", "20-NQ/TW", "2012-11-01", "Nghị quyết"),
])
def test_numbers_dates_and_types(party, prefix, number, date, doc_type):
    doc = next(d for d in party.documents if d.source.startswith(prefix))
    assert (doc.number, doc.date, doc.doc_type) == (number, date, doc_type)


def test_issuers(party):
    issuers = {d.source.split("-")[0] + "-" + d.source.split("-")[1] + "-" + d.source.split("-")[2]: d.issuer
               for d in party.documents}
    assert issuers["quy-dinh-294"] == "Ban Chấp hành Trung ương"
    assert issuers["huong-dan-06"] == "Ban Bí thư"
    assert issuers["ket-luan-69"] == "Bộ Chính trị"
    assert issuers["nghi-quyet-03"] == "Chính phủ"
    assert "Thành ủy Hà Nội" in issuers["huong-dan-02"]


def test_blank_hanoi_number_is_null_and_date_comes_from_header(party):
    doc = next(d for d in party.documents if d.source.startswith("huong-dan-02"))
    assert doc.number is None
    assert doc.date == "2025-11" and doc.date_source == "header"


def test_qd_294_clause_1_1_1_with_page(party):
    doc = next(d for d in party.documents if d.source.startswith("quy-dinh-294"))
    clause = next(c for c in doc.clauses if c.path == "1.1.1")
    assert clause.page == 1
    assert clause.text.startswith("1.1.1. Tại thời điểm chi bộ xét kết nạp")
    assert doc.pages == 35
    assert max(c.page for c in doc.clauses) >= 34
    assert not any("Nơi nhận" in c.text for c in doc.clauses)
    assert doc.signer == "Tô Lâm"


def test_markdown_header_tables_and_escapes_are_cleaned(party):
    doc = next(d for d in party.documents if d.source.startswith("nghi-quyet-20"))
    assert "\\-" not in doc.text and "**" not in doc.text and ":----" not in doc.text
    assert any(c.path.startswith("A") for c in doc.clauses)


@pytest.mark.slow
def test_local_government_metadata_coverage():
    result = ingest_folder(shared_path("corpus", "local-gov"))
    total = len(result.documents) + len(result.rejections)
    assert total == 136
    year = sum(1 for d in result.documents if d.year) / total
    issuer = sum(1 for d in result.documents if d.issuer) / total
    doc_type = sum(1 for d in result.documents if d.doc_type) / total
    assert year >= 0.95 and issuer >= 0.90 and doc_type >= 0.90, (year, issuer, doc_type)


# Read by hand from each file: a field the text does not state stays None.
SIGNED = {
    "ducpho-thiuy": ("XXI", "Đỗ Tâm Hiền"), "huong-dan-02": (None, "Triệu Thị Ngọc"),
    "huong-dan-06": ("XIII", "Trần Cẩm Tú"), "huong-dan-huy-hieu": (None, "Triệu Thị Ngọc"),
    "ket-luan-69": (None, "Trương Thị Mai"), "nghi-quyet-03": (None, "Nguyễn Hòa Bình"),
    "nghi-quyet-20": ("XI", None), "nghi-quyet-57": (None, "Tô Lâm"), "quy-dinh-294": ("XIII", "Tô Lâm"),
}


@pytest.mark.parametrize(("prefix", "expected"), SIGNED.items())
def test_term_and_signer_of_each_party_document(party, prefix, expected):
    doc = next(d for d in party.documents if d.source.startswith(prefix))
    assert (doc.term, doc.signer) == expected


def test_basis_lines_are_one_basis_clause_and_recipients_are_no_clause(party):
    for prefix in ("quy-dinh-294", "huong-dan-06", "huong-dan-02", "nghi-quyet-03"):
        doc = next(d for d in party.documents if d.source.startswith(prefix))
        basis = [c for c in doc.clauses if c.kind == "basis"]
        assert basis and all(c.path == "Căn cứ" for c in basis), prefix
        assert not any(c.path.startswith("¶") and "Căn cứ" in c.text[:12] for c in doc.clauses), prefix
        recipients = ("Nơi nhận", "- Lưu:", "- Lưu.", "- Lưu VP", "- Lưu Văn phòng")  # not "- Lưu ý"
        assert not any(c.text.startswith(recipients) for c in doc.clauses), prefix
    resolution = next(d for d in party.documents if d.source.startswith("nghi-quyet-03"))
    # The signature before the attached programme stays (it answers "who signed").
    assert next(c for c in resolution.clauses if "Nguyễn Hòa Bình" in c.text).path == "¶4"
