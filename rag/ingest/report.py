"""Metadata coverage of an ingested corpus, per folder: what ``rag ingest --report`` shows.

For each folder (the documents' parent folder relative to the corpus root, ``.`` for the
root itself) and for the whole corpus: how many documents were read, how many of them have
each metadata field (type, number, issuer, date, term, signer, title), and which files were
rejected and why. :func:`format_report` renders it as a table, Vietnamese first.
"""

from __future__ import annotations

from collections import defaultdict

from ..records import Document, Rejection

FIELDS = ("doc_type", "number", "issuer", "date", "term", "signer", "title")
"""Metadata fields whose coverage is counted, in the order they are shown."""

# Column titles: Vietnamese as users read them, English underneath.
_HEADINGS = {"doc_type": ("Loại", "type"), "number": ("Số", "number"), "issuer": ("Cơ quan", "issuer"),
             "date": ("Ngày", "date"), "term": ("Khóa", "term"), "signer": ("Người ký", "signer"),
             "title": ("Trích yếu", "title")}
TOTAL = "Tổng (total)"


def _folder(source: str) -> str:
    return source.rsplit("/", 1)[0] if "/" in source else "."


def _entry(documents: list[Document], rejections: list[Rejection]) -> dict:
    count = len(documents)
    coverage = {}
    for name in FIELDS:
        found = sum(1 for doc in documents if getattr(doc, name))
        coverage[name] = {"found": found, "share": round(found / count, 4) if count else 0.0}
    return {"documents": count, "coverage": coverage,
            "rejected": [{"source": r.source, "reason": r.reason} for r in rejections]}


def coverage_report(documents: list[Document], rejections: list[Rejection]) -> dict:
    """Coverage of each metadata field per folder and in total.

    Args:
        documents: The documents read (``IngestResult.documents``).
        rejections: The files rejected, with their reasons.

    Returns:
        ``{"folders": {folder: entry}, "total": entry}``; an entry holds ``documents`` (the
        count read), ``coverage`` (``{field: {"found": n, "share": n / documents}}``) and
        ``rejected`` (``[{"source", "reason"}]``).
    """
    docs: dict[str, list[Document]] = defaultdict(list)
    rejected: dict[str, list[Rejection]] = defaultdict(list)
    for doc in documents:
        docs[_folder(doc.source)].append(doc)
    for rejection in rejections:
        rejected[_folder(rejection.source)].append(rejection)
    folders = {name: _entry(docs.get(name, []), rejected.get(name, []))
               for name in sorted(set(docs) | set(rejected))}
    return {"folders": folders, "total": _entry(list(documents), list(rejections))}


def _cell(entry: dict, name: str) -> str:
    data = entry["coverage"][name]
    if not entry["documents"]:
        return "–"
    return f"{data['found']}/{entry['documents']} {data['share']:.0%}"


def format_report(report: dict) -> str:
    """The coverage report as a plain-text table, Vietnamese first, then the rejected files.

    Args:
        report: What :func:`coverage_report` returns.
    """
    rows = [(name, entry) for name, entry in report["folders"].items()]
    if len(rows) != 1:
        rows.append((TOTAL, report["total"]))
    width = max([len("Thư mục (folder)")] + [len(name) for name, _ in rows])
    cells = {name: [_cell(entry, f) for f in FIELDS] for name, entry in rows}
    widths = [max(len(_HEADINGS[f][0]), len(_HEADINGS[f][1]),
                  *(len(cells[name][i]) for name, _ in rows)) for i, f in enumerate(FIELDS)]
    def row(name: str, read: str, rejected: str, values: list[str]) -> str:
        padded = "  ".join(f"{v:<{w}}" for v, w in zip(values, widths, strict=True))
        return f"{name:<{width}}  {read:>7}  {rejected:>7}  {padded}".rstrip()

    lines = ["Độ phủ siêu dữ liệu theo thư mục (metadata coverage per folder)", "",
             row("Thư mục", "Văn bản", "Bị loại", [_HEADINGS[f][0] for f in FIELDS]),
             row("(folder)", "(read)", "(rej.)", [f"({_HEADINGS[f][1]})" for f in FIELDS])]
    lines.append("-" * len(lines[-1]))
    lines += [row(name, str(entry["documents"]), str(len(entry["rejected"])), cells[name])
              for name, entry in rows]
    rejected = report["total"]["rejected"]
    lines += ["", f"Tệp bị loại (rejected files): {len(rejected)}"]
    lines += [f"  {r['source']}: {r['reason']}" for r in rejected]
    return "\n".join(lines)
