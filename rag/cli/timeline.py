"""``rag timeline``: the best clauses on a topic per year and issuer (:mod:`rag.answer.timeline`)."""

from __future__ import annotations

import argparse
import json

from .commands import _on_index


def run_timeline(args: argparse.Namespace) -> int:
    """Rag timeline: the same task across years, newest year first."""
    from ..answer.labels import citation_label
    from ..answer.timeline import UNKNOWN_ISSUER, UNKNOWN_YEAR, timeline

    def work(index) -> int:
        groups = timeline(index, args.query, per_group=max(1, args.per_group), depth=args.depth,
                          year_from=args.year_from, year_to=args.year_to, doc_type=args.doc_type,
                          issuer=args.issuer, implements=args.implements, mode=args.mode)
        if args.json:
            print(json.dumps({"query": args.query, "groups": [g.to_dict() for g in groups]},
                             ensure_ascii=False, indent=2))
            return 0
        if not groups:
            print("(không có điều khoản nào về chủ đề này / no matching clause)")
        year = object()
        for group in groups:
            if group.year != year:
                year = group.year
                print(f"\n== {group.year or UNKNOWN_YEAR} ==")
            more = f", {group.matched} liên quan" if group.matched > len(group.hits) else ""
            print(f"  {group.issuer or UNKNOWN_ISSUER} ({len(group.hits)} điều khoản{more})")
            for hit in group.hits:
                text = " ".join(hit.text.split())
                print(f"    - {citation_label(hit)}: {text[:160]}{'…' if len(text) > 160 else ''}")
        return 0

    return _on_index(args, work)


def add_timeline_command(commands, add_filters, modes) -> None:
    """Register ``rag timeline`` on the sub-command parser."""
    timeline = commands.add_parser(
        "timeline", help="The best clauses on a topic per year and issuer (the same task across years).",
        description="Search deeper than `rag search`, keep the clauses that hold most of the topic's "
                    "words or are close in meaning to the best one, and show the best of each year and "
                    "issuer, newest year first. Exit code 0: shown (possibly empty); 1: no index; "
                    "2: model unavailable or not the index's model.",
    )
    timeline.add_argument("query", metavar="TOPIC", help="The topic, e.g. 'phòng chống khai thác IUU'.")
    timeline.add_argument("--per-group", type=int, default=3, metavar="N",
                          help="Clauses shown per year and issuer (default: 3).")
    timeline.add_argument("--depth", type=int, default=200, metavar="N",
                          help="Clauses searched before grouping (default: 200).")
    add_filters(timeline)
    timeline.add_argument("--mode", choices=modes, default=modes[0], help="Retrieval mode (default: hybrid).")
    timeline.add_argument("--json", action="store_true",
                          help="Print one JSON object (query, groups with year, issuer, matched and hits).")
    timeline.set_defaults(func=run_timeline)
