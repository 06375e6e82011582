"""Answer composition: labels, highlights, relevance order, views, the direct answer, not-found."""

import numpy as np

from rag.answer.compose import citations_of, compose, format_answer, highlight, query_terms
from rag.answer.direct import DirectSettings, choose, content_words
from rag.answer.labels import citation_label, clause_label, doc_label
from rag.answer.render import answer_markdown, citation_card, document_html
from rag.answer.sentences import display_text, fact_spans
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


def _compose(question, hits, confidence, threshold=0.8, language="vi", **kw):
    return compose(question, citations_of(hits, language, question), confidence=confidence,
                   threshold=threshold, language=language, **kw)


def test_citations_keep_relevance_order_and_grouping_is_a_view():
    hits = [_hit(1, "old.txt", "1", "2012-11-01"), _hit(2, "new.txt", "2", "2024-12-22"),
            _hit(3, "old.txt", "3", "2012-11-01")]
    answer = _compose("khoa học công nghệ", hits, confidence=0.9)
    assert answer.found and [c.path for c in answer.citations] == ["1", "2", "3"]
    assert [c.rank for c in answer.citations] == [1, 2, 3]
    assert [g.doc_id for g in answer.grouped("document")] == ["old.txt", "new.txt"]
    assert [c.path for c in answer.grouped("document")[0].citations] == ["1", "3"]
    assert [g.doc_id for g in answer.grouped("year")] == ["2024", "2012"]
    assert answer.lead.startswith("3 điều khoản trong 2 văn bản trả lời câu hỏi này; rõ nhất là [1] ")
    markdown = answer_markdown(answer)
    assert markdown.index("1. **") < markdown.index("2. **") < markdown.index("3. **")


def test_weak_evidence_says_not_found_and_offers_related_clauses():
    answer = _compose("giá vé máy bay", [_hit()], confidence=0.75)
    assert not answer.found and answer.direct == ()
    assert "không có nội dung trả lời" in answer.lead
    assert [c.path for c in answer.related] == ["II.2.6"]
    assert "Có thể liên quan" in answer_markdown(answer)
    english = _compose("plane tickets", [_hit()], confidence=0.7, language="en")
    assert "do not contain" in english.lead
    empty = _compose("", [], confidence=None)
    assert not empty.found and empty.citations == ()


def test_human_clause_labels():
    assert clause_label("I¶1") == "đoạn 1, phần I"
    assert clause_label("Phần 2.A.II.1.1.2.6", "2.6") == "Phần 2 › A › II … › 2.6"
    assert clause_label("Phần 2.A.II.1.1.2.6¶1") == "đoạn 1, Phần 2 › A › II … › 2.6"
    assert clause_label("Điều 5.2.a", "a") == "Điều 5, khoản 2, điểm a"
    assert clause_label("Điều 5.2.a", "a", "en") == "Article 5(2)(a)"
    assert clause_label("II.1~2", "1") == "mục II.1"
    for path in ("I¶1", "Phần 2.A.II.1.1.2.6¶1", "II.1~2"):
        assert "¶" not in clause_label(path) and "~" not in clause_label(path)
    hit = _hit(path="Phần 2.A.II.1.1.2.6", clause_number="2.6", page=24)
    assert citation_label(hit).endswith("— Phần 2 › A › II … › 2.6, trang 24")


def test_display_text_drops_markdown_emphasis_and_facts_are_found():
    text = display_text("được chú trọng (*đã kết nạp 165 đảng viên mới, đạt 91,7% chỉ tiêu*). "
                        "Tăng (*10 - 12,5%*)")
    assert "*" not in text and "(đã kết nạp 165" in text
    assert display_text(r"Kinh phí R\&D đạt 2% GDP \*") == "Kinh phí R&D đạt 2% GDP *"
    assert [text[a:b] for a, b in fact_spans(text)] == ["165 đảng viên", "91,7%", "10 - 12,5%"]


