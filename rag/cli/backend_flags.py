"""The storage-backend flags shared by the commands that write or read an index."""

from __future__ import annotations

import argparse
import os

from ..vocab import BACKENDS

TOKEN_HELP = ("Milvus token (user:password or an API key). Prefer $RAG_MILVUS_TOKEN: a flag is visible "
              "in the process list. Never written to the index.")


def add_token_flag(parser: argparse.ArgumentParser) -> None:
    """``--milvus-token`` (writers and readers alike)."""
    parser.add_argument("--milvus-token", metavar="TOKEN", help=TOKEN_HELP)


def add_reader_flags(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--milvus-uri`` and ``--milvus-token`` for a command that searches an index."""
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="The backend the index must use (refused otherwise); default: whichever "
                             "its meta.json names.")
    parser.add_argument("--milvus-uri", metavar="URI",
                        help="Read a milvus index's collection through this URI instead of the one in its "
                             "meta.json, e.g. http://host:19530 when the index was built on a Lite file "
                             "that a `milvus-lite server` now serves.")
    add_token_flag(parser)


def apply_token(args: argparse.Namespace) -> None:
    """Hand ``--milvus-token`` to the Milvus client through its variable (this process only)."""
    token = getattr(args, "milvus_token", None)
    if token:
        from ..index.milvus.client import TOKEN_ENV

        os.environ[TOKEN_ENV] = token


def reader_options(args: argparse.Namespace) -> dict:
    """``load_index`` keyword arguments from the reader flags (absent flags: nothing)."""
    apply_token(args)
    return {"backend": getattr(args, "backend", None), "milvus_uri": getattr(args, "milvus_uri", None)}
