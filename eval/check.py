"""Re-run the pinned evaluations and fail on a regression (pyserini ``2cr`` style).

Usage:
    python -m eval.check [--only party-gold,alqac2023] [--tolerance 0.02] [--update]

``eval/expected.json`` pins, per dataset / split / mode, the metrics of the current
default configuration, with the ``command`` that reproduces each run; a run of kind
``answers`` pins the answer-level metrics of :mod:`eval.answers` (mode ``answer``). A metric more than
the tolerance away from its pin fails the check (exit code 1) in either direction: a drop
is a regression, a rise is a change nobody has pinned yet (re-pin with ``--update`` once
it is understood). Datasets whose data is absent are skipped with a message (exit code 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag import DEFAULT_MODEL

from . import datasets
from .answers import evaluate_answers
from .run import open_dataset_index, score_split

EXPECTED = Path(__file__).resolve().parent / "expected.json"


def compare(expected: dict[str, float], actual: dict[str, float], tolerance: float) -> list[str]:
    """Messages for every metric more than ``tolerance`` away from its pin, either way."""
    problems = []
    for name, value in expected.items():
        got = actual.get(name, 0.0)
        if got < value - tolerance:
            problems.append(f"{name}: {got:.4f} < pinned {value:.4f} - {tolerance} (regression)")
        elif got > value + tolerance:
            problems.append(f"{name}: {got:.4f} > pinned {value:.4f} + {tolerance} (unpinned gain)")
    return problems


def _flatten(result: dict) -> dict[str, float]:
    flat = dict(result["metrics"])
    for key in ("abstain_precision", "abstain_recall"):
        if key in result.get("abstention", {}):
            flat[key] = result["abstention"][key]
    return flat


def main(argv: list[str] | None = None) -> int:
    """Run every pinned evaluation; exit 1 on a regression."""
    parser = argparse.ArgumentParser(prog="python -m eval.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="Comma-separated datasets to check (default: all pinned).")
    parser.add_argument("--tolerance", type=float,
                        help="Allowed drop below a pin (default: the file's tolerance).")
    parser.add_argument("--update", action="store_true", help="Write the measured scores as the new pins.")
    parser.add_argument("--expected", type=Path, default=EXPECTED,
                        help="Pin file (default: eval/expected.json).")
    args = parser.parse_args(argv)
    pins = json.loads(args.expected.read_text("utf-8"))
    tolerance = args.tolerance if args.tolerance is not None else pins.get("tolerance", 0.02)
    only = set(args.only.split(",")) if args.only else None
    failures, loaded = [], {}
    for entry in pins["runs"]:
        name, split = entry["dataset"], entry["split"]
        if only and name not in only:
            continue
        try:
            data = datasets.load(name, **({"split": split} if name == "alqac2023" else {}))
        except datasets.DatasetUnavailable as exc:
            print(f"skipped {name}/{split}: {exc}")
            continue
        if name not in loaded:
            loaded[name] = open_dataset_index(data, pins.get("model", DEFAULT_MODEL), progress=False)
        if entry.get("kind") == "answers":
            results = {"answer": {"metrics": evaluate_answers(loaded[name], data, split)[0]}}
        else:
            results = score_split(loaded[name], data, split, list(entry["modes"]))
        for mode, expected in entry["modes"].items():
            actual = _flatten(results[mode])
            problems = compare(expected, actual, tolerance)
            status = "CHANGED" if problems else "ok"
            shown = " ".join(f"{k}={actual.get(k, 0.0):.3f}" for k in expected)
            print(f"{status:<10} {name}/{split}/{mode}: {shown}")
            command = entry.get("command", "?")
            failures += [f"{name}/{split}/{mode} {p} — reproduce: {command}" for p in problems]
            if args.update:
                entry["modes"][mode] = {k: actual[k] for k in expected if k in actual}
    if args.update:
        args.expected.write_text(json.dumps(pins, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"pins written to {args.expected}")
        return 0
    for failure in failures:
        print(f"changed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
