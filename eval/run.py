"""Score retrieval on an evaluation dataset, per mode, and write reports.

Usage:
    python -m eval.run --dataset party-gold|alqac2023 [--split dev|test] [--modes bm25,dense,hybrid]
                       [--model NAME_OR_PATH] [--k 10] [--out DIR] [--questions FILE]
                       [--backend embedded|milvus]

The dataset's corpus is indexed once per model under ``eval/out/indexes/`` (incremental,
so re-runs only search). Writes ``report.json``, a TREC run file per mode and per-query
results (rank of the first relevant hit) under ``--out`` (default ``eval/out/<dataset>/<split>``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path

from rag import DEFAULT_MODEL, build_index, load_index
from rag.index.build import CONTEXTS, DEFAULT_CONTEXT
from rag.search.settings import SearchSettings
from rag.vocab import BACKENDS, MODES

from . import datasets
from .metrics import METRICS, abstention, bootstrap_interval, evaluate, first_relevant_rank, per_query

HIT_DEPTH = 5  # hits fetched per wanted result, so article-level de-duplication still fills k
ANSWER_CLAUSES = 5  # clauses an answer cites (Index.answer default); abstention looks at these


def index_dir(dataset: str, model: str, context: str = DEFAULT_CONTEXT, backend: str = "embedded") -> Path:
    """Where a dataset's index for ``model`` (a non-default embedding context, another backend) lives."""
    name = f"{dataset}-{re.sub(r'[^A-Za-z0-9]+', '-', model).strip('-')}"
    if context != DEFAULT_CONTEXT:
        name += f"-{re.sub(r'[^A-Za-z0-9]+', '-', context)}"
    if backend != "embedded":
        name += f"-{backend}"
    return datasets.OUT / "indexes" / name


def open_dataset_index(data: datasets.Dataset, model: str, *, progress: bool = True,
                       settings: SearchSettings | None = None, context: str = DEFAULT_CONTEXT,
                       backend: str = "embedded"):
    """Build or update the dataset's index (on ``backend``), then load it."""
    folder = index_dir(data.name, model, context, backend)
    source = {"documents": data.documents} if data.documents is not None else {"corpus": data.corpus_dir}
    # The embedding cache beside the indexes: a rebuild after a chunker change (or of another
    # dataset holding the same texts) embeds only the passages it has not seen.
    report = build_index(index=folder, model=model, progress=progress, lock_timeout=3600, context=context,
                         sentence_pooling=data.sentence_pooling, cache=datasets.OUT / "embeddings",
                         backend=backend, **source)
    if report.changed_anything:
        print(report.summary().splitlines()[0], file=sys.stderr)
    return load_index(folder, settings=settings)


def rank_ids(index, data: datasets.Dataset, query: str, mode: str, k: int) -> tuple[list[str], list]:
    """Judged-id ranking (de-duplicated, best hit per id) and the raw hits for one query."""
    hits = index.search(query, k=k * HIT_DEPTH, mode=mode)
    ids: list[str] = []
    for hit in hits:
        key = data.doc_key(hit)
        if key not in ids:
            ids.append(key)
    return ids[:k], hits


def score_split(index, data: datasets.Dataset, split: str, modes: list[str], k: int = 10,
                bootstrap: int = 0) -> dict:
    """Metrics per mode (and per category), per-query records and TREC lines.

    With ``bootstrap`` resamples, each mode also gets ``intervals_95``: 95 % intervals of
    R@1 and MRR@10 over all questions and of MRR@10 per category.
    """
    qids = data.split_ids(split)
    qrels = data.qrels[split]
    answerable = {q: data.info[q].get("answerable", True) for q in qids}
    results = {}
    for mode in modes:
        rankings, per_query, trec, abstained = {}, [], [], {}
        started = time.perf_counter()
        for qid in qids:
            ids, hits = rank_ids(index, data, data.queries[qid], mode, k)
            rankings[qid] = ids
            confidence = index.confidence(hits[:ANSWER_CLAUSES], data.queries[qid])
            abstained[qid] = confidence is not None and confidence < index.settings.abstain_below
            relevant = qrels.get(qid, {})
            per_query.append({"qid": qid, "query": data.queries[qid],
                              "category": data.info[qid].get("category"),
                              "answerable": answerable[qid], "confidence": confidence,
                              "abstained": abstained[qid], "relevant": sorted(relevant),
                              "first_relevant_rank": first_relevant_rank(ids, relevant), "top": ids[:5]})
            trec += [f"{qid} Q0 {doc} {rank} {1.0 / rank:.6f} {mode}" for rank, doc in enumerate(ids, 1)]
        seconds = time.perf_counter() - started
        metrics = evaluate(qrels, rankings)
        by_category = {}
        for category in sorted({data.info[q].get("category", "") for q in qids}):
            members = {q: qrels[q] for q in qids if data.info[q].get("category") == category and q in qrels}
            if members:
                by_category[category] = {"n": len(members), **evaluate(members, rankings)}
        entry = {"metrics": metrics, "by_category": by_category, "queries": len(qids),
                 "judged": sum(1 for q in qids if q in qrels), "seconds": round(seconds, 2),
                 "per_query": per_query, "trec": trec}
        if not all(answerable.values()) and mode != "bm25":
            entry["abstention"] = {"threshold": index.settings.abstain_below,
                                   **abstention(answerable, abstained)}
        if bootstrap:
            entry["intervals_95"] = _intervals(data, qids, qrels, rankings, bootstrap)
        results[mode] = entry
    return results


