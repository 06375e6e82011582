"""Answer-level metrics: what a cadre sees, not only where the right clause ranks.

Usage:
    python -m eval.answers [--split dev|test] [--model NAME] [--set NAME=VALUE …]
                           [--direct NAME=VALUE …] [--bootstrap 1000] [--records FILE]

Per question of party-gold, ``Index.answer`` is asked as the app asks it, and scored:

* ``success_at_1``: the first cited clause is judged relevant (answerable questions);
* ``citation_precision``: the share of cited clauses judged relevant (answered questions);
* ``answer_accuracy``: the direct answer holds the expected fact — at least
  ``FACT_RECALL`` of the words of the question's ``answer`` span (answerable questions);
* ``abstain_precision`` / ``abstain_recall``: saying "not found" or refusing, where the
  positives are the unanswerable questions plus :data:`NOISE` inputs (empty, markup, symbols).

``--bootstrap N`` adds 95 % intervals (resampling questions). Prints JSON on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys

from rag import DEFAULT_MODEL
from rag.answer.direct import DirectSettings
from rag.vietnamese import fold

from . import datasets
from .run import open_dataset_index, parse_settings

FACT_RECALL = 0.7
NOISE = ("", "   ", "<img src=x onerror=alert(1)>", "???", "!!! ...", "**", "<script></script>", "-- --")
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [fold(w).lower() for w in _WORD.findall(text or "")]


def holds_fact(direct_text: str, span: str) -> bool:
    """True when ``direct_text`` contains at least :data:`FACT_RECALL` of the words of ``span``."""
    wanted, have = _words(span), set(_words(direct_text))
    return bool(wanted) and sum(w in have for w in wanted) / len(wanted) >= FACT_RECALL


def score_question(answer, relevant: dict[str, int], span: str | None) -> dict:
    """One question's record: what was cited, whether it was right, whether the fact is in the answer."""
    cited = [c.clause_id for c in answer.citations] if answer.found else []
    direct = " ".join(s.text for s in answer.direct)
    return {"found": answer.found, "refused": bool(answer.refused), "cited": cited,
            "success_at_1": bool(cited) and relevant.get(cited[0], 0) > 0,
            "citation_precision": sum(relevant.get(c, 0) > 0 for c in cited) / len(cited) if cited else None,
            "answer_correct": holds_fact(direct, span) if span else None, "direct": direct}


def summarize(records: list[dict]) -> dict:
    """Metrics over per-question records (see the module docstring)."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in answerable if r["citation_precision"] is not None]
    said = [r for r in records if not r["found"]]
    mean = lambda values: round(sum(values) / len(values), 4) if values else 0.0  # noqa: E731
    return {"questions": len(answerable), "unanswerable_and_noise": len(unanswerable),
            "success_at_1": mean([r["success_at_1"] for r in answerable]),
            "citation_precision": mean([r["citation_precision"] for r in answered]),
            "answer_accuracy": mean([bool(r["answer_correct"]) for r in answerable
                                     if r["answer_correct"] is not None]),
            "abstain_precision": mean([not r["answerable"] for r in said]),
            "abstain_recall": mean([not r["found"] for r in unanswerable]),
            "cited_per_answer": mean([len(r["cited"]) for r in answered])}


def bootstrap(records: list[dict], rounds: int, seed: int = 13) -> dict:
    """95 % percentile intervals of each metric, resampling questions with replacement."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, value in summarize([rng.choice(records) for _ in records]).items():
            samples.setdefault(name, []).append(value)
    return {name: [round(sorted(v)[int(0.025 * rounds)], 4), round(sorted(v)[int(0.975 * rounds) - 1], 4)]
            for name, v in samples.items() if name not in {"questions", "unanswerable_and_noise"}}


def evaluate_answers(index, data, split: str, k: int = 5) -> tuple[dict, list[dict]]:
    """Metrics and per-question records of ``index.answer`` on a dataset split (plus noise inputs)."""
    records = []
    for qid in data.split_ids(split):
        info = data.info[qid]
        answer = index.answer(data.queries[qid], k=k)
        records.append({"qid": qid, "category": info.get("category"), "answerable": info["answerable"],
                        **score_question(answer, data.qrels[split].get(qid, {}), info.get("answer"))})
    for n, text in enumerate(NOISE):
        answer = index.answer(text, k=k)
        records.append({"qid": f"noise-{n}", "category": "noise", "answerable": False,
                        **score_question(answer, {}, None)})
    return summarize(records), records


def direct_settings(pairs: list[str]) -> DirectSettings:
    """``DirectSettings`` with ``NAME=VALUE`` overrides (typed like the defaults)."""
    defaults, values = DirectSettings(), {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not hasattr(defaults, name):
            raise ValueError(f"bad --direct {pair!r}; settings: {', '.join(dataclasses.asdict(defaults))}")
        values[name] = type(getattr(defaults, name))(raw)
    return dataclasses.replace(defaults, **values)


def main(argv: list[str] | None = None) -> int:
    """Print answer metrics of party-gold as JSON; exit code 2 when ``../shared`` is absent."""
    parser = argparse.ArgumentParser(prog="python -m eval.answers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=("dev", "test"),
                        help="Split to score (default: dev).")
    parser.add_argument("--k", type=int, default=5, help="Clauses an answer cites at most (default: 5).")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"Embedding model name or folder (default: {DEFAULT_MODEL}).")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Override a search setting, e.g. --set answer_cut=0.8; repeatable.")
    parser.add_argument("--direct", action="append", default=[], metavar="NAME=VALUE",
                        help="Override a direct-answer weight (rag.answer.direct.DirectSettings), e.g. "
                             "--direct sentence_lexical=0.5; repeatable.")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="Add 95%% bootstrap intervals from N resamples (default: none).")
    parser.add_argument("--records", help="Also write the per-question records to this JSON-lines file.")
    args = parser.parse_args(argv)
    try:
        data = datasets.load("party-gold")
    except datasets.DatasetUnavailable as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    index = open_dataset_index(data, args.model, settings=parse_settings(args.set))
    try:
        index.direct_settings = direct_settings(args.direct)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    metrics, records = evaluate_answers(index, data, args.split, k=args.k)
    out = {"dataset": "party-gold", "split": args.split, "model": args.model, "settings": args.set,
           "direct": args.direct, "metrics": metrics}
    if args.bootstrap:
        out["intervals_95"] = bootstrap(records, args.bootstrap)
    by_category: dict[str, list[dict]] = {}
    for r in records:
        by_category.setdefault(r["category"], []).append(r)
    out["by_category"] = {c: summarize(rs) for c, rs in sorted(by_category.items())}
    if args.records:
        with open(args.records, "w", encoding="utf-8") as handle:
            for r in records:
                handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