LONG = ("I- TÌNH HÌNH. Công tác xây dựng Đảng được quan tâm thực hiện. Công tác phát triển đảng viên được "
        "chú trọng (trong 9 tháng đầu năm, đã kết nạp 165 đảng viên mới, đạt 91,7% chỉ tiêu tỉnh giao). "
        "Kinh tế tiếp tục phát triển, thu ngân sách đạt 92,64% dự toán năm.")


def test_the_direct_answer_is_the_sentence_that_answers():
    question = "Thị xã kết nạp được bao nhiêu đảng viên mới trong 9 tháng?"
    chosen = choose([LONG, TEXT], content_words(question, set()), question)
    assert chosen and chosen[0].citation == 1 and "165 đảng viên mới" in chosen[0].text
    assert chosen[0].text == LONG[chosen[0].start:chosen[0].end]  # extractive: a span of the clause
    assert "165 đảng viên" in [chosen[0].text[a:b] for a, b in chosen[0].facts]
    # With an encoder, the sentence nearest the question wins even without shared words.
    target = "Kinh tế tiếp tục phát triển, thu ngân sách đạt 92,64% dự toán năm."

    def encode(sentences):
        return np.array([[1.0, 0.0] if s == target else [0.0, 1.0] for s in sentences])

    dense = choose([LONG], set(), "ngân khố ra sao", query_vector=np.array([1.0, 0.0]), encode=encode,
                   settings=DirectSettings(sentence_lexical=0.0, sentence_rank=0.0))
    assert dense[0].text == target


def test_refused_and_direct_answers_render():
    answer = _compose("kết nạp bao nhiêu đảng viên", [_hit(text=LONG)], confidence=0.9,
                      direct=choose([LONG], content_words("kết nạp bao nhiêu đảng viên", set()),
                                    "kết nạp bao nhiêu đảng viên"))
    markdown = answer_markdown(answer)
    assert markdown.startswith("**Trả lời:** ") and "**165 đảng viên**" in markdown and "[1]" in markdown
    assert format_answer(answer).startswith("Trả lời: ")


def test_renderings_escape_html_and_mark_matches():
    hit = _hit(text="<script>x</script> chống khai thác hải sản")
    answer = _compose("khai thác hải sản", [hit], confidence=0.9)
    card = citation_card(answer.citations[0])
    assert "<script>" not in card and "<mark class='hl'>khai thác hải sản</mark>" in card
    assert "«khai thác hải sản»" in format_answer(answer)
    doc = DocRow(id="kl.txt", source="kl.txt", format="txt", text="Mở đầu\n\n2.6. Nội dung", sha256="",
                 title="T", doc_type="Kết luận")
    chunks = [ChunkRow(id="kl.txt#II.2.6", doc_id="kl.txt", path="II.2.6", part=1, kind="item", label="2.6",
                       headings=(), text="2.6. Nội dung", start=8, end=20)]
    page = document_html(doc, chunks, selected="kl.txt#II.2.6")
    assert "class='clause selected'" in page and "Mở đầu" in page


def test_the_document_viewer_reads_like_the_document():
    text = "Mở đầu\n\nĐã kết nạp 165 đảng viên (*đạt 91,7%*).\n\n2.6. Nội dung R\\&D"
    doc = DocRow(id="kl.txt", source="kl.txt", format="txt", text=text, sha256="", title="T",
                 doc_type="Kết luận")
    first, second = text.index("Đã"), text.index("2.6.")
    chunks = [ChunkRow(id="kl.txt#I¶1", doc_id="kl.txt", path="I¶1", part=1, kind="paragraph", label="",
                       headings=(), text=text[first:second].strip(), start=first, end=second - 2),
              ChunkRow(id="kl.txt#II.2.6", doc_id="kl.txt", path="II.2.6", part=1, kind="item", label="2.6",
                       headings=(), text=text[second:], start=second, end=len(text))]
    page = document_html(doc, chunks, selected="kl.txt#II.2.6")
    assert "(đạt 91,7%)" in page and "R&amp;D" in page  # no Markdown emphasis or escapes
    assert "¶" not in page.replace("data-clause='kl.txt#I¶1'", "")  # only the anchor keeps the raw path
    assert "đoạn 1, phần I" in page and "mục II.2.6" in page
