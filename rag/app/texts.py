"""Every string the app itself shows, in one table, and Vietnamese for the library's English reasons.

Vietnamese first: :data:`VI` is what a cadre reads. The reading pipeline and the CLI speak
English ("empty file", "corrupt DOCX: …"); :func:`reason_vi` gives those reasons in
Vietnamese for the page, keeping the technical detail after "Chi tiết:". Gradio is not
imported here (its own strings are :mod:`rag.app.strings`).
"""

from __future__ import annotations

import re

VI: dict[str, str] = {
    "title": "Tra cứu văn bản Đảng",
    "intro": "Hỏi bằng tiếng Việt (có hoặc không dấu) hoặc tiếng Anh; câu trả lời trích nguyên văn "
             "điều khoản, kèm số hiệu, ngày, cơ quan ban hành và mục. Chạy ngoại tuyến.",
    "tab_chat": "Hỏi đáp", "tab_search": "Tra cứu", "tab_docs": "Văn bản",
    "chat_label": "Hỏi đáp",
    "chat_placeholder": "**Ví dụ:** nhiệm vụ chống khai thác IUU · Which tasks concern IUU fishing?",
    "question": "Câu hỏi",
    "question_placeholder": "Nhập câu hỏi rồi bấm Enter (Shift+Enter: xuống dòng, Esc: xóa)",
    "ask": "Hỏi", "examples": "Câu hỏi mẫu",
    "empty_question": "Hãy nhập câu hỏi.",
    "thinking": "Đang tìm trong văn bản…",
    "cards": "Trích dẫn, xếp theo mức liên quan — bấm để xem trong văn bản",
    "preview_hint": "<p>Bấm vào một trích dẫn để xem điều khoản đó trong văn bản, ngay tại đây.</p>",
    "details": "Chi tiết", "details_empty": "Chưa có câu trả lời.",
    "filters": "Bộ lọc", "filter_docs": "Văn bản", "year_from": "Từ năm", "year_to": "Đến năm",
    "doc_type": "Loại văn bản", "issuer": "Cơ quan ban hành", "chips": "Đang lọc (bấm × để bỏ)",
    "filters_applied": "Đã lọc theo",
    "history": "Lịch sử hội thoại", "history_list": "Hội thoại đã lưu", "new_chat": "Hội thoại mới",
    "rename_to": "Tên mới", "rename": "Đổi tên", "delete_chat": "Xóa hội thoại",
    "untitled": "Hội thoại mới (chưa có câu hỏi)",
    "export": "Xuất", "export_answer_docx": "Câu trả lời (.docx)", "export_chat_docx": "Cả hội thoại (.docx)",
    "export_chat_md": "Cả hội thoại (Markdown)", "export_file": "Tệp xuất", "nothing_to_export":
        "Chưa có câu trả lời để xuất.",
    "rate": "Đánh giá câu trả lời vừa rồi", "rate_up": "Hữu ích", "rate_down": "Chưa đúng",
    "rate_wrong": "Trích dẫn sai",
    "comment": "Góp ý thêm (không bắt buộc)",
    "thanks": "Cảm ơn, đã ghi nhận góp ý.",
    "nothing_to_rate": "Chưa có câu trả lời để đánh giá.",
    "search_query": "Từ khóa / câu hỏi (để trống để duyệt theo bộ lọc)",
    "search": "Tra cứu",
    "mode": "Chế độ",
    "view": "Cách xem", "view_list": "Danh sách", "view_timeline": "Theo năm",
    "prev": "‹ Trang trước",
    "next": "Trang sau ›",
    "downloads": "Tệp tải xuống",
    "search_need": "Nhập từ khóa hoặc chọn ít nhất một bộ lọc.",
    "count": "{n} kết quả · trang {page}/{pages}",
    "count_browse": "{n} điều khoản khớp bộ lọc · trang {page}/{pages}",
    "count_capped": " (hiển thị {shown} đầu tiên)",
    "docs_table": "Danh sách văn bản",
    "view_doc": "Xem văn bản",
    "pick_doc": "<p>Chọn một văn bản để xem.</p>",
    "implementing": "Văn bản thực hiện {doc}:",
    "upload": "Tải lên văn bản (.pdf, .docx, .doc, .odt, .rtf, .html, .txt, .md; ảnh chụp, bản quét)",
    "upload_button": "Thêm vào chỉ mục",
    "delete_select": "Xóa văn bản đã tải lên (chuyển vào thùng rác)",
    "delete_sure": "Tôi chắc chắn muốn xóa văn bản này",
    "delete": "Xóa", "trash": "Thùng rác", "restore": "Khôi phục",
    "edit_meta": "Sửa thông tin văn bản", "meta_doc": "Văn bản cần sửa", "meta_number": "Số hiệu",
    "meta_date": "Ngày ban hành (ngày/tháng/năm)",
    "meta_title": "Tiêu đề",
    "meta_save": "Lưu và lập lại chỉ mục",
    "meta_saved": "Đã lưu thông tin của {doc}; văn bản đã được lập lại chỉ mục.",
    "meta_bad_date": "Ngày không hợp lệ: {value} (viết theo dạng 11/10/2024).",
    "feedback_table": "Góp ý của người dùng (mới nhất trước)",
    "no_rights": "Không có quyền: chỉ quản trị viên được tải lên, xóa, khôi phục hoặc sửa văn bản.",
    "not_ready": "Chỉ mục chưa sẵn sàng. {status} Vui lòng thử lại sau ít phút.",
    "added": "Đã thêm", "refused": "Từ chối", "no_files": "Chưa chọn tệp nào.",
    "pick_and_confirm": "Chọn văn bản và đánh dấu xác nhận trước khi xóa.",
    "deleted": "Đã chuyển {doc} vào thùng rác ({entry}); có thể khôi phục.",
    "pick_trash": "Chọn một mục trong thùng rác.", "restored": "Đã khôi phục {doc}.",
    "viewer_wait": "<p>Chỉ mục đang được lập; văn bản sẽ hiện khi xong.</p>",
    "open_original": "Mở tệp gốc", "open_original_page": "Mở tệp gốc, trang {page}",
}

