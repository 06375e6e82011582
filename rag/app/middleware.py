"""ASGI middleware of the app: the login guard on Gradio's side routes, and the original files.

``/van-ban-goc/<document id>`` serves the file an indexed document was read from (a PDF
opens at ``#page=N``), only for ids in the index, and behind the login when there is one.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote, unquote

# Routes gradio answers without a login; with RAG_AUTH they need one too.
# (startup-events stays open: launch() calls it itself, and it only runs the app's load hooks once.)
GUARDED = ("/gradio_api/reset", "/gradio_api/heartbeat", "/gradio_api/runs",
           "/gradio_api/run-history", "/gradio_api/vibe", "/gradio_api/undo-vibe", "/gradio_api/stream",
           "/gradio_api/cancel", "/gradio_api/app_id", "/monitoring", "/gradio_api/monitoring",
           "/openapi.json", "/gradio_api/openapi.json", "/docs", "/redoc")
ORIGINALS = "/van-ban-goc/"


def original_url(doc_id: str, page: int | None = None) -> str:
    """The link that opens a document's original file (at ``page`` for a PDF)."""
    return ORIGINALS + quote(doc_id) + (f"#page={page}" if page else "")


class LoginGuard:
    """ASGI middleware: with a login, the :data:`GUARDED` routes answer 401 to strangers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Answer 401 to a guarded route without a valid login cookie; pass everything else on."""
        if scope["type"] == "http" and scope["path"].rstrip("/").startswith(GUARDED):
            gradio_app = scope.get("app")
            if getattr(gradio_app, "auth", None) and not _logged_in(gradio_app, scope):
                from starlette.responses import JSONResponse

                await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _logged_in(gradio_app, scope) -> bool:
    from starlette.requests import Request

    cookies = Request(scope).cookies
    token = (cookies.get(f"access-token-{gradio_app.cookie_id}")
             or cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}"))
    return bool(token and gradio_app.tokens.get(token))


class OriginalFiles:
    """ASGI middleware: ``GET /van-ban-goc/<doc id>`` answers with the document's original file."""

    def __init__(self, app, library) -> None:
        self.app, self.library = app, library

    async def __call__(self, scope, receive, send) -> None:
        """Serve an indexed document's file; pass every other request on."""
        if scope["type"] != "http" or not scope["path"].startswith(ORIGINALS):
            await self.app(scope, receive, send)
            return
        from starlette.responses import FileResponse, PlainTextResponse

        gradio_app = scope.get("app")
        if getattr(gradio_app, "auth", None) and not _logged_in(gradio_app, scope):
            await PlainTextResponse("Cần đăng nhập.", status_code=401)(scope, receive, send)
            return
        path = self.library.original(unquote(scope["path"][len(ORIGINALS):]))
        if path is None or not path.is_file():
            await PlainTextResponse("Không có văn bản này.", status_code=404)(scope, receive, send)
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        response = FileResponse(path, media_type=kind, filename=path.name, content_disposition_type="inline")
        await response(scope, receive, send)
