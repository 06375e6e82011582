"""The running app as an attacker sees it (slow: real model, real server).

One app with a login and a network guard (tests/netguard/sitecustomize.py records any
attempt to reach another host), over a corpus holding a document with HTML and
``javascript:`` links; plus the shared no-login app of conftest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import FOUNDING, ROOT, free_port, wait_for_app

pytestmark = pytest.mark.slow
HOSTILE = ("KẾ HOẠCH\nVề tuyên truyền trên mạng xã hội\n\n"
           "1. Tuyên truyền về nuôi chim yến trong nhà <img src=x onerror=alert(1)> trên biển "
           "[bấm vào đây](javascript:alert(1)) và <script>alert(2)</script> cho ngư dân.\n")


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    work = tmp_path_factory.mktemp("login-app")
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "hostile.txt").write_text(HOSTILE, "utf-8")
    port, guard_log, log_path = free_port(), work / "net.log", work / "app.log"
    path = os.pathsep.join([str(ROOT / "tests" / "netguard"), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, RAG_AUTH="an:mk-an,binh:mk-binh", RAG_ADMINS="an",
               NET_GUARD_LOG=str(guard_log), PYTHONPATH=path)
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("GRADIO_ANALYTICS_ENABLED", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app_gradio.py"), "--port", str(port),
                                 "--corpus", str(corpus), "--data-dir", str(work / "data")],
                                cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_app(proc, port, log_path)
            yield {"url": f"http://127.0.0.1:{port}", "log": log_path, "guard": guard_log, "proc": proc,
                   "data": work / "data"}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _request(url, *, method="GET", data=None, cookie=None):
    request = urllib.request.Request(url, method=method, data=data)
    if cookie:
        request.add_header("Cookie", cookie)
    if data is not None and method == "POST" and not url.endswith("/login"):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def _login(url, user, password) -> str:
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    status, _, headers = _request(f"{url}/login", method="POST", data=form)
    assert status == 200
    return "; ".join(c.split(";", 1)[0] for c in headers.get_all("set-cookie"))


def _stray_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"stray-secret-{os.getpid()}.txt"
    path.write_text("not for the web", "utf-8")
    return path


def test_gradio_routes_answer_only_to_logged_in_users(login_app):
    url = login_app["url"]
    assert _request(f"{url}/gradio_api/reset", method="POST", data=b'{"event_id": "x"}')[0] == 401
    assert _request(f"{url}/gradio_api/heartbeat/abc")[0] == 401
    assert _request(f"{url}/openapi.json")[0] in (401, 404)
    assert _request(f"{url}/gradio_api/openapi.json")[0] in (401, 404)
    cookie = _login(url, "binh", "mk-binh")
    reset = _request(f"{url}/gradio_api/reset", method="POST", data=b'{"event_id": "x"}', cookie=cookie)
    assert reset[0] == 200
    assert _request(f"{url}/openapi.json", cookie=cookie)[0] == 404  # the route list is not served at all


def test_original_files_are_served_only_for_indexed_documents_and_only_after_login(login_app):
    url, name = login_app["url"], FOUNDING.name
    assert _request(f"{url}/van-ban-goc/{name}")[0] == 401
    cookie = _login(url, "binh", "mk-binh")
    status, body = _request(f"{url}/van-ban-goc/{name}", cookie=cookie)[:2]
    assert status == 200 and "2.6. Tăng cường công tác lãnh đạo" in body.decode("utf-8")
    for other in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "audit.jsonl",
                  "uploads%2F..%2Faudit.jsonl"):
        assert _request(f"{url}/van-ban-goc/{other}", cookie=cookie)[0] == 404, other


def test_files_the_app_did_not_write_are_refused_even_after_login(login_app, app_server):
    cookie = _login(login_app["url"], "an", "mk-an")
    temp = Path(tempfile.gettempdir())
    for stray in (_stray_file(temp), _stray_file(temp / "gradio")):
        status, body, _ = _request(f"{login_app['url']}/gradio_api/file={stray}", cookie=cookie)
        assert status in (401, 403) and b"not for the web" not in body
        status, body, _ = _request(f"{app_server['url'].rstrip('/')}/gradio_api/file={stray}")
        assert status == 403 and b"not for the web" not in body
        stray.unlink()


def test_no_outbound_connection_no_share_hint_and_no_telemetry(login_app):
    from gradio_client import Client

    client = Client(login_app["url"] + "/", auth=("binh", "mk-binh"), verbose=False)
    client.predict("nhiệm vụ chống khai thác IUU", api_name="/ask")
    time.sleep(2)  # gradio's analytics and version checks run in background threads
    guard = login_app["guard"]
    assert not guard.exists() or guard.read_text() == "", guard.read_text()
    log = login_app["log"].read_text()
    assert "share=True" not in log and "Serving on http://" in log
    cookie = _login(login_app["url"], "an", "mk-an")
    config = json.loads(_request(f"{login_app['url']}/config", cookie=cookie)[1])
    assert config.get("analytics_enabled") is False


def test_document_text_reaches_the_answer_markdown_escaped(login_app):
    from gradio_client import Client

    client = Client(login_app["url"] + "/", auth=("an", "mk-an"), verbose=False)
    text, payload = client.predict("tuyên truyền nuôi chim yến trong nhà", api_name="/ask")
    hostile = [c for c in json.loads(payload)["citations"] if c["doc_id"] == "hostile.txt"]
    assert hostile
    assert "<img" not in text and "<script" not in text
    assert "\\](javascript:" in text and not re.search(r"(?<!\\)\]\(javascript:", text)  # no live link
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown as text, not dropped
    assert "<img" in hostile[0]["text"]  # the JSON carries the clause verbatim, as data


def test_bad_search_parameters_get_a_clear_message(app_server):
    from gradio_client import Client

    client = Client(app_server["url"], verbose=False)
    for args, expected in ((("IUU", None, None, None, None, "nonsense", 10), "Chế độ không hợp lệ"),
                           (("IUU", "abc", None, None, None, "hybrid", 10), "year_from"),
                           (("IUU", 2025, 2020, None, None, "hybrid", 10), "year_from"),
                           (("IUU", None, None, None, None, "hybrid", "many"), "k phải là số")):
        with pytest.raises(Exception, match=expected):
            client.predict(*args, api_name="/search")
    hits = json.loads(client.predict("IUU", None, None, None, None, "bm25", 10**9, api_name="/search"))
    assert 0 < len(hits) <= 100


def test_a_huge_question_is_refused_at_once(app_server):
    from gradio_client import Client

    client = Client(app_server["url"], verbose=False)
    start = time.perf_counter()
    with pytest.raises(Exception, match="2,000"):
        client.predict("khai thác hải sản " * 60_000, api_name="/ask")
    with pytest.raises(Exception, match="trống"):
        client.predict("   ", api_name="/ask")
    assert time.perf_counter() - start < 30
    _, payload = client.predict("nhiệm vụ chống khai thác IUU", api_name="/ask")
    assert json.loads(payload)["citations"][0]["path"] == "II.2.6"


def test_only_admins_see_the_upload_panel(login_app):
    from test_browser import launch_chromium

    with launch_chromium() as browser:
        for user, password, admin in (("binh", "mk-binh", False), ("an", "mk-an", True)):
            page = browser.new_context().new_page()
            page.goto(login_app["url"] + "/")
            page.locator("input[type=text]").first.fill(user)
            page.locator("input[type=password]").fill(password)
            page.keyboard.press("Enter")
            page.get_by_role("tab", name="Văn bản").click()
            page.locator("#docs-table", has_text="hostile.txt").wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            assert page.locator("#upload-button").is_visible() is admin, user
            page.close()


def test_the_private_temp_folder_is_removed_when_the_app_is_stopped(login_app):
    import re as regex

    match = regex.search(r"Temporary files \(removed at exit\): (\S+)", login_app["log"].read_text())
    private = Path(match.group(1))
    assert private.is_dir() and stat_mode(private) == 0o700
    login_app["proc"].terminate()  # SIGTERM, as a service manager stops it
    login_app["proc"].wait(timeout=30)
    assert not private.exists()


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
