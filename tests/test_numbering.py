import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.ingest.numbering import parse_marker

CLAUSES = [
    ("I- TÌNH HÌNH THỰC HIỆN", "roman", "I"),
    ("II. NHIỆM VỤ, GIẢI PHÁP", "roman", "II"),
    ("IV- TỔ CHỨC", "roman", "IV"),
    ("A- TÌNH HÌNH VÀ NGUYÊN NHÂN", "alpha", "A"),
    ("1. Công tác xây dựng Đảng", "item", "1"),
    ("1- Trong quá trình thực hiện", "item", "1"),
    ("1.1. Các cấp ủy", "item", "1.1"),
    ("1.1.1. Tại thời điểm chi bộ xét kết nạp", "item", "1.1.1"),
    ("2.3. (Khoản 3): Quyền của đảng viên", "item", "2.3"),
    ("1.1 Về tuổi đời", "item", "1.1"),
    ("Điều 5. Quyền của đảng viên", "dieu", "5"),
    ("Điều 12: Phạm vi", "dieu", "12"),
    ("Chương II", "chuong", "II"),
    ("Chương I QUY ĐỊNH CHUNG", "chuong", "I"),
    ("Mục 2. Tổ chức bộ máy", "muc", "2"),
    ("a) Người vào Đảng", "point", "a"),
    ("đ) Trường hợp khác", "point", "đ"),
    ("- Căn cứ Điều lệ Đảng;", "bullet", ""),
    ("PHẦN THỨ HAI VỀ CÔNG TÁC ĐẢNG VIÊN", "phan", "2"),
    ("Phần thứ nhất", "phan", "1"),
    ("Phần II. Quy định chung", "phan", "II"),
    ("PHỤ LỤC II DANH MỤC CÁC NHIỆM VỤ", "phuluc", "II"),
    ("Phụ lục 01: Danh mục hàng hóa", "phuluc", "01"),
    ("PHỤ LỤC", "phuluc", ""),
]

NOT_CLAUSES = [
    "7,5% dân số được tiếp cận",
    "ngày 11/10/2024, Ban Chấp hành",
    "11/10/2024 là ngày tổ chức",
    "Quyết định số 06/QĐ-TTg của Thủ tướng",
    "06/QĐ-TTg ngày 05/01/2024",
    "2020 - 2025 là giai đoạn",
    "2021-2025, định hướng đến năm 2030",
    "1.000 người tham gia",
    "30 ngày làm việc",
    "Điều lệ Đảng quy định",
    "C. Mác và Ph. Ăngghen",
    "Trong 9 tháng đầu năm",
    "Phần kinh phí còn lại do ngân sách tỉnh bảo đảm",
    "Phần lớn đảng viên chấp hành tốt",
    "Phụ lục I kèm theo Nghị quyết này quy định danh mục",
    "Phụ lục này được ban hành kèm theo",
]


@pytest.mark.parametrize(("text", "kind", "label"), CLAUSES)
def test_clause_numbers_are_recognised(text, kind, label):
    marker = parse_marker(text)
    assert marker is not None, text
    assert (marker.kind, marker.label) == (kind, label)
    assert text[marker.end:].strip() or kind in {"chuong", "dieu", "phan", "phuluc"}


@pytest.mark.parametrize("text", NOT_CLAUSES)
def test_numbers_that_are_not_clause_numbers(text):
    assert parse_marker(text) is None


def test_item_depth_and_level_key():
    assert parse_marker("2.6. Tăng cường").depth == 2
    assert parse_marker("2.6. Tăng cường").level_key == "item2"
    assert parse_marker("II- NHIỆM VỤ").level_key == "roman"


@given(st.integers(1, 31), st.integers(1, 12), st.integers(1990, 2035), st.sampled_from(["/", "-", "."]))
def test_dates_never_parse_as_clause_numbers(day, month, year, sep):
    assert parse_marker(f"{day:02d}{sep}{month:02d}{sep}{year} là ngày") is None


@given(st.integers(0, 999), st.integers(0, 9))
def test_percentages_and_decimals_never_parse(whole, frac):
    assert parse_marker(f"{whole},{frac}% so với cùng kỳ") is None


@given(st.integers(1000, 2100), st.integers(1000, 2100))
def test_year_ranges_never_parse(a, b):
    assert parse_marker(f"{a} - {b}") is None
    assert parse_marker(f"{a}-{b} là giai đoạn") is None


def test_split_long_cuts_tables_without_full_stops():
    from rag.ingest.chunking import split_long

    table = "Chỉ tiêu | Đơn vị | Giá trị; " * 400
    parts = split_long(table, 1200)
    assert len(parts) >= 9 and max(map(len, parts)) <= 1200
    assert "".join(p.replace(" ", "") for p in parts) == table.replace(" ", "")
    prose = "Đẩy mạnh chuyển đổi số trong các cơ quan đảng. " * 60
    assert all(p.endswith(".") for p in split_long(prose, 1200))


@pytest.mark.parametrize("text,label,title", [
    ("PHẦN THỨ MƯỜI MỘT", "11", ""),
    ("PHẦN THỨ MƯỜI MỘT: TÌNH HÌNH THỰC HIỆN", "11", "TÌNH HÌNH THỰC HIỆN"),
    ("Phần thứ hai mươi lăm. Nhiệm vụ", "25", "Nhiệm vụ"),
    ("PHẦN THỨ BA MƯƠI", "30", ""),
    ("PHẦN THỨ HAI MƯƠI MỐT", "21", ""),
    ("PHẦN THỨ MƯỜI", "10", ""),
    ("PHẦN THỨ TƯ NHIỆM VỤ", "4", "NHIỆM VỤ"),
])
def test_written_ordinals_above_ten_are_read_as_numbers(text, label, title):
    marker = parse_marker(text)
    assert marker is not None and (marker.kind, marker.label, text[marker.end:]) == ("phan", label, title)


def test_ordinal_values_refuse_what_is_not_a_number():
    from rag.ingest.numbering import ordinal_value

    words = ("nhất", "mười lăm", "bốn mươi tư", "chín mươi chín")
    assert [ordinal_value(w) for w in words] == [1, 15, 44, 99]
    assert [ordinal_value(w) for w in ("", "mươi", "hai mười", "mười nhất", "mười hai ba")] == [None] * 5


def test_a_roman_part_number_alone_on_its_line_heads_the_items_under_it():
    from rag.ingest.documents import document_from_text

    text = ("HỘI ĐỒNG NHÂN DÂN\nTỈNH QUẢNG NGÃI\n\nNGHỊ QUYẾT\nVề phát triển thủy sản\n\nI.\nQuan điểm\n\n"
            "1. Phát triển thủy sản bền vững.\n\nII.\nMục tiêu\n\n"
            "1. Đến năm 2030 sản lượng đạt một triệu tấn.\n\n"
            "2. Không còn tàu cá vi phạm vùng biển nước ngoài.\n")
    doc = document_from_text("nq.txt", text)
    paths = [c.path for c in doc.clauses]
    assert "II.2" in paths and "I.1" in paths
    assert next(c for c in doc.clauses if c.path == "II.2").text.startswith("2. Không còn tàu cá")
    assert next(c for c in doc.clauses if c.path == "II").text.startswith("II. Mục tiêu")
