"""bm25s settings at scale: postings read or memory-mapped, and how a query's postings are summed.

Usage:
    python -m eval.bench_bm25 eval/out/bench/index-1m

Each setting runs in a fresh process (so its peak RSS is its own): load the index's two
bm25s indexes (:meth:`rag.index.lexical.Lexical.load`), then score every bench question
with bm25s's own ``get_scores_from_ids`` (one ``np.add.at`` per token: what
:meth:`rag.index.lexical.Lexical.scores` uses) and with one ``np.bincount`` over the gathered
postings (tried, slower), both for the accented index.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import datasets


def _bincount(scores: dict, ids: list[int]) -> np.ndarray:
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    spans = [(int(indptr[t]), int(indptr[t + 1])) for t in ids]
    rows = np.concatenate([indices[a:b] for a, b in spans])
    weights = np.concatenate([data[a:b] for a, b in spans])
    return np.bincount(rows, weights=weights, minlength=int(scores["num_docs"])).astype(np.float32)


def measure(index: str, mmap: bool, queries: list[str]) -> dict:
    """Load time, RSS and per-query scoring time of one setting (run in a fresh process)."""
    from rag.index import format as fmt
    from rag.index import store
    from rag.index.lexical import Lexical

    from .bench import peak_rss_mb

    started = time.perf_counter()
    lexical = Lexical.load(store.current_version(Path(index)) / fmt.BM25, mmap=mmap)
    out = {"mmap": mmap, "load_s": round(time.perf_counter() - started, 2),
           "rss_after_load_mb": peak_rss_mb()}
    model = lexical.plain
    ids = [[model.vocab_dict[t] for t in lexical.query_tokens(q, accentless=False) if t in model.vocab_dict]
           for q in queries]
    ids = [i for i in ids if i]
    for name, score in (("bm25s_add_at", model.get_scores_from_ids),
                        ("bincount", lambda i: _bincount(model.scores, i))):
        lat = []
        for i in ids:
            t = time.perf_counter()
            score(i)
            lat.append((time.perf_counter() - t) * 1000)
        out[name] = {"p50_ms": round(float(np.percentile(lat, 50)), 2),
                     "p95_ms": round(float(np.percentile(lat, 95)), 2)}
    indptr = model.scores["indptr"]
    postings = [sum(int(indptr[t + 1] - indptr[t]) for t in i) for i in ids]
    out["postings_per_query_p50"] = int(np.median(postings))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure both settings and print them as JSON."""
    from .bench import bench_queries

    index = (argv or sys.argv[1:])[0]
    results = []
    for mmap in (False, True):
        script = ("import json,sys; from eval.bench_bm25 import measure; "
                  f"print(json.dumps(measure({index!r}, {mmap}, json.load(sys.stdin))))")
        proc = subprocess.run([sys.executable, "-c", script], input=json.dumps(bench_queries()), text=True,
                              capture_output=True, cwd=datasets.ROOT, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
