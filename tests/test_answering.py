"""Answers end to end with the keyword fake encoder.

Refusal, the direct answer, headings, comparisons, follow-ups and the citation cut.
"""

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING

from rag import SearchSettings, build_index, document_from_text, load_index, read_document
from rag.search.answering import clean_question, follow_up_query, has_content, is_follow_up

NQ_20 = """BAN CHẤP HÀNH TRUNG ƯƠNG

Số 20-NQ/TW

Hà Nội, ngày 01 tháng 11 năm 2012

NGHỊ QUYẾT
về phát triển khoa học và công nghệ

1. Mục tiêu đến năm 2020: số cán bộ nghiên cứu đạt 11 - 12 người trên một vạn dân.

2. Tăng đầu tư cho khoa học và công nghệ đạt 2% GDP vào năm 2020.
"""

NQ_57 = """BỘ CHÍNH TRỊ

Số 57-NQ/TW

Hà Nội, ngày 22 tháng 12 năm 2024

NGHỊ QUYẾT
về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia

1. Đến năm 2030

a) Quy mô kinh tế số đạt tối thiểu 30% GDP.

b) Số cán bộ nghiên cứu đạt 12 người trên một vạn dân; đầu tư cho khoa học và công nghệ đạt 2% GDP.
"""

HUY_HIEU = """BAN TỔ CHỨC THÀNH ỦY

HƯỚNG DẪN
về xét tặng Huy hiệu Đảng

1. Huy hiệu 40 năm tuổi Đảng được xét tặng cho đảng viên có đủ 40 năm tuổi đảng.

2. Huy hiệu 30 năm tuổi Đảng được xét tặng cho đảng viên có đủ 30 năm tuổi đảng.
"""

LE_KY_NIEM = """UBND THỊ XÃ

KẾ HOẠCH
tổ chức lễ kỷ niệm

1. Tổ chức lễ kỷ niệm 30 năm thành lập thị xã bằng hình thức trang trọng, tiết kiệm.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answering")
    docs = [read_document(FOUNDING, FOUNDING.parent), document_from_text("nq-20.txt", NQ_20),
            document_from_text("nq-57.txt", NQ_57), document_from_text("huy-hieu.txt", HUY_HIEU),
            document_from_text("le-ky-niem.txt", LE_KY_NIEM)]
    build_index(documents=docs, index=folder / "index", embedder=KeywordEncoder())
    return load_index(folder / "index", embedder=KeywordEncoder(), settings=SearchSettings(abstain_below=0))


@pytest.mark.parametrize("text", ["", "   ", "<img src=x onerror=alert(1)>", "???", "**", "và của các"])
def test_questions_without_content_are_refused_with_a_reason(index, text):
    answer = index.answer(text)
    assert answer.refused and not answer.found and answer.citations == () and answer.direct == ()
    assert "Hãy hỏi" in answer.lead


def test_markup_is_stripped_before_planning():
    assert clean_question("<b>nhiệm vụ</b> **IUU** [x](javascript:alert(1))") == "nhiệm vụ IUU x"
    assert has_content("IUU") and not has_content(clean_question("<img src=x>"))
    assert follow_up_query("Còn 30 năm thì sao?", "Huy hiệu 40 năm?") == "30 năm Huy hiệu 40 năm? 30 năm"


def test_the_direct_answer_comes_first_and_quotes_the_best_clause(index):
    answer = index.answer("nhiệm vụ chống khai thác IUU", doc_id=FOUNDING.name)
    assert answer.found and answer.citations[0].path == "II.2.6"
    first = answer.direct[0]
    assert "khai thác hải sản bất hợp pháp" in first.text
    cited = answer.citations[first.citation - 1]
    assert cited.text[first.start:first.end] == first.text  # extractive
    assert [c.rank for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_a_heading_never_answers_on_its_own(index):
    answer = index.answer("mục tiêu đến năm 2030", doc_id="nq-57.txt", k=3)
    paths = [c.path for c in answer.citations]
    assert "1" not in paths and paths[0].startswith("1.")  # "1. Đến năm 2030" gives way to 1.a / 1.b
    search = index.search("mục tiêu đến năm 2030", k=3, doc_id="nq-57.txt")
    assert search[0].path == "1"  # plain search keeps its ranking (the stage is not in the default list)


def test_a_comparison_cites_each_named_document(index):
    answer = index.answer("So sánh số cán bộ nghiên cứu trên một vạn dân của NQ 20 và NQ 57", k=4)
    docs = [c.doc_id for c in answer.citations]
    assert {"nq-20.txt", "nq-57.txt"} <= set(docs[:2])
    # A document filter still holds: only the named document inside it is cited.
    only = index.answer("So sánh số cán bộ nghiên cứu trên một vạn dân của NQ 20 và NQ 57", k=4,
                        doc_id="nq-57.txt")
    assert {c.doc_id for c in only.citations} == {"nq-57.txt"}


def test_a_follow_up_is_read_with_the_previous_question(index):
    previous = "Huy hiệu 40 năm tuổi Đảng được xét tặng cho ai?"
    assert is_follow_up("Còn 30 năm thì sao?") and not is_follow_up(previous)
    alone = index.answer("Còn 30 năm thì sao?")
    assert alone.citations[0].doc_id != "huy-hieu.txt" and not alone.read_with
    follow = index.answer("Còn 30 năm thì sao?", previous=previous)
    assert follow.read_with == previous and previous in follow.lead
    assert follow.citations[0].doc_id == "huy-hieu.txt" and "30 năm" in follow.citations[0].text


def test_only_clauses_near_the_best_are_cited(index):
    question = "chống khai thác hải sản bất hợp pháp"
    try:
        index.settings = SearchSettings(abstain_below=0, answer_cut=0.0)
        loose = index.answer(question, k=5)
        index.settings = SearchSettings(abstain_below=0, answer_cut=1.0)
        tight = index.answer(question, k=5)
    finally:
        index.settings = SearchSettings(abstain_below=0)
    assert len(loose.citations) == 5 and len(tight.citations) < 5
    quoted = {d.citation for d in tight.direct}
    assert all(n == 1 or n in quoted for n in range(1, len(tight.citations) + 1))
    assert tight.citations[0].clause_id == loose.citations[0].clause_id