def _intervals(data: datasets.Dataset, qids: list[str], qrels: dict, rankings: dict, rounds: int) -> dict:
    out = {m: bootstrap_interval(per_query(qrels, rankings, m), rounds) for m in ("recall@1", "mrr@10")}
    for category in sorted({data.info[q].get("category", "") for q in qids}):
        members = {q: qrels[q] for q in qids if data.info[q].get("category") == category and q in qrels}
        if members:
            out[f"mrr@10/{category}"] = bootstrap_interval(per_query(members, rankings, "mrr@10"), rounds)
    return out


def parse_settings(pairs: list[str]) -> SearchSettings:
    """``SearchSettings`` with ``NAME=VALUE`` overrides (values typed like the defaults)."""
    defaults = SearchSettings()
    values = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not hasattr(defaults, name):
            raise ValueError(f"bad --set {pair!r}; settings: {', '.join(dataclasses.asdict(defaults))}")
        kind = type(getattr(defaults, name))
        if kind is tuple:  # stages=dense,lexical,fuse
            values[name] = tuple(x.strip() for x in raw.split(",") if x.strip())
        elif kind is bool:  # bool("False") is True; an empty value means false (``--grid name=,1``)
            if raw.lower() not in ("true", "false", "1", "0", ""):
                raise ValueError(f"bad --set {pair!r}: {name} takes true or false")
            values[name] = raw.lower() in ("true", "1")
        else:
            values[name] = kind(raw)
    return dataclasses.replace(defaults, **values)


def format_table(dataset: str, split: str, results: dict) -> str:
    """Markdown table of metrics per mode."""
    has_abstention = any("abstention" in r for r in results.values())
    head = ["mode", *METRICS] + (["abst. P", "abst. R"] if has_abstention else [])
    lines = [f"{dataset} / {split}", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for mode, result in results.items():
        row = [mode] + [f"{result['metrics'][m]:.3f}" for m in METRICS]
        if has_abstention:
            ab = result.get("abstention")
            row += [f"{ab['abstain_precision']:.2f}", f"{ab['abstain_recall']:.2f}"] if ab else ["–", "–"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def write_reports(out: Path, dataset: str, split: str, model: str, results: dict, extra: dict) -> None:
    """``report.json``, ``run-<mode>.trec`` and ``per-query-<mode>.jsonl`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report = {"dataset": dataset, "split": split, "model": model, **extra,
              "modes": {m: {k: v for k, v in r.items() if k not in ("per_query", "trec")}
                        for m, r in results.items()}}
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    for mode, result in results.items():
        (out / f"run-{mode}.trec").write_text("\n".join(result["trec"]) + "\n", "utf-8")
        with open(out / f"per-query-{mode}.jsonl", "w", encoding="utf-8") as handle:
            for row in result["per_query"]:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of ``python -m eval.run``."""
    parser = argparse.ArgumentParser(prog="python -m eval.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, choices=datasets.NAMES, help="Dataset to score.")
    parser.add_argument("--split", default="dev", help="Split to score: dev or test (default: dev).")
    parser.add_argument("--modes", default="bm25,dense,hybrid",
                        help="Comma-separated retrieval modes (default: bm25,dense,hybrid).")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"Embedding model (default: {DEFAULT_MODEL}).")
    parser.add_argument("--k", type=int, default=10, help="Ranking depth scored (default: 10).")
    parser.add_argument("--out", type=Path, help="Report folder (default: eval/out/<dataset>/<split>).")
    parser.add_argument("--questions", type=Path,
                        help="alqac2023 only: a question file in train.json's format (default: train.json).")
    parser.add_argument("--context", choices=CONTEXTS, default=DEFAULT_CONTEXT,
                        help=f"What precedes each clause when embedding (default: {DEFAULT_CONTEXT}); "
                             "another value builds a separate index.")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Override a search setting (rag.search.searcher.SearchSettings), e.g. "
                             "--set lexical_weight=2 --set fusion=linear; repeatable.")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="Add 95%% intervals of R@1 and MRR@10 (overall and per category) from N "
                             "resamples of the questions (default: none).")
    parser.add_argument("--backend", choices=BACKENDS, default="embedded",
                        help="Index backend to score (default: embedded; milvus: a Milvus Lite file "
                             "beside the index).")
    parser.add_argument("--no-choices", action="store_true",
                        help="alqac2023 only: do not append multiple-choice options to questions.")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit code 2 when the dataset's data is absent."""
    args = build_parser().parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(f"error: unknown mode(s) {unknown}; expected {MODES}", file=sys.stderr)
        return 1
    kwargs = {}
    if args.dataset == "alqac2023":
        kwargs = {"questions": args.questions, "split": args.split, "with_choices": not args.no_choices}
    try:
        data = datasets.load(args.dataset, **kwargs)
    except datasets.DatasetUnavailable as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    try:
        settings = parse_settings(args.set)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    index = open_dataset_index(data, args.model, settings=settings, context=args.context,
                               backend=args.backend)
    results = score_split(index, data, args.split, modes, k=args.k, bootstrap=args.bootstrap)
    out = args.out or datasets.OUT / args.dataset / args.split
    write_reports(out, args.dataset, args.split, args.model, results,
                  {**data.extra, "context": args.context, "backend": args.backend,
                   "settings": dataclasses.asdict(settings)})
    print(format_table(args.dataset, args.split, results))
    for mode, result in results.items():
        if "intervals_95" in result:
            print(f"{mode} 95% intervals: " + ", ".join(f"{name} {lo:.3f}–{hi:.3f}"
                                                       for name, (lo, hi) in result["intervals_95"].items()))
    print(f"\nreports in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
