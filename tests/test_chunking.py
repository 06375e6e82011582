"""Clause paths of whole documents: parts, letter parts, annexes and attached programmes."""

from rag.ingest.chunking import build_clauses
from rag.ingest.layout import paragraphs


def clauses_of(text: str):
    paras = paragraphs(text)
    return build_clauses("doc", text, paras)


def by_text(clauses, words: str):
    return next(c for c in clauses if words in c.text)


GUIDE = """HƯỚNG DẪN
Một số vấn đề cụ thể về công tác tổ chức đảng và đảng viên

PHẦN THỨ NHẤT
VỀ CÔNG TÁC TỔ CHỨC ĐẢNG
I. THÀNH LẬP TỔ CHỨC ĐẢNG
1. Cấp ủy cấp trên trực tiếp quyết định thành lập tổ chức cơ sở đảng.
II. GIẢI THỂ TỔ CHỨC ĐẢNG
1. Cấp ủy có thẩm quyền quyết định giải thể tổ chức đảng.
PHẦN THỨ HAI
VỀ CÔNG TÁC ĐẢNG VIÊN
A. CÔNG TÁC KẾT NẠP ĐẢNG VIÊN
I. TIÊU CHUẨN, ĐIỀU KIỆN KẾT NẠP ĐẢNG VIÊN
1. Người vào Đảng phải học xong lớp bồi dưỡng nhận thức về Đảng.
B. CÔNG TÁC QUẢN LÝ ĐẢNG VIÊN
I. VỀ HỒ SƠ ĐẢNG VIÊN
1. Hồ sơ đảng viên do chi bộ và cấp ủy cơ sở quản lý.
III. PHÁT VÀ QUẢN LÝ THẺ ĐẢNG VIÊN
Thực hiện theo Chỉ thị số 51-CT/TW của Ban Bí thư về đổi thẻ đảng viên.
"""


def test_parts_and_letter_parts_restart_numbering_without_duplicate_paths():
    clauses = clauses_of(GUIDE)
    paths = [c.path for c in clauses]
    assert not any("~" in p for p in paths), paths  # no "numbering restarted" suffixes
    assert by_text(clauses, "Cấp ủy cấp trên").path == "Phần 1.I.1"
    assert by_text(clauses, "Cấp ủy có thẩm quyền").path == "Phần 1.II.1"
    # "A." closes Roman part II of part one instead of nesting in it.
    assert by_text(clauses, "Người vào Đảng").path == "Phần 2.A.I.1"
    record = by_text(clauses, "Hồ sơ đảng viên")
    assert record.path == "Phần 2.B.I.1"
    assert record.headings[0].startswith("PHẦN THỨ HAI VỀ CÔNG TÁC ĐẢNG VIÊN")
    assert record.headings[1].startswith("B. CÔNG TÁC QUẢN LÝ")


def test_numbered_heading_is_not_merged_with_the_sentence_under_it():
    clauses = clauses_of(GUIDE)
    heading = by_text(clauses, "III. PHÁT VÀ QUẢN LÝ")
    assert heading.text == "III. PHÁT VÀ QUẢN LÝ THẺ ĐẢNG VIÊN"
    assert by_text(clauses, "Thực hiện theo Chỉ thị").path == "Phần 2.B.III¶1"


def test_wrapped_headings_and_title_blocks_stay_whole():
    text = ("III. NHIỆM VỤ CỤ THỂ CỦA CÁC CẤP ỦY TRONG CÔNG TÁC RÀ\n"
            "SOÁT, SÀNG LỌC ĐẢNG VIÊN (Điều 9 Quy định số 02-QĐ/TU)\n\n"
            "NGHỊ QUYẾT\nBan hành Chương trình hành động của Chính phủ\n")
    paras = [p.text for p in paragraphs(text)]
    assert paras == [
        "III. NHIỆM VỤ CỤ THỂ CỦA CÁC CẤP ỦY TRONG CÔNG TÁC RÀ SOÁT, SÀNG LỌC ĐẢNG VIÊN "
        "(Điều 9 Quy định số 02-QĐ/TU)",
        "NGHỊ QUYẾT Ban hành Chương trình hành động của Chính phủ",
    ]


