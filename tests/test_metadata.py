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


GUIDE = ("BAN CHẤP HÀNH TRUNG ƯƠNG\nSố 06-HD/TW\nHà Nội, ngày 09 tháng 6 năm 2025\n\nHƯỚNG DẪN\n"
         "MỘT SỐ VẤN ĐỀ CỤ THỂ THI HÀNH ĐIỀU LỆ ĐẢNG\n\n"
         "- Căn cứ Quy định số 294-QĐ/TW, ngày 26/5/2025 của Ban Chấp hành Trung ương Đảng khoá XIII;\n"
         "- Căn cứ Quy chế làm việc của Ban Chấp hành Trung ương, Bộ Chính trị và Ban Bí thư khoá XIII, "
         "Ban Bí thư hướng dẫn như sau:\n\n1. Tuổi đời của người vào Đảng\n"
         "1.1. Chỉ xem xét kết nạp những người trên 60 tuổi khi có sức khoẻ và uy tín.\n\n"
         "Nơi nhận:\nT/M BAN BÍ THƯ\n- Các tỉnh ủy, thành ủy,\n- Lưu Văn phòng Trung ương Đảng.\n"
         "Trần Cẩm Tú\n")


def test_term_of_the_issuer_named_in_its_preamble_and_signer_after_interleaved_recipients():
    data = meta(GUIDE)
    assert data["issuer"] == "Ban Bí thư"
    assert data["term"] == "XIII"  # "Ban Bí thư khoá XIII", not the cited Quy định's committee
    assert data["signer"] == "Trần Cẩm Tú"


def test_a_central_term_that_was_not_in_office_on_the_date_is_not_taken():
    old = GUIDE.replace("khoá XIII, Ban Bí thư", "khoá XII, Ban Bí thư")
    assert meta(old)["term"] is None


def test_signer_named_in_a_press_preamble_only_for_this_documents_number():
    text = ("Nghị quyết số 57-NQ/TW\n\nThay mặt Bộ Chính trị, Tổng Bí thư Tô Lâm đã ký ban hành Nghị quyết "
            "số 57-NQ/TW (ngày 22/12/2024) của Bộ Chính trị về đột phá phát triển khoa học, công nghệ.\n\n"
            "I- QUAN ĐIỂM CHỈ ĐẠO\n1. Phát triển khoa học, công nghệ là đột phá quan trọng hàng đầu.\n")
    assert meta(text)["signer"] == "Tô Lâm"
    other = text.replace("Nghị quyết số 57-NQ/TW\n", "Nghị quyết số 58-NQ/TW\n", 1)
    assert meta(other)["signer"] is None  # the sentence is about 57-NQ/TW, not this document


def test_signature_glued_to_its_title_or_quoted_in_markdown():
    body = ("Số: 12/2025/NQ-HĐND\n\nNGHỊ QUYẾT\nVề mức chi hỗ trợ\n\nĐiều 1. Quy định mức chi hỗ trợ.\n"
            "Điều 2. Nghị quyết này đã được Hội đồng nhân dân thành phố Hà Nội khóa XVI, kỳ họp thứ 24 "
            "thông qua ngày 27 tháng 6 năm 2025.\n\n")
    assert meta(body + "CHỦ TỊCHNguyễn Ngọc Tuấn\n\nNơi nhận:\n- Chính phủ;\n- Lưu: VT.\n")["signer"] \
        == "Nguyễn Ngọc Tuấn"
    quoted = meta(body + "Nơi nhận:\n- Chính phủ;\n\n> TM. HỘI ĐỒNG NHÂN DÂN > CHỦ TỊCH > "
                         "(đã ký) > Nguyễn Ngọc Tuấn\n")
    assert quoted["signer"] == "Nguyễn Ngọc Tuấn"
    assert quoted["term"] == "XVI"  # from the passing formula
    assert meta(body + "Nơi nhận:\n- Chính phủ;\n- Lưu: VT.\n")["signer"] is None  # no name: none
