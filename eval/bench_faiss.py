"""FAISS index kinds compared on the same vectors: build time, size, one-thread latency, recall@10.

Usage (the 1 M comparison of eval/EXPERIMENTS.md):
    python -m eval.bench_faiss --scale-from eval/out/bench/index-100k [--rows 1000000] [--out eval/reports]

The vectors are those of the benchmark's ``1m`` tier (:mod:`eval.bench_scale`: the source's
real vectors, copied with noise), regenerated from the same seed; the queries are the bench
questions encoded by the bundled model. Recall@10 is against exact float32 search (numpy).
Builds use every core; searches one OpenMP thread, as a query process does
(:meth:`rag.index.dense.Dense.load`). Filtered recall is measured through
:meth:`rag.index.dense.Dense.search` (its ID-selector strategy) for the kinds it has.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.index import dense as dense_mod
from rag.index import format as fmt
from rag.index.dense import Dense

from . import datasets

# name: (factory string, search parameter, values tried, the Dense kind it is). IVF kinds after
# the first reuse its k-means lists (their build time excludes it; the first one's includes it).
CANDIDATES = {
    "fp16 scan": ("SQfp16", None, [None], "fp16"),
    "IVF SQ8": ("IVF{lists},SQ8", "nprobe", [32, 64, 128, 256], "ivf-sq8"),
    "IVF fp16": ("IVF{lists},SQfp16", "nprobe", [64, 128, 256], None),
    "IVF PQ48": ("IVF{lists},PQ48", "nprobe", [64, 256], None),
    "HNSW32 SQ8": ("HNSW32,SQ8", "efSearch", [64, 128, 256, 512], "hnsw"),  # filtered as Dense's hnsw
    "HNSW32 fp16": ("HNSW32,SQfp16", "efSearch", [64, 128, 256, 512], None),
}
DEFAULT_NAMES = ("fp16 scan", "IVF SQ8", "IVF fp16", "IVF PQ48", "HNSW32 SQ8")  # HNSW fp16: ~1 GB, too big


def _percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2)}


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10,
              mask: np.ndarray | None = None) -> np.ndarray:
    """Rows of the exact top ``k`` (float32 inner product) per query among ``mask`` rows (-1: none)."""
    best_scores = np.full((len(queries), k), -np.inf, np.float32)
    best_rows = np.full((len(queries), k), -1, np.int64)
    block = 131_072
    for a in range(0, len(vectors), block):
        scores = queries @ vectors[a:a + block].T
        if mask is not None:
            scores[:, ~mask[a:a + block]] = -np.inf
        top = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        rows = np.concatenate([best_rows, top + a], axis=1)
        keep = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, keep, axis=1)
        best_rows = np.take_along_axis(rows, keep, axis=1)
    return np.where(np.isfinite(best_scores), best_rows, -1)


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    """Mean share of the exact top 10 (valid rows) found."""
    shares = []
    for rows, exact in zip(found, truth, strict=True):
        exact = set(exact[exact >= 0].tolist())
        if exact:
            shares.append(len(exact & set(rows.tolist())) / len(exact))
    return round(float(np.mean(shares)), 4)


def _build(factory: str, vectors: np.ndarray, lists: dict):
    """The candidate index, trained and filled; IVF k-means centroids are kept in ``lists`` for the next."""
    faiss = dense_mod._faiss()
    nlist = dense_mod.ivf_lists(len(vectors))
    index = faiss.index_factory(vectors.shape[1], factory.format(lists=nlist), faiss.METRIC_INNER_PRODUCT)
    if factory.startswith("HNSW"):
        index.hnsw.efConstruction = dense_mod.HNSW_EF_CONSTRUCTION
    ivf = faiss.extract_index_ivf(index) if factory.startswith("IVF") else None
    if ivf is not None and nlist in lists:
        ivf.quantizer.add(lists[nlist])  # FAISS then trains only the codes, not the lists
    if not index.is_trained:
        size = dense_mod.IVF_TRAIN_PER_LIST * nlist if ivf is not None else 100_000
        index.train(dense_mod._training_sample(vectors, size))
    if ivf is not None:
        lists.setdefault(nlist, ivf.quantizer.reconstruct_n(0, nlist))
    index.add(vectors)
    return index


def _size_mb(index) -> float:
    faiss = dense_mod._faiss()
    with tempfile.NamedTemporaryFile(suffix=".faiss") as handle:
        faiss.write_index(index, handle.name)
        return round(Path(handle.name).stat().st_size / 2**20, 1)


def _timed(search, queries: np.ndarray) -> tuple[list[np.ndarray], dict]:
    found, lat = [], []
    for q in queries:
        t = time.perf_counter()
        rows = search(q)
        lat.append((time.perf_counter() - t) * 1000)
        found.append(rows)
    return found, _percentiles(lat)


def compare(vectors: np.ndarray, queries: np.ndarray, masks: dict[str, np.ndarray] | None = None,
            names: list[str] | None = None) -> dict:
    """Build each candidate of :data:`CANDIDATES` (or ``names``) and measure it."""
    faiss = dense_mod._faiss()
    masks = masks or {}
    truth = exact_top(vectors, queries)
    truths = {name: exact_top(vectors, queries, mask=m) for name, m in masks.items()}
    out = {"vectors": len(vectors), "queries": len(queries),
           "filters": {name: int(m.sum()) for name, m in masks.items()}, "kinds": {}}
    lists: dict = {}
    for name in names or list(CANDIDATES):
        factory, knob, values, kind = CANDIDATES[name]
        threads = faiss.omp_get_max_threads()
        t = time.perf_counter()
        reused = factory.startswith("IVF") and bool(lists)
        index = _build(factory, vectors, lists)
        entry = {"factory": factory, "build_s": round(time.perf_counter() - t, 1), "lists_reused": reused,
                 "index_mb": _size_mb(index), "settings": {}}
        faiss.omp_set_num_threads(1)
        for value in values:
            if knob == "efSearch":
                index.hnsw.efSearch = value
            elif knob == "nprobe":
                index.nprobe = value
            found, lat = _timed(lambda q, ix=index: ix.search(q[None], 10)[1][0], queries)
            setting = {**lat, "recall_at_10": recall(found, truth)}
            if kind:
                wrapped = Dense(index, kind)
                for mask_name, mask in masks.items():
                    found, lat = _timed(lambda q, w=wrapped, m=mask: w.search(q, 10, m)[1], queries)
                    setting[f"filter {mask_name}"] = {**lat, "recall_at_10": recall(found, truths[mask_name])}
            entry["settings"][str(value) if value is not None else "-"] = setting
            print(f"{name} {knob}={value}: {setting}", file=sys.stderr)
        faiss.omp_set_num_threads(threads)
        out["kinds"][name] = entry
        del index
    return out


def scan_curve(vectors: np.ndarray, queries: np.ndarray,
               sizes: tuple[int, ...] = (125_000, 250_000, 500_000, 1_000_000)) -> dict:
    """One-thread latency of the half-float scan over the first ``size`` vectors, for each size."""
    faiss = dense_mod._faiss()
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    out = {}
    for size in (s for s in sizes if s <= len(vectors)):
        index = Dense.build(vectors[:size], "fp16")
        out[str(size)] = _timed(lambda q, ix=index: ix.search(q, 10)[1], queries)[1]
        del index
    faiss.omp_set_num_threads(threads)
    return out


def to_markdown(result: dict) -> str:
    """The comparison as a table."""
    filters = list(result["filters"])
    head = ["kind", "setting", "build s", "index MB", "p50/p95 ms", "recall@10",
            *(f"{f} ({result['filters'][f]:,} rows): p50 ms / recall" for f in filters)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, entry in result["kinds"].items():
        for value, s in entry["settings"].items():
            build = f"{entry['build_s']}{' (lists reused)' if entry.get('lists_reused') else ''}"
            cells = [name, value, build, entry["index_mb"], f"{s['p50_ms']}/{s['p95_ms']}",
                     s["recall_at_10"],
                     *(f"{s[f'filter {f}']['p50_ms']} / {s[f'filter {f}']['recall_at_10']}"
                       if f"filter {f}" in s else "–" for f in filters)]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    if result.get("fp16_scan_by_size"):
        lines += ["", "fp16 scan, one thread, p50/p95 ms by collection size: " + "; ".join(
            f"{int(n):,}: {v['p50_ms']}/{v['p95_ms']}" for n, v in result["fp16_scan_by_size"].items())]
    return "\n".join(lines) + "\n"


def faiss_kinds(index_path: Path, query_vectors: np.ndarray) -> dict:
    """Latency and recall@10 of the half-float scan and HNSW against exact float32 search."""
    from rag.index import store

    folder = store.current_version(index_path)
    meta = fmt.read_meta(folder)
    vectors = Dense.load(folder / fmt.VECTORS, meta.faiss["kind"], threads=1).vectors()
    built = {}
    for kind in ("flat", "fp16", "hnsw"):
        t = time.perf_counter()
        built[kind] = Dense.build(vectors, kind)
        built[f"{kind}_build_s"] = time.perf_counter() - t
    lat: dict[str, list[float]] = {kind: [] for kind in ("flat", "fp16", "hnsw")}
    recall: dict[str, list[float]] = {"fp16": [], "hnsw": []}
    for q in query_vectors:
        found = {}
        for kind in lat:
            t = time.perf_counter()
            found[kind] = set(built[kind].search(q, 10)[1].tolist())
            lat[kind].append((time.perf_counter() - t) * 1000)
        for kind in recall:
            recall[kind].append(len(found["flat"] & found[kind]) / max(1, len(found["flat"])))
    out = {kind: _percentiles(values) for kind, values in lat.items()}
    out["live_kind"] = meta.faiss["kind"]
    out["hnsw_build_s"] = round(built["hnsw_build_s"], 1)
    for kind in recall:
        out[f"{kind}_recall_at_10"] = round(float(np.mean(recall[kind])), 4)
        ratio = out["flat"]["p50_ms"] / max(out[kind]["p50_ms"], 1e-6)
        out[f"latency_ratio_flat_over_{kind}"] = round(ratio, 2)
    return out


def live_recall(index_path: Path, source: Path, rows: int, query_vectors: np.ndarray) -> dict:
    """Latency and recall@10 of a scaled tier's live FAISS index against exact search.

    The exact search runs over the float32 vectors the index was built from, regenerated
    (:func:`eval.bench_scale.replicated_vectors`, same noise and seed); filtered recall over the
    rows three filters admit (:func:`eval.bench_scale.tier_masks`).
    """
    from rag.index import store

    from .bench_scale import NOISE, replicated_vectors, tier_masks

    folder = store.current_version(index_path)
    meta = fmt.read_meta(folder)
    how = meta.extra.get("scaled_from", {})
    sigma, seed = how.get("noise_sigma", NOISE), how.get("seed", 0)
    vectors, documents, row_doc = replicated_vectors(source, rows, sigma, seed)
    live = Dense.load(folder / fmt.VECTORS, meta.faiss["kind"], threads=1)
    found, lat = _timed(lambda q: live.search(q, 10)[1], query_vectors)
    out = {"live_kind": live.kind, **lat, "recall_at_10": recall(found, exact_top(vectors, query_vectors)),
           "filters": {}}
    for name, mask in tier_masks(documents, row_doc).items():
        found, lat = _timed(lambda q, m=mask: live.search(q, 10, m)[1], query_vectors)
        truth = exact_top(vectors, query_vectors, mask=mask)
        out["filters"][name] = {"rows": int(mask.sum()), **lat, "recall_at_10": recall(found, truth)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Compare the candidates on the 1 M tier's vectors and write ``faiss-<date>.json`` / ``.md``."""
    from rag import DEFAULT_MODEL, Embedder

    from .bench import bench_queries
    from .bench_scale import NOISE, replicated_vectors, tier_masks

    parser = argparse.ArgumentParser(prog="python -m eval.bench_faiss", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale-from", type=Path, default=datasets.OUT / "bench" / "index-100k")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kinds", default=",".join(DEFAULT_NAMES), help="Comma-separated CANDIDATES.")
    parser.add_argument("--out", type=Path, default=datasets.EVAL_DIR / "reports")
    args = parser.parse_args(argv)
    vectors, documents, row_doc = replicated_vectors(args.scale_from, args.rows, NOISE)
    queries = Embedder(DEFAULT_MODEL).encode_queries(bench_queries())
    names = [k.strip() for k in args.kinds.split(",")]
    result = compare(vectors, queries, tier_masks(documents, row_doc), names)
    result["fp16_scan_by_size"] = scan_curve(vectors, queries)
    result["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]  # other work on the machine
    result["date"] = time.strftime("%Y-%m-%d")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"faiss-{result['date']}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    stem.with_suffix(".md").write_text(to_markdown(result), "utf-8")
    print(to_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
