"""Ingestion of the founding document (bundled in corpus/)."""

from __future__ import annotations

import pytest
from helpers import FOUNDING

from rag.ingest.documents import read_document


@pytest.fixture(scope="module")
def doc():
    return read_document(FOUNDING, FOUNDING.parent)


def by_path(doc):
    return {c.path: c for c in doc.clauses if c.part == 1}


def test_metadata(doc):
    assert doc.doc_type == "Kết luận"
    assert doc.date == "2024-10-11" and doc.year == 2024
    assert doc.term == "XXI"
    assert "Đức Phổ" in doc.issuer
    assert doc.signer == "Đỗ Tâm Hiền"
    assert doc.number is None  # "Số -KL/TU": the number is blank in this copy
    assert doc.title.startswith("KẾT LUẬN")


def test_iuu_clause(doc):
    clause = by_path(doc)["II.2.6"]
    assert clause.text.startswith(
        "2.6. Tăng cường công tác lãnh đạo, chỉ đạo chống khai thác hải sản bất hợp pháp")
    assert clause.id == f"{doc.id}#II.2.6"
    assert doc.text[clause.start:clause.end] == clause.text
    assert clause.headings[0].startswith("II- NHIỆM VỤ")
    assert clause.headings[-1].startswith("2. Về phát triển kinh tế")


def test_clause_tree(doc):
    paths = by_path(doc)
    expected = ([f"II.1.{i}" for i in range(1, 7)] + [f"II.2.{i}" for i in range(1, 9)]
                + ["II.3", "III.1", "III.2", "I", "II", "III"])
    missing = [p for p in expected if p not in paths]
    assert missing == []
    part_one = sorted(p for p in paths if p.startswith("I¶"))
    assert part_one == ["I¶1", "I¶2", "I¶3"]


def test_no_addressee_list_or_signature_in_clauses(doc):
    assert not any("Nơi nhận" in c.text for c in doc.clauses)
    assert not any("Đỗ Tâm Hiền" in c.text for c in doc.clauses)


def test_page_break_splits_are_rejoined(doc):
    joined = " ".join(c.text for c in doc.clauses)
    assert "Tập trung tuyên truyền" in joined
    assert "thực hiện kế hoạch đầu tư công" in joined


def test_long_clauses_are_split_into_parts_with_the_same_path(doc):
    parts = [c for c in doc.clauses if c.part > 1]
    assert parts, "the founding document has paragraphs longer than the default window"
    for part in parts:
        assert part.id.endswith(f"#{part.path}#{part.part}")
        assert len(part.text) <= 1200 or "." not in part.text[:-1]
        assert doc.text[part.start:part.end] == part.text
    assert len({c.id for c in doc.clauses}) == len(doc.clauses)
