"""Grid search of search settings on a development split (never on test).

Usage:
    python -m eval.sweep --dataset party-gold --grid lexical_weight=0.5,1,2 --grid heading_weight=1,0.5
                         [--metric mrr@10] [--mode hybrid]

Loads the dataset's index once, scores every combination of the grid on the ``dev``
split and prints them best first.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys

from rag import DEFAULT_MODEL
from rag.index.build import CONTEXTS, DEFAULT_CONTEXT

from . import datasets
from .run import open_dataset_index, parse_settings, score_split


def main(argv: list[str] | None = None) -> int:
    """Run the sweep and print one line per setting combination."""
    parser = argparse.ArgumentParser(prog="python -m eval.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, choices=datasets.NAMES, help="Dataset (dev split).")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                        help="A setting and the values to try; repeatable.")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Fixed setting overrides applied to every combination.")
    parser.add_argument("--mode", default="hybrid", help="Retrieval mode (default: hybrid).")
    parser.add_argument("--metric", default="mrr@10", help="Metric to sort by (default: mrr@10).")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="Embedding model.")
    parser.add_argument("--context", choices=CONTEXTS, default=DEFAULT_CONTEXT,
                        help="Embedding context of the index to use (see eval.run).")
    args = parser.parse_args(argv)
    data = datasets.load(args.dataset)
    index = open_dataset_index(data, args.model, progress=False, context=args.context)
    axes = []
    for item in args.grid:
        name, _, values = item.partition("=")
        axes.append([f"{name}={v}" for v in values.split(",")])
    rows = []
    for combo in itertools.product(*axes) if axes else [()]:
        index.settings = parse_settings([*args.set, *combo])
        result = score_split(index, data, "dev", [args.mode])[args.mode]
        by_cat = {c: v["mrr@10"] for c, v in result["by_category"].items()}
        rows.append((result["metrics"][args.metric], combo, result["metrics"], by_cat,
                     result.get("abstention")))
    rows.sort(key=lambda r: -r[0])
    for value, combo, metrics, by_cat, _ in rows:
        cats = " ".join(f"{c}:{v:.2f}" for c, v in by_cat.items())
        print(f"{value:.4f}  {' '.join(combo) or '(defaults)'}  R@1 {metrics['recall@1']:.3f} "
              f"R@10 {metrics['recall@10']:.3f}  [{cats}]")
    print(f"\nbase settings: {dataclasses.asdict(parse_settings(args.set))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
