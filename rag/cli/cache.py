"""``rag cache info|prune``: the content-addressed embedding cache (:mod:`rag.index.embed_cache`)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .commands import cache_folder


def run_cache_info(args: argparse.Namespace) -> int:
    """Rag cache info: per model, the vectors kept, the size on disk and the last use."""
    from ..index.embed_cache import cache_info

    folder = cache_folder(args)
    rows = cache_info(folder) if folder.is_dir() else []
    if args.json:
        print(json.dumps({"folder": str(folder), "files": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"Bộ nhớ đệm vectơ / embedding cache: {folder}")
    if not rows:
        print("  (trống / empty)")
    for row in rows:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["last_used"])) if row["last_used"] else "—"
        model = row["model"]
        print(f"  {row['file']}: {model.get('name')} ({model.get('engine')}, "
              f"{model.get('dimension')} chiều) — "
              f"{row['vectors']:,} vectơ, {row['megabytes']:.1f} MB, dùng lần cuối {used}")
    return 0


def run_cache_prune(args: argparse.Namespace) -> int:
    """Rag cache prune: delete the vectors no build used for N days."""
    from ..index.embed_cache import prune

    folder = cache_folder(args)
    removed = prune(folder, older_than_days=args.older_than_days) if folder.is_dir() else 0
    print(f"đã xóa {removed:,} vectơ không dùng trong {args.older_than_days:g} ngày / "
          f"removed {removed:,} vectors unused for {args.older_than_days:g} days ({folder})")
    return 0


def add_cache_flags(parser: argparse.ArgumentParser) -> None:
    """``--cache DIR`` and ``--no-cache`` for a command that embeds passages."""
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="Embedding cache folder: passages embedded before by the same model are "
                             "reused, and a killed build resumes (default: $RAG_DATA_DIR/embeddings).")
    parser.add_argument("--no-cache", action="store_true", help="Embed every passage; keep no cache.")


def add_cache_command(commands) -> None:
    """Register ``rag cache info`` and ``rag cache prune``."""
    cache = commands.add_parser("cache", help="Inspect or prune the embedding cache.",
                                description="The content-addressed embedding cache shared by every "
                                            "index built with the same model.")
    sub = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    info = sub.add_parser("info", help="Vectors, size and last use per model.")
    info.add_argument("--cache", type=Path, metavar="DIR",
                      help="Cache folder (default: $RAG_DATA_DIR/embeddings).")
    info.add_argument("--json", action="store_true", help="Print one JSON object.")
    info.set_defaults(func=run_cache_info)
    prune = sub.add_parser("prune", help="Delete vectors that no build used for a while.")
    prune.add_argument("--cache", type=Path, metavar="DIR",
                       help="Cache folder (default: $RAG_DATA_DIR/embeddings).")
    prune.add_argument("--older-than-days", type=float, default=90, metavar="DAYS",
                       help="Delete vectors last used more than DAYS days ago (default: 90; 0: all).")
    prune.set_defaults(func=run_cache_prune)
