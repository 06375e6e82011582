"""Vietnamese for Gradio's own interface strings ("Drop File Here", "Clear", "Copy message"…).

Gradio translates its built-in strings by the browser's language but ships no Vietnamese,
and in 6.x its ``I18n`` cannot add one: custom translations are loaded before the
built-in English (which overwrites them) and a locale outside its list falls back to
English. A Vietnamese browser therefore saw English buttons beside Vietnamese labels.
:func:`translator_script` is a small script for the page's ``<head>`` that replaces
those exact strings (text and ``aria-label``/``title``/``placeholder``) as Gradio renders
them, outside document text (cards, viewer, tables, Markdown), so the whole page reads in
one language whatever the browser's. Gradio is not imported here.
"""

from __future__ import annotations

import json

# Gradio's English (its frontend's ``lang/en.json`` values) → Vietnamese.
GRADIO_VI: dict[str, str] = {
    "Click to Upload": "Bấm để chọn tệp",
    "Click to upload or drop files": "Bấm để chọn hoặc thả tệp vào đây",
    "Drop File Here": "Thả tệp vào đây",
    "Drop CSV Here": "Thả tệp CSV vào đây",
    "Drop Image Here": "Thả ảnh vào đây",
    "Drop Audio Here": "Thả tệp âm thanh vào đây",
    "Drop Video Here": "Thả video vào đây",
    "Drop Media Here": "Thả tệp vào đây",
    "Paste from Clipboard": "Dán từ bộ nhớ tạm",
    "Clear": "Xóa",
    "Download": "Tải xuống",
    "Download All": "Tải xuống tất cả",
    "Edit": "Sửa",
    "Error": "Lỗi",
    "Loading": "Đang tải",
    "Remove": "Bỏ",
    "Settings": "Cài đặt",
    "Share": "Chia sẻ",
    "Submit": "Gửi",
    "Undo": "Hoàn tác",
    "Language": "Ngôn ngữ",
    "Display Theme": "Giao diện",
    "Progress": "Tiến độ",
    "Built with Gradio": "Xây dựng bằng Gradio",
    "Retry": "Hỏi lại",
    "Cancel": "Hủy",
    "Like": "Hữu ích",
    "Dislike": "Không hữu ích",
    "Copy message": "Sao chép câu trả lời",
    "Copied message": "Đã sao chép",
    "Uploading...": "Đang tải lên…",
    "Dropdown": "Danh sách chọn",
    "Sort column": "Sắp xếp cột",
    "Sort ascending": "Tăng dần",
    "Sort descending": "Giảm dần",
    "Clear sort": "Bỏ sắp xếp",
    "Filter": "Lọc",
    "Clear filters": "Bỏ lọc",
    "New row": "Thêm dòng",
    "Add column": "Thêm cột",
    "Delete row": "Xóa dòng",
    "Delete column": "Xóa cột",
    ("On mobile, the connection can break if this tab is unfocused or the device sleeps, "
     "losing your position in queue."):
        "Trên điện thoại, kết nối có thể mất khi thẻ này bị ẩn hoặc máy ngủ.",
    "Lost connection due to leaving page. Rejoining queue...":
        "Mất kết nối vì đã rời trang. Đang kết nối lại…",
    "Waiting for file(s) to finish uploading, please retry.": "Đang chờ tải tệp xong, vui lòng thử lại.",
    "There is a long queue of requests pending. Duplicate this Space to skip.":
        "Đang có nhiều yêu cầu chờ xử lý.",
    "Use via API": "Dùng qua API",
    "Use via API or MCP": "Dùng qua API hoặc MCP",
    "Please contact the author of the page to let them know.": "Vui lòng báo quản trị viên.",
    "Login": "Đăng nhập",
    "username": "Tên đăng nhập",
    "password": "Mật khẩu",
    "Incorrect Credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "Copy conversation": "Sao chép hội thoại",
}
# Gradio's English with a number or a name inside ("Remove 0" on a chip's ×) → Vietnamese.
GRADIO_VI_PATTERNS: list[tuple[str, str]] = [
    (r"^Remove (.+)$", "Bỏ $1"),
    (r"^In queue: (.+) of (.+)$", "Đang chờ: $1/$2"),
    (r"^Select (.+)$", "Chọn $1"),
]
# Where text is the documents' or the answers' own: never translated.
_CONTENT = ".prose, .cite-card, .doc-view, td, textarea, input, [contenteditable]"


def translator_script() -> str:
    """A ``<script>`` that puts :data:`GRADIO_VI` in place of Gradio's English, now and as it renders."""
    table = json.dumps({**GRADIO_VI, "- or -": "- hoặc -"}, ensure_ascii=False)
    return f"""<script>
(() => {{
  const T = {table};
  const P = {json.dumps(GRADIO_VI_PATTERNS, ensure_ascii=False)}.map(([re, vi]) => [new RegExp(re), vi]);
  const tr = (text) => {{
    if (T[text]) return T[text];
    for (const [re, vi] of P) if (re.test(text)) return text.replace(re, vi);
    return null;
  }};
  const ATTRS = ["aria-label", "title", "placeholder"];
  const skip = (el) => el && el.closest && el.closest({json.dumps(_CONTENT)});
  const fix = (node) => {{
    if (node.nodeType === 3) {{
      const text = node.nodeValue.trim(), parent = node.parentElement;
      if (!text || skip(parent)) return;
      const vi = tr(text) || (text === "or" && parent && parent.classList.contains("or") ? "hoặc" : null);
      if (vi) node.nodeValue = node.nodeValue.replace(text, vi);
      return;
    }}
    if (node.nodeType !== 1 || skip(node)) return;
    for (const name of ATTRS) {{
      const value = node.getAttribute(name);
      const vi = value && tr(value.trim());
      if (vi) node.setAttribute(name, vi);
    }}
    node.childNodes.forEach(fix);
  }};
  const start = () => {{
    fix(document.body);
    new MutationObserver((changes) => changes.forEach((c) =>
      c.type === "childList" ? c.addedNodes.forEach(fix) : fix(c.target)))
      .observe(document.body, {{subtree: true, childList: true, characterData: true,
                               attributes: true, attributeFilter: ATTRS}});
  }};
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", start) : start();
}})();
</script>"""
