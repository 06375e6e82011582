"""The cadre's flows in a real browser (slow): answer → source → export → feedback, filters,
history, keyboard, the search tab, the documents tab, no English left, at desktop and phone
sizes in light and dark mode. Screenshots go to ``test-artifacts/`` (``RAG_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from helpers import ARTIFACTS
from test_browser import _COLOURS, _contrast, launch_chromium

pytestmark = pytest.mark.slow
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
IUU = "nhiệm vụ chống khai thác IUU"
BOT = "#chatbot .message.bot, #chatbot [data-testid='bot']"


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as launched:
        yield launched


def _page(browser, url, size="desktop", scheme="light", locale="vi-VN"):
    """A new browser (its own history) on the app, once the page has loaded its conversation."""
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme, locale=locale,
                                  accept_downloads=True, is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    page.goto(url)
    page.locator("body[data-chat-ready]").wait_for(state="attached", timeout=60_000)
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _ask(page, question: str, answers_before: int = 0) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.locator(BOT).nth(answers_before).wait_for(timeout=120_000)
    page.wait_for_function(f"document.querySelectorAll(\"{BOT}\").length > {answers_before} && "
                           f"!document.querySelectorAll(\"{BOT}\")[{answers_before}].innerText"
                           ".includes('Đang tìm trong văn bản')", timeout=120_000)


def _download(page, button: str, target) -> str:
    page.locator(button).click()
    link = page.locator("#chat-export a.download-link").first
    try:
        link.wait_for(timeout=60_000)
    except Exception:
        _shot(page, "failed-export")
        raise
    with page.expect_download() as download:
        link.click()
    download.value.save_as(target)
    return download.value.suggested_filename


@pytest.mark.parametrize("size,scheme", [("desktop", "light"), ("phone", "dark")])
def test_the_cadre_flow_answer_source_export_and_feedback(app_server, browser, tmp_path, size, scheme):
    from docx import Document

    page = _page(browser, app_server["url"], size, scheme)
    _ask(page, IUU)
    # The direct answer comes first, citing [1]; the clauses are cards beside it, not repeated in the chat.
    answer = page.locator(BOT).last.inner_text()
    assert answer.startswith("Trả lời:") and "khai thác hải sản bất hợp pháp" in answer and "[1]" in answer
    assert "1. Kết luận" not in answer
    _shot(page, f"flow-1-answer-{size}-{scheme}")
    page.locator("#citations .cite-card").first.click()
    selected = page.locator("#preview .clause.selected")
    selected.wait_for(timeout=60_000)
    assert selected.get_attribute("data-clause").endswith("#II.2.6")
    assert selected.locator("mark.hl").count() >= 1
    assert "khai thác hải sản bất hợp pháp" in " ".join(selected.locator("mark.hl").all_inner_texts())
    href = page.locator("#preview .original a").get_attribute("href")
    with urllib.request.urlopen(app_server["url"].rstrip("/") + href.split("#")[0]) as response:
        assert "2.6. Tăng cường công tác lãnh đạo" in response.read().decode("utf-8")
    page.wait_for_timeout(800)
    _shot(page, f"flow-2-preview-{size}-{scheme}")
    page.locator("#chat-actions").click()
    name = _download(page, "#export-answer-docx", tmp_path / "answer.docx")
    assert name.endswith(".docx")
    text = "\n".join(p.text for p in Document(tmp_path / "answer.docx").paragraphs)
    assert "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6" in text and IUU in text
    comment = f"Thiếu ý về tàu cá ({size}-{scheme})"
    page.locator("#feedback-comment textarea").fill(comment)
    page.locator("#rate-down").click()
    page.get_by_text("Cảm ơn, đã ghi nhận góp ý.").first.wait_for(timeout=30_000)
    _shot(page, f"flow-3-feedback-{size}-{scheme}")
    entries = [json.loads(line) for line in (app_server["data"] / "feedback.jsonl").read_text().splitlines()]
    entry = next(e for e in entries if e["comment"] == comment)
    assert entry["rating"] == "down" and entry["question"] == IUU
    assert entry["citations"][0]["path"] == "II.2.6"
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1
    page.context.close()


def test_filters_history_and_keyboard(app_server, browser):
    page = _page(browser, app_server["url"])
    box = page.locator("#question textarea")
    box.fill("xóa tôi")
    box.press("Escape")
    assert box.input_value() == ""
    box.fill("dòng một")
    box.press("Shift+Enter")
    box.type("dòng hai")
    assert box.input_value() == "dòng một\ndòng hai" and page.locator(BOT).count() == 0
    box.fill("")
    page.locator("#ask-button").click()  # an empty question is refused, not asked
    page.get_by_text("Hãy nhập câu hỏi.").first.wait_for(timeout=30_000)
    assert page.locator("#chatbot .message").count() == 0
    # A year filter shows as a chip and the answer says it applied.
    page.locator("#chat-filters").click()
    page.locator("#filter-from textarea, #filter-from input").fill("2024")
    page.locator("#filter-from textarea, #filter-from input").press("Tab")
    chip = page.locator("#filter-chips .token", has_text="Từ năm 2024")
    chip.wait_for(timeout=30_000)
    _ask(page, IUU)
    assert page.locator(BOT).last.inner_text().startswith("Đã lọc theo: Từ năm 2024")
    _shot(page, "flow-4-filters")
    chip.locator(".token-remove").click()  # removing the chip clears the filter
    page.wait_for_function("!document.querySelector('#filter-chips') || "
                           "!document.querySelector('#filter-chips').offsetParent", timeout=30_000)
    assert page.locator("#filter-from textarea, #filter-from input").input_value() == ""
    _ask(page, "Chương trình OCOP được chỉ đạo thế nào?", answers_before=1)
    # The conversation survives a reload, listed by its first question; rename, new, delete.
    page.reload()
    page.locator(BOT).nth(1).wait_for(timeout=60_000)
    page.locator("#history-box").click()
    page.locator("#history label", has_text=IUU).wait_for(timeout=30_000)
    page.locator("#rename-to textarea, #rename-to input").fill("Thủy sản và OCOP")
    page.locator("#rename-chat").click()
    page.locator("#history label", has_text="Thủy sản và OCOP").wait_for(timeout=30_000)
    _shot(page, "flow-5-history")
    page.locator("#new-chat").click()
    page.wait_for_function("document.querySelectorAll('#chatbot .message').length === 0", timeout=30_000)
    page.locator("#history label", has_text="Thủy sản và OCOP").click()
    page.locator(BOT).nth(1).wait_for(timeout=30_000)
    page.locator("#delete-chat").click()
    page.locator("#history label", has_text="Thủy sản và OCOP").wait_for(state="detached", timeout=30_000)
    page.context.close()


def test_search_tab_lists_pages_browses_and_exports(app_server, browser, tmp_path):
    from openpyxl import load_workbook

    page = _page(browser, app_server["url"])
    page.get_by_role("tab", name="Tra cứu").click()
    year_from = page.locator("#year-from textarea, #year-from input")
    year_to = page.locator("#year-to textarea, #year-to input")
    assert year_from.input_value() == "" and year_to.input_value() == ""  # empty, not 0
    page.locator("#search-query textarea, #search-query input").fill("khai thác hải sản")
    page.locator("#search-button").click()
    page.locator("#search-status", has_text="kết quả").wait_for(timeout=60_000)
    count = int(re.match(r"(\d+) kết quả", page.locator("#search-status").inner_text()).group(1))
    assert 1 <= count < 31  # the clauses that match, not every clause of the document
    first = page.locator("#search-results .result").first
    assert "II.2.6" in first.locator(".cite-label").inner_text()
    assert "phát triển bền vững ngành thủy sản" in first.locator(".result-text").inner_text()  # full text
    # Filters alone browse the documents they admit, page by page.
    page.locator("#search-query textarea, #search-query input").fill("")
    year_from.fill("2024")
    page.locator("#search-button").click()
    page.locator("#search-status", has_text="điều khoản khớp bộ lọc").wait_for(timeout=60_000)
    assert "trang 1/" in page.locator("#search-status").inner_text()
    assert page.locator("#search-results .result").count() == 10
    page.locator("#page-next").click()
    page.locator("#search-status", has_text="trang 2/").wait_for(timeout=30_000)
    _shot(page, "flow-6-search")
    page.locator("#search-view label", has_text="Theo năm").click()
    page.locator("#by-year .year h4", has_text="2024").wait_for(timeout=30_000)
    _shot(page, "flow-7-timeline")
    links = page.locator("#export a")
    links.first.wait_for(timeout=30_000)
    names = []
    for n in range(links.count()):
        with page.expect_download() as download:
            links.nth(n).click()
        names.append(download.value.suggested_filename)
        download.value.save_as(tmp_path / download.value.suggested_filename)
    assert sorted(names) == ["ket-qua-tra-cuu.csv", "ket-qua-tra-cuu.xlsx"]
    rows = list(load_workbook(tmp_path / "ket-qua-tra-cuu.xlsx").active.values)
    assert rows[0][0] == "Hạng" and len(rows) > 10
    page.context.close()


def test_documents_tab_metadata_edit_and_upload_status(app_server, browser, tmp_path):
    page = _page(browser, app_server["url"])
    page.get_by_role("tab", name="Văn bản").click()
    page.locator("#docs-table", has_text="Thị ủy Đức Phổ").wait_for(timeout=60_000)
    assert page.locator("#delete-select input").input_value() == ""  # nothing preselected for delete
    assert "11/10/2024" in page.locator("#docs-table").inner_text()
    broken = tmp_path / "hong.docx"
    broken.write_bytes(b"not a zip")
    page.locator("#upload input[type=file]").set_input_files(str(broken))
    page.locator("#upload-button").click()
    status = page.locator("#upload-status .status-line").first
    status.wait_for(timeout=120_000)
    assert "tệp hỏng hoặc không đúng định dạng" in status.inner_text()
    assert status.locator(".badge.no").inner_text() == "Từ chối"
    page.locator("#edit-meta").click()
    page.locator("#meta-doc input").click()
    page.get_by_role("option", name="ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt").click()
    number = page.locator("#meta-number textarea, #meta-number input")
    page.wait_for_function("document.querySelector('#meta-date textarea, #meta-date input').value === "
                           "'11/10/2024'", timeout=30_000)
    number.fill("18-KL/TU")
    page.locator("#meta-save").click()
    try:
        page.locator("#upload-status", has_text="Đã lưu thông tin").wait_for(timeout=180_000)
    except Exception:
        _shot(page, "failed-meta")
        raise
    page.locator("#docs-table", has_text="18-KL/TU").wait_for(timeout=30_000)
    saved = json.loads((app_server["data"] / "metadata.json").read_text(encoding="utf-8"))
    assert saved == {"ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt": {"number": "18-KL/TU"}}
    # The administrator's view of the feedback lists what cadres said (the cadre flow ran first).
    page.locator("#feedback-admin").click()
    page.locator("#feedback-table", has_text="Thiếu ý về tàu cá").wait_for(timeout=30_000)
    _shot(page, "flow-8-documents")
    # The viewer opens what is selected.
    page.locator("#doc-select input").click()
    page.get_by_role("option", name="ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt").click()
    page.locator("#viewer", has_text="18-KL/TU").wait_for(timeout=30_000)
    # A blank field drops the correction: the value read from the file is back.
    number.fill("")
    page.locator("#meta-save").click()
    page.locator("#upload-status", has_text="Đã lưu thông tin").wait_for(timeout=180_000)
    page.wait_for_function("!document.querySelector('#docs-table').innerText.includes('18-KL/TU')",
                           timeout=60_000)
    assert json.loads((app_server["data"] / "metadata.json").read_text(encoding="utf-8")) == {}
    page.context.close()


# Gradio's English strings that may show as a whole; proper nouns and the English example are allowed.
ALLOWED = {"Which tasks concern IUU fishing?", "IUU", "OCOP", "PDF", "CSV", "Excel", "Markdown", "Gradio"}
CONTENT = ".doc-view, .cite-card, .results, .timeline, #chatbot .message, td, textarea, input, #details"


def _gradio_english() -> set[str]:
    from pathlib import Path

    import gradio

    strings = set()
    for path in Path(gradio.__file__).parent.glob("templates/frontend/assets/*.js"):
        text = path.read_text(encoding="utf-8", errors="ignore")
        if "drop_file:`Drop File Here`" in text:
            found = re.findall(r"[a-z_0-9]+:`([^`{}$]+)`", text)
            strings |= {s for s in found if re.search("[A-Za-z]{3}", s)}
    return strings


@pytest.mark.parametrize("tab", ["Hỏi đáp", "Tra cứu", "Văn bản"])
def test_no_english_ui_string_in_the_vietnamese_page(app_server, browser, tab):
    english = _gradio_english() - ALLOWED
    assert len(english) > 100  # Gradio's English table was found
    page = _page(browser, app_server["url"])
    if tab == "Hỏi đáp":
        _ask(page, IUU)
        page.locator("#chat-filters").click()
        page.locator("#chat-actions").click()
    else:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(1500)
    shown = page.evaluate("""(content) => {
      const out = [];
      const walk = (n) => {
        if (n.nodeType === 3) { const t = n.nodeValue.trim(); if (t) out.push(t); return; }
        if (n.nodeType !== 1 || n.closest(content) || !n.offsetParent && n.tagName !== 'BODY') return;
        for (const a of ['aria-label', 'title', 'placeholder']) {
          const v = n.getAttribute(a); if (v) out.push(v); }
        n.childNodes.forEach(walk);
      };
      walk(document.body); return out; }""", CONTENT)
    pattern = re.compile(r"(Remove|Select|Click|Drop|Upload)\b.*")
    left = sorted({s for s in shown if s in english or pattern.fullmatch(s)})
    assert not left, left
    _shot(page, f"flow-9-vi-{tab}")
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_answer_results_and_status_are_readable_in_both_themes(app_server, browser, scheme):
    page = _page(browser, app_server["url"], "desktop", scheme)
    _ask(page, IUU)
    for selector in (f"{BOT.split(',')[0]} p", "#app-header h1", "#ask-button"):
        colour, background = page.evaluate(_COLOURS, selector)
        assert _contrast(colour, background) >= 4.5, (scheme, selector, colour, background)
    page.get_by_role("tab", name="Tra cứu").click()
    page.locator("#search-query textarea, #search-query input").fill("khai thác hải sản")
    page.locator("#search-button").click()
    page.locator("#search-results .result").first.wait_for(timeout=60_000)
    for selector in ("#search-results .result-text", "#search-results .cite-label"):
        colour, background = page.evaluate(_COLOURS, selector)
        assert _contrast(colour, background) >= 4.5, (scheme, selector, colour, background)
    for tab in ("Tra cứu", "Văn bản", "Hỏi đáp"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(500)
        _shot(page, f"theme-{scheme}-{tab.replace(' ', '-')}")
    page.context.close()
