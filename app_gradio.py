"""Web app: cited answers (Hỏi đáp), filtered search (Tra cứu) and documents (Văn bản).

Usage:
    python app_gradio.py [--corpus DIR] [--index DIR] [--host 127.0.0.1] [--port 7860]
                         [--model NAME_OR_PATH] [--max-upload-mb 20]
    rag serve [same flags]

Flags can also come from ``RAG_CORPUS``, ``RAG_INDEX``, ``RAG_HOST``, ``RAG_PORT`` and
``RAG_MODEL``; ``RAG_AUTH="user:password,user2:password2"`` turns on a login. The app
listens on localhost and never creates a public share link. On start it builds or
updates the index of the corpus (only new or changed files are embedded). Programs use
the named endpoints ``/ask`` and ``/search`` through gradio_client (see README). gradio
is imported only here.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
from pathlib import Path

from rag.answer import Answer
from rag.convert import DEFAULT_MODEL
from rag.embedding import Embedder
from rag.index import Index, load_index
from rag.indexing import build_index
from rag.render import (
    CSS,
    HIT_COLUMNS,
    answer_markdown,
    citation_card,
    document_html,
    hit_rows,
    hits_by_year,
    hits_csv,
)
from rag.uploads import DEFAULT_MAX_BYTES, UploadRejected, corpus_hashes, remove_document, store_upload

ROOT = Path(__file__).resolve().parent
EXAMPLES = [
    "Which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
    "Chương trình OCOP được chỉ đạo thế nào?",
]
MODES = ["hybrid", "dense", "bm25"]
DOC_COLUMNS = ["tệp", "loại", "số", "ngày", "cơ quan", "tiêu đề", "điều khoản"]


class Library:
    """The corpus, its live index and the one writer that updates both (searches never wait)."""

    def __init__(self, corpus: Path, index_dir: Path, model: str = DEFAULT_MODEL,
                 max_upload: int = DEFAULT_MAX_BYTES, embedder=None) -> None:
        self.corpus, self.index_dir, self.max_upload = Path(corpus), Path(index_dir), max_upload
        self.embedder = embedder or Embedder(model)
        self._writer = threading.Lock()
        self.index: Index = self._update(progress=True)

    def _update(self, progress: bool = False) -> Index:
        report = build_index(self.corpus, self.index_dir, embedder=self.embedder, progress=progress,
                             lock_timeout=600)
        print(report.summary(), flush=True)
        self.last_report = report
        # Swapped in only when complete: searches meanwhile use the previous index object.
        return load_index(self.index_dir, embedder=self.embedder)

    def add_files(self, files: list[tuple[Path, str]]) -> tuple[list[str], list[str]]:
        """Store uploads and re-index; returns (stored doc ids, rejection messages)."""
        with self._writer:
            known = corpus_hashes(self.corpus)
            stored, rejected = [], []
            for path, name in files:
                try:
                    item = store_upload(self.corpus, path, name, max_bytes=self.max_upload, known=known)
                except UploadRejected as exc:
                    rejected.append(str(exc))
                    continue
                known[item.sha256] = item.doc_id
                stored.append(item.doc_id)
            if stored:
                self.index = self._update()
                # A stored file the pipeline could not read (scanned PDF…) is not kept.
                for source, reason in self.last_report.rejected:
                    if source in stored:
                        stored.remove(source)
                        rejected.append(f"{source}: {reason}")
                        remove_document(self.corpus, source)
        return stored, rejected

    def delete(self, doc_id: str) -> None:
        """Remove a document file from the corpus and from the index."""
        with self._writer:
            remove_document(self.corpus, doc_id)
            self.index = self._update()

    def documents_table(self) -> list[list]:
        """One row per indexed document."""
        counts: dict[str, int] = {}
        for chunk in self.index.chunks:
            counts[chunk["doc_id"]] = counts.get(chunk["doc_id"], 0) + 1
        return [[d["id"], d.get("doc_type") or "", d.get("number") or "", d.get("date") or "",
                 d.get("issuer") or "", d.get("title") or "", counts.get(d["id"], 0)]
                for d in self.index.documents]

    def viewer(self, doc_id: str | None, selected: str | None = None) -> str:
        """HTML of a document with the selected clause highlighted."""
        doc = self.index.doc_by_id.get(doc_id or "")
        if doc is None:
            return "<p>Chọn một văn bản để xem.</p>"
        return document_html(doc, [c for c in self.index.chunks if c["doc_id"] == doc_id], selected)


def _filters(year_from, year_to, doc_type, issuer) -> dict:
    return {"year_from": int(year_from) if year_from else None, "year_to": int(year_to) if year_to else None,
            "doc_type": doc_type or None, "issuer": issuer or None}


def build_app(lib: Library):
    """Create the Gradio Blocks app."""
    try:
        import gradio as gr
    except ImportError as exc:  # pragma: no cover
        raise ImportError("The web app needs gradio: pip install 'gradio>=6'") from exc

    PROGRESS = gr.Progress()  # noqa: N806 - gradio injects progress through this default

    # The endpoints return JSON as text: gradio_client would take any dict with a "path" key
    # (every citation has one) for a file to download.
    def api_ask(question: str) -> tuple[str, str]:
        """Answer a question: (answer as Markdown, JSON of the answer with every citation)."""
        answer = lib.index.answer(question)
        return answer_markdown(answer), json.dumps(answer.to_dict(), ensure_ascii=False)

    def api_search(query: str, year_from: int | None = None, year_to: int | None = None,
                   doc_type: str | None = None, issuer: str | None = None, mode: str = "hybrid",
                   k: int = 10) -> str:
        """Search clauses: JSON list of hits (rank, score, path, text, document metadata)."""
        hits = lib.index.search(query, k=int(k), mode=mode, **_filters(year_from, year_to, doc_type, issuer))
        return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)

    with gr.Blocks(title="Tra cứu văn bản Đảng") as app:
        gr.Markdown("# Tra cứu văn bản Đảng\nHỏi bằng tiếng Việt (có hoặc không dấu) hoặc tiếng Anh; "
                    "câu trả lời trích nguyên văn điều khoản, kèm số hiệu, ngày, cơ quan ban hành và mục. "
                    f"Mô hình `{lib.index.model_name}` · ngoại tuyến (offline).")
        with gr.Tabs(selected="chat") as tabs:
            with gr.Tab("Hỏi đáp", id="chat"):
                chatbot = gr.Chatbot(label="Hỏi đáp", elem_id="chatbot", height=380,
                                     placeholder="**Ví dụ:** Which tasks concern IUU fishing? · "
                                                 "nhiệm vụ chống khai thác IUU")
                with gr.Row():
                    question = gr.Textbox(label="Câu hỏi / Question", elem_id="question", scale=8,
                                          placeholder="Ví dụ: Which tasks concern IUU fishing?")
                    ask_button = gr.Button("Hỏi", variant="primary", elem_id="ask-button", scale=1)
                gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                cards = gr.Dataset(components=[gr.HTML(visible=False)], samples=[], type="index",
                                   label="Trích dẫn — bấm vào một thẻ để mở văn bản tại điều khoản đó",
                                   elem_id="citations", samples_per_page=10)
                cited = gr.State([])
            with gr.Tab("Tra cứu", id="search"):
                with gr.Row():
                    query = gr.Textbox(label="Từ khóa / câu hỏi", elem_id="search-query", scale=6)
                    search_button = gr.Button("Tra cứu", variant="primary", elem_id="search-button", scale=1)
                with gr.Row():
                    year_from = gr.Number(None, label="Từ năm", precision=0, elem_id="year-from")
                    year_to = gr.Number(None, label="Đến năm", precision=0, elem_id="year-to")
                    doc_type = gr.Dropdown([""] + lib.index.doc_types(), value="", label="Loại văn bản",
                                           allow_custom_value=True)
                    issuer = gr.Dropdown([""] + lib.index.issuers(), value="", label="Cơ quan ban hành",
                                         allow_custom_value=True)
                    mode = gr.Radio(MODES, value="hybrid", label="Chế độ")
                by_year = gr.Checkbox(label="Nhóm theo năm", value=False)
                table = gr.Dataframe(headers=HIT_COLUMNS, value=[], interactive=False, wrap=True,
                                     elem_id="search-results")
                grouped = gr.Markdown(visible=False, elem_id="by-year")
                export = gr.File(label="Xuất CSV", elem_id="export")
            with gr.Tab("Văn bản", id="docs"):
                docs_table = gr.Dataframe(headers=DOC_COLUMNS,
                                          value=lib.documents_table(), interactive=False, wrap=True)
                doc_select = gr.Dropdown([d["id"] for d in lib.index.documents], label="Xem văn bản",
                                         elem_id="doc-select")
                viewer = gr.HTML(lib.viewer(None), elem_id="viewer")
                with gr.Row():
                    upload = gr.File(label="Tải lên .pdf, .docx, .txt, .md", file_count="multiple",
                                     file_types=[".pdf", ".docx", ".txt", ".md"], elem_id="upload")
                    upload_button = gr.Button("Thêm vào chỉ mục", elem_id="upload-button")
                upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Row():
                    delete_select = gr.Dropdown([d["id"] for d in lib.index.documents], label="Xóa văn bản")
                    delete_confirm = gr.Checkbox(label="Tôi chắc chắn muốn xóa tệp này khỏi kho và chỉ mục")
                    delete_button = gr.Button("Xóa", variant="stop")

        def chat_turn(text: str, history: list):
            answer: Answer = lib.index.answer(text)
            history = [*history, {"role": "user", "content": text},
                       {"role": "assistant", "content": answer_markdown(answer)}]
            samples = [[citation_card(c)] for c in answer.citations]
            ids = [(c.doc_id, c.clause_id) for c in answer.citations]
            return history, gr.Dataset(samples=samples), ids, ""

        def open_citation(index: int, ids: list):
            doc_id, clause_id = ids[index]
            return gr.Tabs(selected="docs"), gr.Dropdown(value=doc_id), lib.viewer(doc_id, clause_id)

        def run_search(text, y1, y2, dtype, iss, m, group):
            hits = lib.index.search(text, k=50, mode=m, **_filters(y1, y2, dtype, iss))
            path = Path(tempfile.mkdtemp(prefix="rag-export-")) / "ket-qua-tra-cuu.csv"
            path.write_text(hits_csv(hits), encoding="utf-8")
            return (hit_rows(hits), gr.Markdown(hits_by_year(hits), visible=bool(group)),
                    str(path) if hits else None)

        def refreshed(message: str):
            ids = [d["id"] for d in lib.index.documents]
            return (message, lib.documents_table(), gr.Dropdown(choices=ids),
                    gr.Dropdown(choices=ids, value=None), gr.Dropdown(choices=[""] + lib.index.doc_types()),
                    gr.Dropdown(choices=[""] + lib.index.issuers()))

        def add_uploads(files, progress=PROGRESS):
            if not files:
                return refreshed("Chưa chọn tệp nào.")
            progress(0.1, desc="Đang đọc và lập chỉ mục…")
            stored, rejected = lib.add_files([(Path(f), Path(f).name) for f in files])
            lines = [f"✅ Đã thêm: `{s}`" for s in stored] + [f"⛔ Từ chối: {r}" for r in rejected]
            return refreshed("\n\n".join(lines))

        def delete_doc(doc_id, sure):
            if not doc_id or not sure:
                return refreshed("Chọn văn bản và đánh dấu xác nhận trước khi xóa.")
            try:
                lib.delete(doc_id)
            except UploadRejected as exc:
                return refreshed(f"⛔ {exc}")
            return refreshed(f"🗑️ Đã xóa `{doc_id}` khỏi kho và chỉ mục.")

        ask_args = {"fn": chat_turn, "inputs": [question, chatbot],
                    "outputs": [chatbot, cards, cited, question], "api_visibility": "private"}
        ask_button.click(**ask_args)
        question.submit(**ask_args)
        cards.click(open_citation, inputs=[cards, cited], outputs=[tabs, doc_select, viewer],
                    api_visibility="private").then(
            None, js="() => {setTimeout(() => document.querySelector('#viewer .selected')"
                     "?.scrollIntoView({block: 'center'}), 300)}")
        search_inputs = [query, year_from, year_to, doc_type, issuer, mode, by_year]
        search_outputs = [table, grouped, export]
        search_button.click(run_search, search_inputs, search_outputs, api_visibility="private")
        query.submit(run_search, search_inputs, search_outputs, api_visibility="private")
        by_year.change(run_search, search_inputs, search_outputs, api_visibility="private")
        doc_select.change(lambda d: lib.viewer(d), doc_select, viewer, api_visibility="private")
        refresh_outputs = [upload_status, docs_table, doc_select, delete_select, doc_type, issuer]
        upload_button.click(add_uploads, upload, refresh_outputs, api_visibility="private")
        delete_button.click(delete_doc, [delete_select, delete_confirm], refresh_outputs,
                            api_visibility="private")
        gr.api(api_ask, api_name="ask")
        gr.api(api_search, api_name="search")
    return app


def _auth() -> list[tuple[str, str]] | None:
    pairs = [p.split(":", 1) for p in os.environ.get("RAG_AUTH", "").split(",") if ":" in p]
    return [(u.strip(), pw) for u, pw in pairs] or None


def main(argv: list[str] | None = None) -> None:
    """Parse flags, build or update the index and serve the app on localhost."""
    parser = argparse.ArgumentParser(description="Web app over Vietnamese party documents.")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("RAG_CORPUS", ROOT / "corpus")),
                        help="Folder of documents (default: the bundled corpus/, or $RAG_CORPUS).")
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX", ROOT / "index")),
                        help="Index directory, built or updated on start (default: index/, or $RAG_INDEX).")
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"),
                        help="Interface to listen on (default: 127.0.0.1, or $RAG_HOST).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")),
                        help="Port to listen on (default: 7860, or $RAG_PORT).")
    parser.add_argument("--model", default=os.environ.get("RAG_MODEL", DEFAULT_MODEL),
                        help=f"Embedding model name or folder (default: {DEFAULT_MODEL}, or $RAG_MODEL).")
    parser.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_BYTES / 2**20,
                        help="Largest accepted upload in megabytes (default: 20).")
    args = parser.parse_args(argv)
    lib = Library(args.corpus, args.index, args.model, max_upload=int(args.max_upload_mb * 2**20))
    print(f"Serving on http://{args.host}:{args.port}", flush=True)
    build_app(lib).queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=False, auth=_auth(), css=CSS,
        max_file_size=int(args.max_upload_mb * 2**20), allowed_paths=[tempfile.gettempdir()])


if __name__ == "__main__":
    main()
