"""Validate the party-gold dataset against the project's chunker output.

Usage:
    cd /work/main
    .venv/bin/rag ingest ../shared/corpus/party --json > /tmp/party_ingest.jsonl
    .venv/bin/python eval/party_gold/validate.py /tmp/party_ingest.jsonl

Checks:
  * every corpus-id in qrels/{dev,test}.tsv is `{doc_id}#{path}` of an ingested clause;
  * query ids are unique, qrels reference known queries, no duplicate (query, corpus) pairs;
  * scores are 1 or 2; categories and splits are valid;
  * every non-absent query has at least one qrel, absent queries have none;
  * every non-absent query has an ``answer`` that is an exact substring of the text of its
    ``answer_clause``, a clause judged 2 for it;
  * a query's split matches the qrels file it appears in.
Prints counts per category x split and per document. Exit status 1 on any failure.
"""
import csv
import json
import os
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CATEGORIES = ["vi", "en", "nodiac", "acronym", "paraphrase", "multi", "absent"]
SPLITS = ["dev", "test"]


def load_clause_ids(ingest_path):
    ids, docs, texts = set(), [], {}
    with open(ingest_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            docs.append(d["id"])
            for c in d.get("clauses", []):
                cid = "{}#{}".format(d["id"], c["path"])
                ids.add(cid)
                texts[cid] = (texts[cid] + " " + c["text"]) if cid in texts else c["text"]
    return ids, docs, texts


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    clause_ids, docs, clause_texts = load_clause_ids(argv[1])
    errors = []

    queries = {}
    with open(os.path.join(HERE, "queries.jsonl"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            q = json.loads(line)
            qid = q.get("_id")
            md = q.get("metadata", {})
            if qid in queries:
                errors.append(f"duplicate query id {qid} (line {n})")
            if not q.get("text", "").strip():
                errors.append(f"{qid}: empty text")
            if md.get("split") not in SPLITS:
                errors.append("{}: bad split {!r}".format(qid, md.get("split")))
            if md.get("category") not in CATEGORIES:
                errors.append("{}: bad category {!r}".format(qid, md.get("category")))
            if not md.get("note"):
                errors.append(f"{qid}: missing note")
            queries[qid] = q

    qrels = defaultdict(list)  # qid -> [(cid, score, split)]
    for split in SPLITS:
        path = os.path.join(HERE, "qrels", split + ".tsv")
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
        if not rows or rows[0] != ["query-id", "corpus-id", "score"]:
            errors.append(f"{path}: bad header {rows[:1]!r}")
            rows = rows[1:] if rows else []
        else:
            rows = rows[1:]
        seen = set()
        for r in rows:
            if len(r) != 3:
                errors.append(f"{split}: bad row {r!r}")
                continue
            qid, cid, score = r
            if (qid, cid) in seen:
                errors.append(f"{split}: duplicate pair {qid} {cid}")
            seen.add((qid, cid))
            if qid not in queries:
                errors.append(f"{split}: unknown query {qid}")
                continue
            if queries[qid]["metadata"].get("split") != split:
                errors.append("{}: qrel in {}.tsv but query split is {}".format(
                    qid, split, queries[qid]["metadata"].get("split")))
            if score not in ("1", "2"):
                errors.append(f"{qid}: bad score {score!r} for {cid}")
            if cid not in clause_ids:
                errors.append(f"{qid}: unknown corpus-id {cid}")
            qrels[qid].append((cid, score, split))

    for qid, q in queries.items():
        cat = q["metadata"].get("category")
        if cat == "absent" and qrels.get(qid):
            errors.append(f"{qid}: absent query has {len(qrels[qid])} qrels")
        if cat != "absent" and not qrels.get(qid):
            errors.append(f"{qid}: non-absent query has no qrels")
        if cat != "absent" and qrels.get(qid) and not any(s == "2" for _, s, _ in qrels[qid]):
            errors.append(f"{qid}: no clause with score 2")
        if cat != "absent":
            answer, where = q["metadata"].get("answer"), q["metadata"].get("answer_clause")
            if not answer or (where, "2") not in {(c, s) for c, s, _ in qrels.get(qid, [])}:
                errors.append(f"{qid}: no answer, or its answer_clause {where!r} is not judged 2")
            elif answer not in clause_texts.get(where, ""):
                errors.append(f"{qid}: answer is not in the text of {where}")

    # ---- report
    table = Counter((q["metadata"]["category"], q["metadata"]["split"]) for q in queries.values())
    print(f"queries: {len(queries)}   qrels: {sum(len(v) for v in qrels.values())}")
    print(f"\n{'category':<11} {'dev':>5} {'test':>5} {'total':>6}")
    for c in CATEGORIES:
        dev, test = table[(c, "dev")], table[(c, "test")]
        print(f"{c:<11} {dev:>5} {test:>5} {dev + test:>6}")
    dev_all = sum(table[(c, "dev")] for c in CATEGORIES)
    test_all = sum(table[(c, "test")] for c in CATEGORIES)
    print(f"{'all':<11} {dev_all:>5} {test_all:>5} {len(queries):>6}")

    per_doc_q = defaultdict(set)
    per_doc_r = Counter()
    for qid, rows in qrels.items():
        for cid, _, _ in rows:
            doc = cid.split("#", 1)[0]
            per_doc_q[doc].add(qid)
            per_doc_r[doc] += 1
    print(f"\n{'document':<52} {'queries':>8} {'qrels':>6}")
    for doc in docs:
        print(f"{doc:<52} {len(per_doc_q[doc]):>8} {per_doc_r[doc]:>6}")
    founding = [d for d in docs if d.startswith("ducpho-")]
    other_q = {qid for qid, rows in qrels.items()
               if any(not cid.startswith(tuple(founding)) for cid, _, _ in rows)}
    print(f"\nqueries with a qrel outside the founding document: {len(other_q)}")
    for doc in docs:
        if doc not in per_doc_q:
            errors.append(f"document {doc} has no query")

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  - " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
