"""Turn users' ratings from the web app into candidate judgments for party-gold.

Usage:
    python -m eval.feedback [--feedback FILE] [--out DIR] [--queries eval/party_gold/queries.jsonl]

Reads the app's ``feedback.jsonl`` (default: ``$RAG_DATA_DIR/feedback.jsonl``) and writes, in
party-gold's BEIR form, for a person to review before anything is merged:

* ``DIR/queries.jsonl`` — the rated questions; one already in party-gold keeps its id, a new
  one gets ``fb-<hash>`` with ``metadata.comments`` and ``metadata.votes``;
* ``DIR/qrels.tsv`` — ``query-id  corpus-id  score``: a cited clause of an answer rated
  useful gets 1, one of an answer rated wrong (or the very citation marked "trích dẫn sai")
  gets 0; more votes one way than the other decide, ties are left out.

Prints a JSON summary on stdout (counts by rating, questions new and known, judgments).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from rag.text import normalize_query

PARTY_GOLD = Path(__file__).resolve().parent / "party_gold" / "queries.jsonl"


def read_entries(path: Path) -> list[dict]:
    """The feedback file's entries, oldest first (damaged lines skipped)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def _key(text: str) -> str:
    return " ".join(normalize_query(text).lower().split())


def _judged(entry: dict) -> list[tuple[str, int]]:
    """(clause id, vote) pairs of one entry: +1 useful, -1 wrong."""
    citations = entry.get("citations") or []
    rating = entry.get("rating")
    if rating == "wrong-citation" and entry.get("cited_rank"):
        citations = [c for c in citations if c.get("rank") == entry["cited_rank"]]
    vote = 1 if rating == "up" else -1
    return [(f"{c['doc_id']}#{c['path']}", vote) for c in citations if c.get("doc_id") and c.get("path")]


def candidates(entries: list[dict], known: dict[str, str]) -> tuple[list[dict], list[tuple[str, str, int]]]:
    """Candidate queries and judgments from feedback entries.

    Args:
        entries: Feedback entries (:class:`rag.app.feedback.FeedbackLog` lines).
        known: Party-gold question text (normalised) → its id.

    Returns:
        Queries in BEIR form and ``(query id, clause id, score)`` judgments.
    """
    queries: dict[str, dict] = {}
    votes: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        text = normalize_query(entry.get("question") or "")
        if not text:
            continue
        qid = known.get(_key(text)) or "fb-" + hashlib.sha1(_key(text).encode()).hexdigest()[:10]
        query = queries.setdefault(qid, {"_id": qid, "text": text, "metadata": {
            "source": "feedback", "known": qid in known.values(), "comments": [], "votes": Counter()}})
        query["metadata"]["votes"][entry.get("rating")] += 1
        if entry.get("comment"):
            query["metadata"]["comments"].append(entry["comment"])
        for clause, vote in _judged(entry):
            votes[(qid, clause)] += vote
    judgments = [(q, c, 1 if v > 0 else 0) for (q, c), v in sorted(votes.items()) if v != 0]
    for query in queries.values():
        query["metadata"]["votes"] = dict(query["metadata"]["votes"])
    return list(queries.values()), judgments


def main(argv: list[str] | None = None) -> int:
    """Write candidate queries and judgments; print a JSON summary. Exit 1 when the file is missing."""
    from rag.app.datadir import default_data_dir

    parser = argparse.ArgumentParser(prog="python -m eval.feedback", description=__doc__.split("\n")[0])
    parser.add_argument("--feedback", type=Path, default=default_data_dir() / "feedback.jsonl",
                        help="The app's feedback file (default: $RAG_DATA_DIR/feedback.jsonl).")
    parser.add_argument("--out", type=Path, default=Path("feedback-candidates"),
                        help="Folder for queries.jsonl and qrels.tsv (default: ./feedback-candidates).")
    parser.add_argument("--queries", type=Path, default=PARTY_GOLD,
                        help="Party-gold queries, to reuse the ids of known questions.")
    args = parser.parse_args(argv)
    if not args.feedback.is_file():
        print(f"feedback file not found: {args.feedback}", file=sys.stderr)
        return 1
    entries = read_entries(args.feedback)
    known = {}
    if args.queries.is_file():
        lines = args.queries.read_text("utf-8").splitlines()
        known = {_key(q["text"]): q["_id"] for q in map(json.loads, lines)}
    queries, judgments = candidates(entries, known)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
    (args.out / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{c}\t{s}\n" for q, c, s in judgments),
        encoding="utf-8")
    summary = {"entries": len(entries), "ratings": dict(Counter(e.get("rating") for e in entries)),
               "queries": len(queries), "known_queries": sum(q["metadata"]["known"] for q in queries),
               "judgments": len(judgments), "relevant": sum(s for *_, s in judgments), "out": str(args.out)}
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
