"""Web app over the bundled corpus (first version: semantic clause search).

Usage:
    python app_gradio.py [--corpus DIR] [--host 127.0.0.1] [--port 7860] [--model NAME_OR_PATH]

Host, port and corpus can also come from ``RAG_HOST``, ``RAG_PORT`` and ``RAG_CORPUS``.
The app listens on localhost only and never creates a public share link. This first
version reads the corpus into clauses (:mod:`rag.ingest`) and ranks them by semantic
similarity; the hybrid index, cited answers and document viewer come in later stages.
gradio is imported only here, so the library works without it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from rag.convert import DEFAULT_MODEL
from rag.embedding import Embedder
from rag.ingest import ingest_folder
from rag.records import Clause, Document
from rag.text import normalize_query

ROOT = Path(__file__).resolve().parent
EXAMPLES = [
    "Which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
    "Công tác chuẩn bị đại hội đảng bộ các cấp",
]


def describe(doc: Document) -> str:
    """Short citation label for a document: type, number, issuer and date when known."""
    parts = [doc.doc_type or "Văn bản"]
    if doc.number:
        parts.append(f"số {doc.number}")
    if doc.issuer:
        parts.append(doc.issuer)
    if doc.date:
        parts.append(doc.date)
    return " ".join(parts)


class ClauseSearch:
    """Reads the corpus into clauses (rag.ingest), embeds them once and ranks them for a query."""

    def __init__(self, corpus: Path, model: str) -> None:
        result = ingest_folder(corpus, progress=True)
        for rejection in result.rejections:
            print(f"skipped {rejection.source}: {rejection.reason}", flush=True)
        self.items = [(doc, clause) for doc in result.documents for clause in doc.clauses]
        if not self.items:
            raise SystemExit(f"No readable documents with clauses under {corpus}")
        self.embedder = Embedder(model)
        self.vectors = self.embedder.encode_passages([c.text for _, c in self.items], show_progress=True)

    def search(self, query: str, k: int = 5) -> list[tuple[float, Document, Clause]]:
        """Return the ``k`` best clauses with their cosine similarity."""
        query = normalize_query(query)
        if not query:
            return []
        scores = self.vectors @ self.embedder.encode_query(query)
        order = np.argsort(-scores)[:k]
        return [(float(scores[i]), *self.items[i]) for i in order]


def render(results: list[tuple[float, Document, Clause]]) -> str:
    """Format results as Markdown, one citation per clause."""
    if not results:
        return "_Nhập câu hỏi để tra cứu._"
    lines = []
    for rank, (score, doc, clause) in enumerate(results, 1):
        page = f", trang {clause.page}" if clause.page else ""
        lines.append(f"**{rank}. {describe(doc)} — mục {clause.path}{page}** (điểm {score:.3f})\n\n"
                     f"> {clause.text}\n")
    return "\n".join(lines)


def build_app(searcher: ClauseSearch):
    """Create the Gradio Blocks app."""
    try:
        import gradio as gr
    except ImportError as exc:  # pragma: no cover
        raise ImportError("The web app needs gradio: pip install 'gradio>=6'") from exc

    with gr.Blocks(title="Tra cứu văn bản Đảng") as app:
        gr.Markdown(
            "# Tra cứu văn bản Đảng\n"
            f"{len(searcher.items)} điều khoản · mô hình `{searcher.embedder.info.name}` · "
            "ngoại tuyến (offline)"
        )
        query = gr.Textbox(label="Câu hỏi / Question", elem_id="query", lines=1)
        button = gr.Button("Tra cứu", variant="primary", elem_id="search-button")
        output = gr.Markdown(render([]), elem_id="results")
        gr.Examples(EXAMPLES, inputs=query)

        def run(text: str) -> str:
            return render(searcher.search(text))

        button.click(run, inputs=query, outputs=output, api_name="search")
        query.submit(run, inputs=query, outputs=output)
    return app


def main(argv: list[str] | None = None) -> None:
    """Parse flags, embed the corpus and serve the app on localhost."""
    parser = argparse.ArgumentParser(description="Web app over Vietnamese party documents.")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("RAG_CORPUS", ROOT / "corpus")),
                        help="Folder of documents to search (default: the bundled corpus/, or $RAG_CORPUS).")
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"),
                        help="Interface to listen on (default: 127.0.0.1, or $RAG_HOST).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")),
                        help="Port to listen on (default: 7860, or $RAG_PORT).")
    parser.add_argument("--model", default=os.environ.get("RAG_MODEL", DEFAULT_MODEL),
                        help=f"Embedding model name or folder (default: {DEFAULT_MODEL}, or $RAG_MODEL).")
    args = parser.parse_args(argv)
    searcher = ClauseSearch(args.corpus, args.model)
    print(f"Serving on http://{args.host}:{args.port}", flush=True)
    build_app(searcher).launch(server_name=args.host, server_port=args.port, share=False)


if __name__ == "__main__":
    main()
