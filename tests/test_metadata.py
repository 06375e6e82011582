from rag.ingest.layout import paragraphs
from rag.ingest.metadata import extract


def meta(text, filename="doc.txt"):
    return extract(text, paragraphs(text), filename)


def test_term_of_a_cited_resolution_is_not_the_documents_term():
    text = ("Kết luận số 69-KL/TW\n\nKết luận số 69-KL/TW ngày 11/01/2024 của Bộ Chính trị về tiếp tục "
            "thực hiện Nghị quyết số 29-NQ/TW của Hội nghị Trung ương lần thứ sáu khoá XIII "
            "về công nghiệp hoá.\n")
    data = meta(text)
    assert data["term"] is None
    assert (data["number"], data["date"], data["issuer"]) == ("69-KL/TW", "2024-01-11", "Bộ Chính trị")


def test_term_from_the_title_and_from_the_issuing_plenum():
    assert meta("KẾT LUẬN\nCỦA HỘI NGHỊ THỊ ỦY LẦN THỨ 18 (KHÓA XXI)\n\nTại Hội nghị ngày 11/10/2024, "
                "Ban Chấp hành Đảng bộ thị xã đã thảo luận và thống nhất như sau.\n")["term"] == "XXI"
    assert meta("QUY ĐỊNH\n\n- Xét Tờ trình của Ban Chấp hành Trung ương Đảng khoá XIII tại Hội nghị "
                "lần thứ 11,\n")["term"] == "XIII"


def test_blank_number_is_null_but_its_type_code_still_counts():
    data = meta("Số -KL/TU\n\nTại Hội nghị ngày 11/10/2024, Ban Chấp hành đã thống nhất nội dung sau đây.\n")
    assert data["number"] is None
    assert data["doc_type"] == "Kết luận"
    assert (data["date"], data["date_source"]) == ("2024-10-11", "body")
