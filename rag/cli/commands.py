"""The ``rag`` sub-commands: each turns parsed flags into library calls and prints the result.

Exit codes: 0 done; 1 bad input or missing index; 2 index damaged, locked or model
unavailable; 3 some files rejected (ingest, index); 141 output pipe closed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..limits import MAX_K, MB, Limits
from .backend_flags import apply_token, reader_options


def run_model_info(args: argparse.Namespace) -> int:
    """Rag model info: what the embedding model is."""
    from ..models.embedding import Embedder, ModelNotAvailableError

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


def run_ingest(args: argparse.Namespace) -> int:
    """Rag ingest: read a folder and show its documents or rejections."""
    from ..ingest.documents import EXIT_FATAL, EXIT_OK, EXIT_SOME_REJECTED, ingest_folder
    from ..ingest.ocr import ocr_summary
    from ..ingest.report import coverage_report, format_report

    if args.dir is None and args.report not in (None, "-") and Path(args.report).is_dir():
        args.dir, args.report = Path(args.report), "-"  # "rag ingest --report DIR": no FILE was meant
    if args.dir is None:
        print("error: give the folder to read: rag ingest DIR", file=sys.stderr)
        return 2
    try:
        result = ingest_folder(_corpus(args, args.dir), limits=_limits(args),
                               max_chars=args.max_chars, progress=not args.json and sys.stderr.isatty())
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    coverage = coverage_report(result.documents, result.rejections)
    if args.report == "-":  # the coverage report instead of the document list
        print(json.dumps(coverage, ensure_ascii=False, indent=2) if args.json else format_report(coverage))
    elif args.json:
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
            if doc.ocr:
                print(f"    {ocr_summary(doc.ocr)}")
        for rej in result.rejections:
            print(f"{_shorten(rej.source, 44):<44} {'':<11} {'':<16} {'':<10} {'':<28} {'':>7} {'':>5}  "
                  f"rejected: {rej.reason}")
        clauses = sum(len(d.clauses) for d in result.documents)
        rate = result.chars / result.seconds if result.seconds else 0.0
        print(f"\n{len(result.documents)} documents read, {len(result.rejections)} rejected, "
              f"{clauses} clauses, {result.chars:,} chars in {result.seconds:.1f} s ({rate:,.0f} chars/s)")
    if args.report and args.report != "-":
        report = {
            "folder": str(args.dir), "seconds": result.seconds, "chars": result.chars, **coverage,
            "documents": [{**d.to_dict(with_clauses=False), "clause_count": len(d.clauses)}
                          for d in result.documents],
            "rejections": [{"source": r.source, "reason": r.reason} for r in result.rejections],
        }
        Path(args.report).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return EXIT_SOME_REJECTED if result.rejections else EXIT_OK


def cache_folder(args: argparse.Namespace) -> Path | None:
    """The embedding cache of ``--cache`` (default: the data directory's ``embeddings/``), or none."""
    if getattr(args, "no_cache", False):
        return None
    if getattr(args, "cache", None):
        return Path(args.cache)
    from ..app.datadir import default_data_dir

    return default_data_dir() / "embeddings"


def run_index(args: argparse.Namespace) -> int:
    """Rag index: build or update an index."""
    from ..index.build import build_index
    from ..index.format import read_meta
    from ..index.store import IndexLockedError, current_version
    from ..ingest.corpus import Corpus
    from ..models.embedding import ModelNotAvailableError
    from ..search.loading import default_index_dir

    apply_token(args)
    index_dir = args.index or default_index_dir()
    if args.corpus is not None:
        corpus = _corpus(args, args.corpus)
    else:
        live = current_version(index_dir)
        if live is None:
            print("error: --corpus is required to build a new index", file=sys.stderr)
            return 1
        try:
            corpus = Corpus.from_description(read_meta(live)["corpus"])
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: the index in {index_dir} does not say its corpus ({exc}); give --corpus DIR",
                  file=sys.stderr)
            return 1
    try:
        report = build_index(corpus, index_dir, model=args.model, rebuild=args.rebuild,
                             faiss_kind=args.faiss, max_chars=args.max_chars, limits=_limits(args),
                             sentence_pooling=args.sentence_pooling, progress=not args.quiet,
                             lock_timeout=args.wait, cache=cache_folder(args),
                             parallel_segment=not args.serial_segment,
                             backend=args.backend, milvus_uri=args.milvus_uri)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (IndexLockedError, ModelNotAvailableError, ConnectionError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 3 if report.rejected else 0


def run_verify(args: argparse.Namespace) -> int:
    """Rag verify: check every index file against its checksum."""
    from ..index.format import read_meta
    from ..index.integrity import IndexCorruptError, verify
    from ..index.store import current_version
    from ..search.loading import IndexNotFoundError, default_index_dir, rebuild_command

    root = args.index or default_index_dir()
    folder = current_version(root)
    if folder is None:
        print(f"error: {IndexNotFoundError(f'no index in {root}')}", file=sys.stderr)
        return 1
    meta = None
    try:
        meta = read_meta(folder)
        checked = verify(folder, meta, full=True, hint=rebuild_command(root, meta))
    except (IndexCorruptError, OSError, ValueError) as exc:
        if args.json:
            print(json.dumps({"ok": False, "version": str(folder), "error": str(exc)}, ensure_ascii=False))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    files = len(meta.checksums)
    if args.json:
        print(json.dumps({"ok": True, "version": str(folder), "files": files, "bytes": checked}))
    else:
        print(f"OK: {files} files, {checked / 1e6:,.1f} MB verified in {folder}")
    return 0


def _search_filters(args: argparse.Namespace) -> dict:
    return {"k": min(args.k, MAX_K), "year_from": args.year_from, "year_to": args.year_to,
            "doc_type": args.doc_type, "issuer": args.issuer, "mode": args.mode,
            "implements": args.implements}


def _print_hits(hits) -> None:
    if not hits:
        print("(no matching clause)")
        return
    from ..answer.labels import citation_label

    for hit in hits:
        sides = (("dense", hit.dense_score), ("bm25", hit.bm25_score))
        side = " ".join(f"{name} {value:.3f}" for name, value in sides if value is not None)
        print(f"{hit.rank:>2}. {hit.score:.4f}  {citation_label(hit)}  [{side}]")
        print(f"    {_shorten(' '.join(hit.text.split()), 220)}")
        print(f"    ({hit.source}, {hit.chunk_id})")


def _on_index(args: argparse.Namespace, work) -> int:
    """Run ``work(index)`` on the index of ``args.index``; failures become exit codes 1 and 2."""
    from ..index.integrity import IndexCorruptError
    from ..models.embedding import ModelNotAvailableError
    from ..search.loading import IndexNotFoundError, ModelMismatchError, load_index

    try:
        return work(load_index(args.index, verify=args.verify, **reader_options(args)))
    except BrokenPipeError:  # a ConnectionError too, but the reader left: rag.cli.main ends with 141
        raise
    except (IndexNotFoundError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ModelMismatchError, ModelNotAvailableError, IndexCorruptError, ValueError, ConnectionError,
            ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run_search(args: argparse.Namespace) -> int:
    """Rag search: the best clauses for one query or a file of queries."""
    if (args.query is None) == (args.queries_file is None):
        print("error: give either a QUERY or --queries-file FILE", file=sys.stderr)
        return 1

    from ..answer.render import hit_record

    def work(index) -> int:
        if args.queries_file is not None:
            lines = Path(args.queries_file).read_text("utf-8").splitlines()
            for line in (q for q in lines if q.strip()):
                hits = index.search(line, **_search_filters(args))
                print(json.dumps({"query": line, "hits": [hit_record(h) for h in hits]}, ensure_ascii=False),
                      flush=True)
            return 0
        hits = index.search(args.query, **_search_filters(args))
        if args.json:
            print(json.dumps([hit_record(h) for h in hits], ensure_ascii=False, indent=2))
        else:
            _print_hits(hits)
        return 0

    return _on_index(args, work)


def run_ask(args: argparse.Namespace) -> int:
    """Rag ask: a cited extractive answer."""
    from ..answer.compose import format_answer

    def work(index) -> int:
        answer = index.answer(args.question, k=min(args.k, MAX_K), year_from=args.year_from,
                              year_to=args.year_to, doc_type=args.doc_type, issuer=args.issuer,
                              previous=args.previous, implements=args.implements)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(format_answer(answer))
        return 0

    return _on_index(args, work)


def run_links(args: argparse.Namespace) -> int:
    """Rag links: the documents one document refers to and those that refer to it."""
    from ..answer.links import links_report, links_text

    def work(index) -> int:
        found = index.links.find(args.doc)
        if len(found) != 1:
            print(f"lỗi: «{args.doc}» {'không khớp văn bản nào' if not found else 'khớp nhiều văn bản: '}"
                  f"{', '.join(found)}", file=sys.stderr)
            return 1
        report = links_report(index.links, found[0], index.backend.document)
        print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else links_text(report))
        return 0

    return _on_index(args, work)


def run_serve(args: argparse.Namespace) -> int:
    """Rag serve: start the web app (every flag goes to the app)."""
    import importlib.util

    from ..app.server import main as serve

    wants_help = any(a in ("-h", "--help") for a in args.app_args)
    if importlib.util.find_spec("gradio") is None and not wants_help:
        print("error: the web app needs gradio: pip install 'party-rag[app]'", file=sys.stderr)
        return 1
    serve(args.app_args)
    return 0


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_bytes=int(args.max_mb * MB), max_doc_chars=args.max_doc_chars,
                  max_clauses=args.max_clauses)


def _corpus(args: argparse.Namespace, folder: Path):
    from ..ingest.corpus import Corpus

    return Corpus.of(folder, link_roots=args.allow_links_into)
