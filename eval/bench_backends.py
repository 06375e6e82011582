"""The benchmark's backend comparison: one file tier built and probed on each backend, side by side.

``python -m eval.bench --backends embedded,milvus`` builds every file tier a second time on
Milvus Lite (same corpus, same encoder, same embedding cache) and probes it in a fresh process
like the embedded index; this module writes those rows as one table.
"""

from __future__ import annotations

HEADER = ("| tier | backend | clauses | vectors | build s | write s | index MB | cold start s "
          "| bm25 p50/p95 ms | dense p50/p95 ms | hybrid p50/p95 ms | ask p50/p95 ms | peak RSS MB |")


def _row(tier: str, backend: str, r: dict) -> str:
    q = r["query"]
    vectors = "real" if r["real_vectors"] else "synthetic"
    if r.get("build_reused"):
        vectors += f" (built {r.get('built_at', 'earlier')})"
    cells = [tier, backend, f"{r['clauses']:,}", vectors, r["build_seconds"], r.get("write_seconds", "–"),
             r["index_mb"], q["cold_start_s"],
             *(f"{q[m]['p50_ms']}/{q[m]['p95_ms']}" for m in ("bm25", "dense", "hybrid", "ask")),
             q["peak_rss_mb"]]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def backends_markdown(results: dict) -> list[str]:
    """The embedded and other-backend rows of every tier probed on more than one backend."""
    rows = []
    for tier, r in results["tiers"].items():
        if not r.get("backends"):
            continue
        rows.append(_row(tier, r.get("backend", "embedded"), r))
        rows.extend(_row(tier, name, other) for name, other in r["backends"].items())
    if not rows:
        return []
    return ["", "Backends side by side (same corpus, encoder and questions; each probed in a fresh process; "
            "the Milvus index is Milvus Lite, in-process, so its memory is in peak RSS):", "",
            HEADER, "|" + "---|" * 13, *rows, ""]
