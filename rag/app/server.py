"""Start the web app: private temp folder, no telemetry, a login guard and roles, then serve.

Usage:
    rag serve [--corpus DIR] [--data-dir DIR] [--index DIR] [--host 127.0.0.1] [--port 7860]
              [--model NAME_OR_PATH] [--max-upload-mb 20] [--allow-upload]
    python app_gradio.py [same flags]

Flags can also come from ``RAG_CORPUS``, ``RAG_DATA_DIR``, ``RAG_INDEX``, ``RAG_HOST``,
``RAG_PORT`` and ``RAG_MODEL``. ``RAG_AUTH="user:password,user2:password2"`` turns on a
login and ``RAG_ADMINS="user"`` names who may upload, delete and restore; without a
login nobody may, unless ``--allow-upload`` is given. The app listens on localhost,
never creates a public link, sends no telemetry and contacts no host at start.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..limits import MB
from ..vocab import BACKENDS, DEFAULT_MODEL
from .datadir import DataDir, default_data_dir
from .library import Access, Library
from .uploads import DEFAULT_MAX_BYTES

log = logging.getLogger(__name__)
BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def prepare_environment() -> Path:
    """Turn off telemetry and hub look-ups and give gradio a private temp folder; returns it.

    Gradio serves every file under its temp folder (by default ``/tmp/gradio``, shared by
    every process on the machine), so the app gets its own, mode 0700, removed at exit.
    Must run before gradio is imported.
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    private = Path(tempfile.mkdtemp(prefix="rag-app-"))
    os.environ["GRADIO_TEMP_DIR"] = str(private / "gradio")
    atexit.register(shutil.rmtree, private, True)
    if threading.current_thread() is threading.main_thread():
        # A service manager stops the app with SIGTERM, which skips atexit unless it exits.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("Temporary files (removed at exit): %s", private)
    return private


class Exports:
    """Exports (CSV, Excel, Word, Markdown) in the app's private folder, each in its own random folder.

    Old ones are pruned after ``keep_seconds``.
    """

    def __init__(self, folder: Path, keep_seconds: float = 900) -> None:
        self.folder, self.keep_seconds = Path(folder), keep_seconds
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def write(self, name: str, text: str | bytes) -> Path:
        """Write ``text`` (or bytes) as ``name`` in a new folder; drop exports past ``keep_seconds``."""
        cutoff = time.time() - self.keep_seconds
        for old in self.folder.iterdir():
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        target = self.folder / secrets.token_hex(8)
        target.mkdir(mode=0o700)
        path = target / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path


def auth_pairs() -> list[tuple[str, str]] | None:
    """``(user, password)`` pairs from ``RAG_AUTH`` (``None`` without a login)."""
    pairs = [p.split(":", 1) for p in os.environ.get("RAG_AUTH", "").split(",") if ":" in p]
    return [(u.strip(), pw) for u, pw in pairs] or None


def admin_names() -> frozenset[str]:
    """User names from ``RAG_ADMINS`` (comma-separated)."""
    return frozenset(n.strip() for n in os.environ.get("RAG_ADMINS", "").split(",") if n.strip())


def build_parser() -> argparse.ArgumentParser:
    """The app's flags (each also readable from a ``RAG_*`` variable)."""
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="rag serve", description="Web app over Vietnamese party documents.")
    parser.add_argument("--corpus", type=Path, default=Path(env("RAG_CORPUS", BUNDLED_CORPUS)),
                        help="Folder of documents, only read (default: the bundled corpus/, or $RAG_CORPUS).")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"Users' data: uploads, trash, index, audit log (default: $RAG_DATA_DIR, "
                             f"else {default_data_dir()}).")
    parser.add_argument("--index", type=Path, default=Path(env("RAG_INDEX")) if env("RAG_INDEX") else None,
                        help="Index directory, built or updated on start (default: DATA_DIR/index, "
                             "or $RAG_INDEX).")
    parser.add_argument("--host", default=env("RAG_HOST", "127.0.0.1"),
                        help="Interface to listen on (default: 127.0.0.1, or $RAG_HOST).")
    parser.add_argument("--port", type=int, default=int(env("RAG_PORT", "7860")),
                        help="Port to listen on (default: 7860, or $RAG_PORT).")
    parser.add_argument("--model", default=env("RAG_MODEL", DEFAULT_MODEL),
                        help=f"Embedding model name or folder (default: {DEFAULT_MODEL}, or $RAG_MODEL).")
    parser.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_BYTES / MB,
                        help="Largest accepted upload in megabytes (default: 20).")
    parser.add_argument("--backend", choices=BACKENDS, default=env("RAG_BACKEND") or None,
                        help="Index backend of a new index (default: the existing index's, else embedded; "
                             "or $RAG_BACKEND). Replicas share one archive through milvus.")
    parser.add_argument("--milvus-uri", default=env("RAG_MILVUS_URI") or None, metavar="URI",
                        help="Milvus for --backend milvus: a Lite file (one process) or a server such as "
                             "http://host:19530 that replicas share (default: the index's, else "
                             "INDEX/milvus.db; or $RAG_MILVUS_URI; token from $RAG_MILVUS_TOKEN).")
    parser.add_argument("--allow-upload", action="store_true",
                        help="Without a login (RAG_AUTH), let anyone upload, delete and restore documents "
                             "(default: off). With a login, only the users in $RAG_ADMINS may.")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse flags and serve the app on localhost while the index is built or updated."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"corpus folder not found: {args.corpus} (an installed wheel bundles no documents; "
                     "give --corpus DIR or set RAG_CORPUS)")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("rag").setLevel(logging.INFO)
    private = prepare_environment()
    data = DataDir.open(args.data_dir)
    max_upload = int(args.max_upload_mb * MB)
    # Uploads are held to max_upload when stored; the corpus, uploads included, to the same
    # per-document limits as `rag index` (rag.limits).
    # The page is served at once; the index is built or brought up to date in the background.
    lib = Library(args.corpus, data, index_dir=args.index, model=args.model, max_upload=max_upload,
                  background=True, backend=args.backend, milvus_uri=args.milvus_uri)
    auth = auth_pairs()
    access = Access(login=auth is not None, admins=admin_names(), allow_upload=args.allow_upload)
    from starlette.middleware import Middleware

    from .keys import keyboard_script
    from .middleware import LoginGuard, OriginalFiles
    from .strings import translator_script
    from .ui import CSS, build_app, theme

    app = build_app(lib, access, Exports(private / "exports"))
    log.info("Serving on http://%s:%s (data: %s)", args.host, args.port, data.root)
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=False, auth=auth, css=CSS, theme=theme(),
        max_file_size=max_upload, quiet=True, footer_links=[], run_history=False,
        head=translator_script() + keyboard_script(),
        app_kwargs={"openapi_url": None, "middleware": [Middleware(LoginGuard),
                                                          Middleware(OriginalFiles, library=lib)]})