RESOLUTION = """CHÍNH PHỦ
Số: 03/NQ-CP
NGHỊ QUYẾT
Ban hành Chương trình hành động của Chính phủ
Căn cứ Luật Tổ chức Chính phủ ngày 19 tháng 6 năm 2015;
QUYẾT NGHỊ:
Điều 1. Ban hành kèm theo Nghị quyết này Chương trình hành động của Chính phủ.
Điều 2. Nghị quyết này có hiệu lực thi hành kể từ ngày ký ban hành.
Điều 3. Các Bộ trưởng, Chủ tịch Ủy ban nhân dân các tỉnh chịu trách nhiệm thi hành.

Nơi nhận:
- Ban Bí thư Trung ương Đảng;
- Lưu: VT, KGVX.

TM. CHÍNH PHỦ
KT. THỦ TƯỚNG

CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ
Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị

I. MỤC TIÊU
1. Đến năm 2030, tiềm lực khoa học, công nghệ đạt trình độ tiên tiến.
II. NHIỆM VỤ CỤ THỂ
1. Hoàn thiện thể chế
a) Rà soát, sửa đổi các luật về khoa học, công nghệ và đổi mới sáng tạo.

PHỤ LỤC II
DANH MỤC CÁC NHIỆM VỤ
108. Xây dựng trung tâm dữ liệu quốc gia và hạ tầng tính toán hiệu năng cao.
"""


def test_attached_programme_and_annex_are_not_cited_under_the_last_article():
    clauses = clauses_of(RESOLUTION)
    assert by_text(clauses, "Điều 3.").path == "Điều 3"
    assert not any(c.path.startswith("Điều 3") and c.path != "Điều 3" for c in clauses), \
        [c.path for c in clauses]
    # The recipients before the programme are no clause; the signature stays, as a top paragraph.
    assert not any("Nơi nhận" in c.text or "Ban Bí thư Trung ương Đảng" in c.text or "Lưu: VT" in c.text
                   for c in clauses), [c.text for c in clauses]
    assert by_text(clauses, "TM. CHÍNH PHỦ").path.startswith("¶")
    assert by_text(clauses, "Căn cứ Luật Tổ chức").path == "Căn cứ"
    assert by_text(clauses, "CHƯƠNG TRÌNH HÀNH ĐỘNG").path == "Chương trình"
    assert by_text(clauses, "Đến năm 2030").path == "Chương trình.I.1"
    assert by_text(clauses, "a) Rà soát").path == "Chương trình.II.1.a"
    task = by_text(clauses, "108.")
    assert task.path == "Phụ lục II.108"
    assert task.headings[0] == "PHỤ LỤC II DANH MỤC CÁC NHIỆM VỤ"


def test_an_annex_after_the_signature_is_kept():
    decision = ("QUYẾT ĐỊNH\nVề việc ban hành danh mục nhiệm vụ\n"
                "Điều 1. Ban hành kèm theo Quyết định này danh mục nhiệm vụ năm 2025.\n"
                "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n"
                "Điều 3. Văn phòng Tỉnh ủy và các cơ quan liên quan thi hành Quyết định này.\n"
                "Nơi nhận:\n- Như Điều 3;\n- Lưu VP.\nT/M BAN THƯỜNG VỤ\nBÍ THƯ\n"
                "PHỤ LỤC\nDANH MỤC NHIỆM VỤ NĂM 2025\n"
                "1. Tổ chức đại hội đảng bộ cơ sở nhiệm kỳ 2025 - 2030.\n")
    clauses = clauses_of(decision)
    # The signature block is in the document's last half, where the body used to end.
    assert by_text(clauses, "Tổ chức đại hội").path == "Phụ lục.1"
    assert not any("Như Điều 3" in c.text or "Lưu VP" in c.text or "Nơi nhận" in c.text for c in clauses)
    assert by_text(clauses, "T/M BAN THƯỜNG VỤ").path.startswith("¶")


def test_parts_of_a_code_stay_out_of_article_paths():
    code = ("BỘ LUẬT\nDÂN SỰ\n\nPhần thứ nhất\nQUY ĐỊNH CHUNG\nChương I\nNHỮNG QUY ĐỊNH CHUNG\n"
            "Điều 1. Phạm vi điều chỉnh\nBộ luật này quy định địa vị pháp lý của cá nhân.\n"
            "Phần thứ hai\nQUYỀN SỞ HỮU\nChương XI\nQUY ĐỊNH CHUNG\n"
            "Điều 158. Quyền sở hữu\n1. Quyền sở hữu bao gồm quyền chiếm hữu, quyền sử dụng.\n"
            "Mục 2. NỘI DUNG QUYỀN SỞ HỮU\nĐiều 179. Khái niệm quyền chiếm hữu\n")
    clauses = clauses_of(code)
    assert by_text(clauses, "1. Quyền sở hữu").path == "Điều 158.1"
    assert by_text(clauses, "Phần thứ hai").path == "Phần 2"
    # A section heading after an article's khoản closes the article instead of nesting in it.
    assert by_text(clauses, "Mục 2.").path == "Phần 2.Chương XI.Mục 2"
    assert by_text(clauses, "Điều 179.").path == "Điều 179"
