"""Answer composition: citation labels, highlight spans, grouping, the not-found path."""

from rag.answer.compose import compose, format_answer, highlight, query_terms
from rag.answer.labels import citation_label, doc_label
from rag.answer.render import answer_markdown, citation_card, document_html
from rag.index.rows import ChunkRow, DocRow
from rag.records import Hit

TEXT = ("2.6. Tăng cường công tác lãnh đạo, chỉ đạo chống khai thác hải sản bất hợp pháp, không báo cáo. "
        "Ứng phó các tình huống thiên tai trong mùa mưa, bão năm 2024.")


def _hit(rank=1, doc_id="kl.txt", path="II.2.6", date="2024-10-11", text=TEXT, **kw):
    fields = {"rank": rank, "score": 0.03, "dense_score": 0.86, "bm25_score": 12.0,
              "chunk_id": f"{doc_id}#{path}",
              "doc_id": doc_id, "source": doc_id, "title": "Kết luận hội nghị", "number": None,
              "doc_type": "Kết luận", "issuer": "Thị ủy Đức Phổ", "date": date,
              "year": int(date[:4]) if date else None, "path": path, "headings": (), "text": text,
              "page": None}
    fields.update(kw)
    return Hit(**fields)


def test_citation_labels_in_both_languages():
    assert citation_label(_hit()) == "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6"
    assert citation_label(_hit(number="294-QĐ/TW", page=7)) == \
        "Kết luận số 294-QĐ/TW Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6, trang 7"
    assert citation_label(_hit(), "en") == "Conclusion of Thị ủy Đức Phổ, 11/10/2024 — clause II.2.6"
    assert doc_label(_hit(date="2025-08")) == "Kết luận Thị ủy Đức Phổ tháng 08/2025"


def test_highlight_marks_runs_of_matching_words_and_their_sentence():
    terms = query_terms("nhiệm vụ chống khai thác IUU (khai thác hải sản bất hợp pháp)")
    spans, sentences = highlight(TEXT, terms)
    marked = [TEXT[a:b] for a, b in spans]
    assert "chống khai thác hải sản bất hợp pháp" in marked
    assert len(sentences) == 1 and TEXT[slice(*sentences[0])].startswith("2.6. Tăng cường")
    # Accentless questions highlight the accented words too.
    spans, _ = highlight(TEXT, query_terms("chong khai thac hai san"))
    assert [TEXT[a:b] for a, b in spans] == ["chống khai thác hải sản"]


def test_groups_newest_first_unless_a_year_is_named():
    hits = [_hit(1, "old.txt", "1", "2012-11-01"), _hit(2, "new.txt", "2", "2024-12-22"),
            _hit(3, "old.txt", "3", "2012-11-01")]
    answer = compose("khoa học công nghệ", hits, confidence=0.9, threshold=0.8)
    assert answer.found and [g.doc_id for g in answer.groups] == ["new.txt", "old.txt"]
    assert [c.path for c in answer.groups[1].citations] == ["1", "3"]
    named = compose("khoa học công nghệ năm 2012", hits, confidence=0.9, threshold=0.8)
    assert [g.doc_id for g in named.groups] == ["old.txt", "new.txt"]
    assert "Tìm thấy 3 điều khoản trong 2 văn bản" in answer.lead


def test_weak_evidence_says_not_found_and_offers_related_clauses():
    answer = compose("giá vé máy bay", [_hit()], confidence=0.75, threshold=0.8)
    assert not answer.found and answer.groups == ()
    assert "không có nội dung trả lời" in answer.lead
    assert [c.path for c in answer.citations] == ["II.2.6"]
    assert "Có thể liên quan" in answer_markdown(answer)
    english = compose("plane tickets", [_hit()], confidence=0.7, threshold=0.8, language="en")
    assert "do not contain" in english.lead
    empty = compose("", [], confidence=None, threshold=0.8)
    assert not empty.found and empty.citations == ()


def test_renderings_escape_html_and_mark_matches():
    hit = _hit(text="<script>x</script> chống khai thác hải sản")
    answer = compose("khai thác hải sản", [hit], confidence=0.9, threshold=0.8)
    card = citation_card(answer.citations[0])
    assert "<script>" not in card and "<mark class='hl'>khai thác hải sản</mark>" in card
    assert "«khai thác hải sản»" in format_answer(answer)
    doc = DocRow(id="kl.txt", source="kl.txt", format="txt", text="Mở đầu\n\n2.6. Nội dung", sha256="",
                 title="T", doc_type="Kết luận")
    chunks = [ChunkRow(id="kl.txt#II.2.6", doc_id="kl.txt", path="II.2.6", part=1, kind="item", label="2.6",
                       headings=(), text="2.6. Nội dung", start=8, end=20)]
    page = document_html(doc, chunks, selected="kl.txt#II.2.6")
    assert "class='clause selected'" in page and "Mở đầu" in page
