"""Links between documents: precision and recall of resolved references against a hand-checked list.

Usage: python -m eval.links [--shared ../shared] [--gold eval/links_gold.tsv] [--laws] [--out FILE] [--json]

Reads ``corpus/party`` and ``corpus/local-gov`` of ``../shared`` as one corpus (document ids
``party/…``, ``local-gov/…``), builds the link graph (:func:`rag.ingest.links.build_graph`)
and scores it on ``eval/links_gold.tsv``: each row is a reference as printed in a source
document, with the document it names or ``-`` (not in these corpora, the document itself,
or ambiguous). A row counts as predicted with the target of the graph's links from that
source whose printed text is the same (case, accents and spacing ignored). Resolved links:
true positive when the target is the expected one; false positive when a link resolves to
any other document (or to one where ``-`` is expected); false negative when the expected
target is not resolved. ``--laws`` also times the graph over ``corpus/laws-vlc`` (scale).
Writes ``eval/reports/links-<date>.md``; exits 2 with the reason when ``../shared`` is absent.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "links_gold.tsv"
FOLDERS = ("party", "local-gov")


def _norm(text: str) -> str:
    from rag.vietnamese import fold

    return " ".join(fold(text).lower().split())


def read_gold(path: Path) -> list[dict]:
    """Rows of the gold file (``source``, ``reference``, ``target``, ``note``); ``#`` lines skipped."""
    lines = [line for line in Path(path).read_text("utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def load_documents(corpus_root: Path, folders=FOLDERS) -> list:
    """The documents of each folder, their ids prefixed with the folder name."""
    from rag.ingest.corpus import Corpus
    from rag.ingest.documents import ingest_folder

    docs = []
    for folder in folders:
        result = ingest_folder(Corpus.of(corpus_root / folder), progress=False)
        docs += [replace(d, id=f"{folder}/{d.id}") for d in result.documents]
    return docs


def score(graph, gold: list[dict]) -> dict:
    """Precision, recall and per-row outcomes of ``graph`` on the ``gold`` rows."""
    by_text: dict[tuple[str, str], set] = {}
    for link in graph.links:
        by_text.setdefault((link.source_doc, _norm(link.text)), set()).add(link.target_doc)
    tp = fp = fn = found = 0
    rows = []
    for row in gold:
        targets = by_text.get((row["source"], _norm(row["reference"])))
        expected = None if row["target"] == "-" else row["target"]
        resolved = {t for t in targets or () if t}
        found += targets is not None
        hit = expected is not None and expected in resolved
        wrong = len(resolved - {expected})
        tp, fp, fn = tp + hit, fp + (wrong > 0), fn + (expected is not None and not hit)
        outcome = "TP" if hit and not wrong else "FP" if wrong else "FN" if expected else "TN"
        rows.append({**row, "found": targets is not None, "predicted": sorted(resolved), "outcome": outcome})
    return {"rows": rows, "gold": len(gold), "expected_links": sum(r["target"] != "-" for r in gold),
            "found": found, "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def report_markdown(result: dict) -> str:
    """The report: the scores table, the graph's size and time, and the rows that failed."""
    lines = [f"# Links between documents — {result['date']}", "",
             f"`{result['command']}` on {result['machine']}. Gold: `eval/links_gold.tsv` "
             f"({result['gold']} hand-checked references, {result['expected_links']} to a document of the "
             "corpus; the rest name documents outside it, the citing document itself, or a near miss — same "
             "number, other type, issuer, year or province).", "",
             "| corpus | documents | references found | resolved | gold found | TP | FP | FN | precision | "
             "recall | graph build |", "|---|---|---|---|---|---|---|---|---|---|---|",
             f"| party + local-gov | {result['documents']} | {result['links']} | {result['resolved']} | "
             f"{result['found']}/{result['gold']} | {result['tp']} | {result['fp']} | {result['fn']} | "
             f"{result['precision']:.2f} | {result['recall']:.2f} | {result['seconds']:.2f} s |"]
    if "laws" in result:
        laws = result["laws"]
        lines.append(f"| laws-vlc (time only) | {laws['documents']} | {laws['links']} | {laws['resolved']} | "
                     f"— | — | — | — | — | — | {laws['seconds']:.2f} s ({laws['chars'] / 1e6:.1f} M chars) |")
    # A self-reference is not found by design (no self-links): only rows that went wrong are listed.
    misses = [r for r in result["rows"] if r["outcome"] in {"FP", "FN"}]
    unfound = [r for r in result["rows"] if not r["found"]]
    if unfound and all(r["target"] == "-" for r in unfound):
        lines += ["", f"The {len(unfound)} gold references not found are expected to give no link "
                  "(a document naming itself is dropped by design)."]
    lines += ["", f"Distinct resolved pairs (source → target): {result['pairs']}.", "",
              "Rows not found or wrong:" if misses else "Every gold reference resolved as expected."]
    lines += [f"- {r['outcome']}{'' if r['found'] else ' (not found)'}: {r['source']} — {r['reference']} "
              f"→ {', '.join(r['predicted']) or '-'} (expected {r['target']})" for r in misses]
    return "\n".join(lines) + "\n"


def _graph(docs) -> tuple:
    from rag.ingest.links import build_graph

    start = time.perf_counter()
    graph = build_graph(docs)
    return graph, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; exit 0, or 2 when ``../shared`` is missing."""
    parser = argparse.ArgumentParser(prog="python -m eval.links", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="Folder with corpus/party and corpus/local-gov (default: ../shared).")
    parser.add_argument("--gold", type=Path, default=GOLD, help="Gold list (default: eval/links_gold.tsv).")
    parser.add_argument("--laws", action="store_true", help="Also time the graph over corpus/laws-vlc.")
    parser.add_argument("--out", type=Path, default=None,
                        help="Markdown report to write (default: eval/reports/links-<date>.md).")
    parser.add_argument("--json", action="store_true", help="Print the result as JSON on stdout.")
    args = parser.parse_args(argv)
    corpus = args.shared / "corpus"
    missing = [f for f in FOLDERS if not (corpus / f).is_dir()]
    if missing:
        print(f"skipped: {corpus / missing[0]} not found (the links measurement needs ../shared)",
              file=sys.stderr)
        return 2
    docs = load_documents(corpus)
    graph, seconds = _graph(docs)
    date = dt.date.today().isoformat()
    command = "python -m eval.links " + " ".join(sys.argv[1:] if argv is None else argv)
    result = {"date": date, "command": command.strip(),
              "machine": "2 CPU cores", "documents": len(docs), "links": len(graph.links),
              "resolved": sum(link.resolved for link in graph.links), "seconds": seconds,
              "pairs": len({(link.source_doc, link.target_doc) for link in graph.links if link.resolved}),
              **score(graph, read_gold(args.gold))}
    if args.laws and (corpus / "laws-vlc").is_dir():
        laws = load_documents(corpus, ("laws-vlc",))
        laws_graph, laws_seconds = _graph(laws)
        result["laws"] = {"documents": len(laws), "links": len(laws_graph.links), "seconds": laws_seconds,
                          "resolved": sum(link.resolved for link in laws_graph.links),
                          "chars": sum(len(d.text) for d in laws)}
    out = args.out or ROOT / "eval" / "reports" / f"links-{date}.md"
    out.write_text(report_markdown(result), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else report_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
