"""``rag migrate --to milvus``: move an embedded index into Milvus without embedding again.

Usage:
    rag migrate --to milvus [--index DIR] [--milvus-uri URI] [--milvus-token TOKEN] [--wait SECONDS]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .backend_flags import add_token_flag


def run_migrate(args: argparse.Namespace) -> int:
    """Rag migrate: copy the live embedded version into Milvus and publish it."""
    from ..index.milvus.migrate import migrate_to_milvus
    from ..index.store import IndexLockedError
    from ..search.loading import default_index_dir
    from .backend_flags import apply_token

    apply_token(args)
    root = args.index or default_index_dir()
    try:
        version = migrate_to_milvus(root, args.milvus_uri, lock_timeout=args.wait)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (IndexLockedError, ConnectionError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Đã chuyển chỉ mục sang Milvus / migrated to Milvus: {version}")
    return 0


def add_migrate_command(commands) -> None:
    """Register ``rag migrate``."""
    migrate = commands.add_parser(
        "migrate", help="Move an embedded index into Milvus (vectors copied, nothing embedded again).",
        description="Copy the live version of an embedded index (vectors, BM25 tokens, sentence "
                    "vectors) into a Milvus collection and publish it as a milvus version. Exit "
                    "code 0: done; 1: no index or not embedded; 2: locked, Milvus unreachable or "
                    "pymilvus missing.",
    )
    migrate.add_argument("--to", choices=("milvus",), required=True, help="Target backend (milvus).")
    migrate.add_argument("--index", type=Path, metavar="DIR",
                         help="Index directory (default: $RAG_INDEX or ./index).")
    migrate.add_argument("--milvus-uri", metavar="URI",
                         help="A Milvus Lite file (default: INDEX/milvus.db) or a server such as "
                              "http://host:19530; the token is read from $RAG_MILVUS_TOKEN.")
    migrate.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                         help="Wait this long for a build holding the index lock (default: 0).")
    add_token_flag(migrate)
    migrate.set_defaults(func=run_migrate)