DOC_COLUMNS = ["Tệp", "Loại", "Số", "Ngày", "Cơ quan", "Tiêu đề", "Điều khoản"]
FEEDBACK_COLUMNS = ["Thời gian (UTC)", "Đánh giá", "Câu hỏi", "Góp ý", "Trích dẫn [1]"]

# The reading pipeline's English reasons → Vietnamese (first match wins).
_REASONS: list[tuple[re.Pattern, str]] = [(re.compile(p, re.IGNORECASE), vi) for p, vi in [
    (r"^(empty file|no text found|no paragraphs of text found)", "tệp không có nội dung chữ"),
    (r"^unsupported file type", "loại tệp không được hỗ trợ"),
    (r"^file too large|over the limit per document|over the limit of", "tệp quá lớn so với giới hạn"),
    (r"^corrupt (or truncated )?(docx|pdf)|^unreadable pdf|^docx", "tệp hỏng hoặc không đúng định dạng"),
    (r"expands .* times|expands to", "tệp nén bất thường (có thể là tệp độc hại)"),
    (r"encrypted pdf", "PDF có mật khẩu"),
    (r"pdf has no pages", "PDF không có trang nào"),
    (r"no text layer, and ocr found no text",
     "bản quét trống hoặc quá mờ, nhận dạng chữ (OCR) không đọc được"),
    (r"no text layer.*cannot be read|^ocr needs|no vietnamese model|needs pdftoppm",
     "máy chủ chưa cài công cụ nhận dạng chữ (OCR) cho bản quét, ảnh chụp"),
    (r"no text layer", "PDF là ảnh quét, chưa có lớp chữ (cần nhận dạng chữ OCR)"),
    (r"^ocr of the scanned pages failed|not a readable image|pixels, over the limit|ocr pages",
     "không nhận dạng được chữ trong ảnh hoặc bản quét"),
    (r"binary file|invalid utf-16", "tệp nhị phân, không phải văn bản"),
    (r"too large to read in the available memory", "tệp quá lớn để đọc"),
]]


def reason_vi(reason: str) -> str:
    """A rejection reason for the page: Vietnamese, with the original after "Chi tiết:"."""
    doc, sep, detail = reason.partition(": ")
    if not sep or " " in doc.strip("/"):  # no "doc id: " prefix
        doc, detail = "", reason
    for pattern, vi in _REASONS:
        if pattern.search(detail):
            return f"{doc + ': ' if doc else ''}{vi} (Chi tiết: {detail})"
    return reason


_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date_vi(value: str) -> str | None:
    """``11/10/2024`` → ``2024-10-11``; ISO dates pass; ``None`` when it is no valid date."""
    import datetime

    value = (value or "").strip()
    match = _DATE.fullmatch(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day).isoformat()
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        return None
