"""Partitions by year or issuer in Milvus, measured: filtered search latency on three layouts.

Usage:
    python -m eval.milvus_partitions [--index eval/out/bench/index-100k] [--limit 100] [--questions 60]
                                     [--out eval/reports/milvus-partitions.json]

The clauses, vectors and BM25 tokens of an embedded index (by default the benchmark's 87k
tier) are loaded into three Milvus Lite collections in a temporary folder: ``plain`` (the
backend's schema), ``partition_key_year`` (``year`` as the partition key, 16 buckets) and
``partitions_by_year`` (one named partition per year; a year filter also names the
partitions to search). The first ``--questions`` party-gold questions are then searched,
dense and BM25, unfiltered and under a one-year, a six-year and an issuer filter built by the
backend's own expression builder. Printed and written: insert seconds per layout and p50/p95
ms per layout, filter and side, plus how many rows each filter admits.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from . import datasets
from .bench import bench_queries

LAYOUTS = ("plain", "partition_key_year", "partitions_by_year")


def _blocks(root: Path):
    from rag.index import store
    from rag.index.embedded_writer import EmbeddedWriter

    live = store.current_version(root)
    writer = EmbeddedWriter(root, live)
    return list(writer._blocks.values())


def _partition(year: int) -> str:
    return f"y{year}" if year >= 0 else "undated"


def _load(client, layout: str, blocks, dimension: int) -> float:
    """Create and fill one layout's collection; returns the insert seconds."""
    from rag.index.milvus.schema import chunk_index_params, chunk_schema
    from rag.index.milvus.writer import INSERT_BATCH, chunk_entities

    started = time.perf_counter()
    key = "year" if layout == "partition_key_year" else None
    extra = {"num_partitions": 16} if key else {}
    client.create_collection(layout, schema=chunk_schema(dimension, partition_key=key),
                             index_params=chunk_index_params(client), **extra)
    groups: dict[str | None, list[dict]] = {}
    row = 0
    for block in blocks:
        entities = chunk_entities(block, np.arange(row, row + len(block.chunks)))
        row += len(block.chunks)
        name = _partition(entities[0]["year"]) if layout == "partitions_by_year" and entities else None
        groups.setdefault(name, []).extend(entities)
    for name, entities in groups.items():
        if name is not None and not client.has_partition(layout, name):
            client.create_partition(layout, name)
        for at in range(0, len(entities), INSERT_BATCH):
            client.insert(layout, entities[at:at + INSERT_BATCH], partition_name=name or "")
    client.load_collection(layout)
    return time.perf_counter() - started


def _filters(documents) -> dict:
    """Filter cases from the corpus: its most common year, a six-year span, its most common issuer."""
    from rag.index.backend import Filters

    years = Counter(d.year for d in documents if d.year is not None)
    issuers = Counter(d.issuer for d in documents if d.issuer)
    year = years.most_common(1)[0][0]
    return {"none": Filters(), f"year {year}": Filters(year_from=year, year_to=year),
            f"years {year - 5}-{year}": Filters(year_from=year - 5, year_to=year),
            f"issuer {issuers.most_common(1)[0][0]}": Filters(issuer=issuers.most_common(1)[0][0])}


def _time(client, layout: str, data, field: str, where: str | None, partitions: list[str],
          limit: int) -> float:
    started = time.perf_counter()
    hits = client.search(layout, data=[data], anns_field=field, filter=where or "", limit=limit,
                         output_fields=["row"], partition_names=partitions or None)[0]
    list(hits.ids)
    return (time.perf_counter() - started) * 1000


def measure(index: Path, limit: int, count: int) -> dict:
    """Load the three layouts and time every question under every filter."""
    from pymilvus import MilvusClient

    from rag.index.lexical import query_tokens
    from rag.index.milvus import expressions as ex
    from rag.index.milvus.schema import analyzer_text
    from rag.models.embedding import Embedder

    blocks = _blocks(index)
    documents = [b.row for b in blocks]
    dimension = int(blocks[0].vectors.shape[1])
    questions = bench_queries()[:count]
    vectors = Embedder().encode_queries(questions)
    texts = [analyzer_text(query_tokens(q, "words+syllables", accentless=False)) for q in questions]
    filters = _filters(documents)
    out = {"index": str(index), "rows": sum(len(b.chunks) for b in blocks), "questions": len(questions),
           "limit": limit, "insert_s": {}, "filters": {}, "latency": {}}
    with tempfile.TemporaryDirectory() as folder:
        client = MilvusClient(str(Path(folder) / "partitions.db"))
        for layout in LAYOUTS:
            out["insert_s"][layout] = round(_load(client, layout, blocks, dimension), 1)
            print(f"{layout}: inserted in {out['insert_s'][layout]} s", file=sys.stderr)
        for name, filt in filters.items():
            admitted = [d for d in documents if filt.admits(d)]
            where = ex.expression(filt, documents)
            years = sorted({_partition(ex.UNDATED if d.year is None else d.year) for d in admitted})
            out["filters"][name] = {"expression": where, "rows": sum(len(b.chunks) for b in blocks
                                                                     if filt.admits(b.row))}
            for layout in LAYOUTS:
                partitions = years if layout == "partitions_by_year" and name.startswith("year") else []
                for side, field, queries in (("dense", "dense", [v.tolist() for v in vectors]),
                                             ("bm25", "bm25", texts)):
                    lat = [_time(client, layout, q, field, where, partitions, limit) for q in queries]
                    out["latency"].setdefault(name, {}).setdefault(layout, {})[side] = {
                        "p50_ms": round(float(np.percentile(lat, 50)), 1),
                        "p95_ms": round(float(np.percentile(lat, 95)), 1)}
        client.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure and write the JSON report; print a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m eval.milvus_partitions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=datasets.OUT / "bench" / "index-100k",
                        help="Embedded index whose rows are loaded (default: the benchmark's 100k tier).")
    parser.add_argument("--limit", type=int, default=100, help="Top-k of every search (default: 100).")
    parser.add_argument("--questions", type=int, default=60,
                        help="Party-gold questions timed per layout, filter and side (default: 60).")
    parser.add_argument("--out", type=Path, default=datasets.EVAL_DIR / "reports" / "milvus-partitions.json",
                        help="JSON report (default: eval/reports/milvus-partitions.json).")
    args = parser.parse_args(argv)
    if not args.index.is_dir():
        print(f"skipped: {args.index} is absent (python -m eval.bench --tiers 100k builds it)",
              file=sys.stderr)
        return 2
    result = measure(args.index, args.limit, args.questions)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print("| filter (rows) | layout | dense p50/p95 ms | bm25 p50/p95 ms |\n|---|---|---|---|")
    for name, layouts in result["latency"].items():
        for layout, sides in layouts.items():
            cells = [f"{sides[s]['p50_ms']}/{sides[s]['p95_ms']}" for s in ("dense", "bm25")]
            print(f"| {name} ({result['filters'][name]['rows']:,}) | {layout} | {' | '.join(cells)} |")
    print(f"insert s: {result['insert_s']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
