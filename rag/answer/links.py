"""Views of the links between documents (:mod:`rag.ingest.links`): the viewer's lines and ``rag links``.

"Căn cứ / thực hiện" lists the documents a document refers to, "Được cụ thể hóa bởi" those
that refer to it; each is named by its citation label (:func:`rag.answer.labels.doc_label`).
"""

from __future__ import annotations

from collections.abc import Callable

from .labels import doc_label

LINKS_OUT = "Căn cứ / thực hiện"
LINKS_IN = "Được cụ thể hóa bởi"
NOT_HERE = "không có trong kho văn bản"
AMBIGUOUS = "khớp nhiều văn bản"


def _name(row) -> str:
    title = " ".join((row.title or "").split())
    # Titles read from a header can run to a paragraph ("NGHỊ QUYẾT Ban hành Chương trình …").
    return doc_label(row) + (f" — {title[:80]}{'…' if len(title) > 80 else ''}" if title else "")


def link_lines(graph, doc_id: str, document: Callable, url: Callable[[str], str]) -> tuple:
    """The viewer's ``related`` lines (:func:`rag.answer.render.document_html`) of one document.

    Args:
        graph: The index's :class:`rag.ingest.links.LinkGraph`.
        doc_id: The document shown.
        document: Document id → its row (``None`` for an unknown id), for the labels.
        url: Document id → the link that opens it.
    """
    def line(ids):
        rows = ((i, document(i)) for i in ids)
        return tuple((url(i), _name(row)) for i, row in rows if row is not None)

    return (LINKS_OUT, line(graph.targets(doc_id))), (LINKS_IN, line(graph.sources(doc_id)))


def links_report(graph, doc_id: str, document: Callable) -> dict:
    """The links of one document as JSON-ready data (``rag links --json``).

    Outgoing links are listed once per document referred to (unresolved references once per
    text), incoming ones once per referring document; each with its relation and reference text.
    """
    def entry(link, other: str | None) -> dict:  # ``other``: the document at the far end of the link
        row = document(other) if other else None
        return {"doc_id": other, "label": _name(row) if row else None, **link.to_dict()}

    outgoing, seen = [], set()
    for link in graph.outgoing(doc_id):
        key = link.target_doc or link.text
        if key not in seen:
            seen.add(key)
            outgoing.append(entry(link, link.target_doc))
    incoming = {}
    for link in graph.incoming(doc_id):
        incoming.setdefault(link.source_doc, entry(link, link.source_doc))
    row = document(doc_id)
    return {"doc_id": doc_id, "label": _name(row) if row else doc_id, "outgoing": outgoing,
            "incoming": list(incoming.values())}


def links_text(report: dict) -> str:
    """:func:`links_report` as text for the terminal, in Vietnamese."""
    lines = [f"{report['label']} ({report['doc_id']})", "", f"{LINKS_OUT}:"]
    for item in report["outgoing"]:
        if item["resolved"]:
            lines.append(f"  - [{item['relation']}] {item['text']} → {item['label']} ({item['doc_id']})")
        else:
            why = f"{AMBIGUOUS}: {', '.join(item['candidates'])}" if item["candidates"] else NOT_HERE
            lines.append(f"  - [{item['relation']}] {item['text']} — {why}")
    lines += ["  (không có)"] if not report["outgoing"] else []
    lines += ["", f"{LINKS_IN}:"]
    lines += [f"  - {item['label']} ({item['doc_id']}): [{item['relation']}] {item['text']}"
              for item in report["incoming"]] or ["  (không có)"]
    return "\n".join(lines)
