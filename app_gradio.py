"""Web app over the bundled corpus (first version: semantic clause search).

Usage:
    python app_gradio.py [--corpus DIR] [--index DIR] [--host 127.0.0.1] [--port 7860]
                         [--model NAME_OR_PATH]

Host, port, corpus and index can also come from ``RAG_HOST``, ``RAG_PORT``,
``RAG_CORPUS`` and ``RAG_INDEX``. The app listens on localhost only and never creates a
public share link. On start it builds or updates the index of the corpus (only new or
changed files are embedded), then serves hybrid clause search. gradio is imported only
here, so the library works without it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rag.convert import DEFAULT_MODEL
from rag.embedding import Embedder
from rag.index import Index, load_index
from rag.indexing import build_index
from rag.records import Hit

ROOT = Path(__file__).resolve().parent
EXAMPLES = [
    "Which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
    "Công tác chuẩn bị đại hội đảng bộ các cấp",
]


def describe(hit: Hit) -> str:
    """Short citation label for a hit's document: type, number, issuer and date when known."""
    parts = [hit.doc_type or "Văn bản"]
    if hit.number:
        parts.append(f"số {hit.number}")
    if hit.issuer:
        parts.append(hit.issuer)
    if hit.date:
        parts.append(hit.date)
    return " ".join(parts)


def open_index(corpus: Path, index_dir: Path, model: str) -> Index:
    """Build or update the index of ``corpus`` (with progress bars), then load it."""
    embedder = Embedder(model)
    report = build_index(corpus, index_dir, embedder=embedder, progress=True, lock_timeout=600)
    print(report.summary(), flush=True)
    return load_index(index_dir, embedder=embedder)


def render(hits: list[Hit]) -> str:
    """Format hits as Markdown, one citation per clause."""
    if not hits:
        return "_Nhập câu hỏi để tra cứu._"
    lines = []
    for hit in hits:
        page = f", trang {hit.page}" if hit.page else ""
        lines.append(f"**{hit.rank}. {describe(hit)} — mục {hit.path}{page}** (điểm {hit.score:.3f})\n\n"
                     f"> {hit.text}\n")
    return "\n".join(lines)


def build_app(index: Index):
    """Create the Gradio Blocks app."""
    try:
        import gradio as gr
    except ImportError as exc:  # pragma: no cover
        raise ImportError("The web app needs gradio: pip install 'gradio>=6'") from exc

    with gr.Blocks(title="Tra cứu văn bản Đảng") as app:
        gr.Markdown(
            "# Tra cứu văn bản Đảng\n"
            f"{len(index.documents)} văn bản · {len(index.chunks)} điều khoản · "
            f"mô hình `{index.model_name}` · "
            "ngoại tuyến (offline)"
        )
        query = gr.Textbox(label="Câu hỏi / Question", elem_id="query", lines=1)
        button = gr.Button("Tra cứu", variant="primary", elem_id="search-button")
        output = gr.Markdown(render([]), elem_id="results")
        gr.Examples(EXAMPLES, inputs=query)

        def run(text: str) -> str:
            return render(index.search(text, k=5))

        button.click(run, inputs=query, outputs=output, api_name="search")
        query.submit(run, inputs=query, outputs=output)
    return app


def main(argv: list[str] | None = None) -> None:
    """Parse flags, embed the corpus and serve the app on localhost."""
    parser = argparse.ArgumentParser(description="Web app over Vietnamese party documents.")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("RAG_CORPUS", ROOT / "corpus")),
                        help="Folder of documents to search (default: the bundled corpus/, or $RAG_CORPUS).")
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX", ROOT / "index")),
                        help="Index directory, built or updated on start (default: index/, or $RAG_INDEX).")
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"),
                        help="Interface to listen on (default: 127.0.0.1, or $RAG_HOST).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")),
                        help="Port to listen on (default: 7860, or $RAG_PORT).")
    parser.add_argument("--model", default=os.environ.get("RAG_MODEL", DEFAULT_MODEL),
                        help=f"Embedding model name or folder (default: {DEFAULT_MODEL}, or $RAG_MODEL).")
    args = parser.parse_args(argv)
    index = open_index(args.corpus, args.index, args.model)
    print(f"Serving on http://{args.host}:{args.port}", flush=True)
    build_app(index).launch(server_name=args.host, server_port=args.port, share=False)


if __name__ == "__main__":
    main()
