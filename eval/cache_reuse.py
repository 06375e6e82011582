"""How many embedding vectors the embedding cache reuses when the chunker changes.

Usage:
    python -m eval.cache_reuse [--old 2b5d7b3^] [--new 2b5d7b3] [--corpus ../shared/corpus/laws-vlc]
                               [--full-build] [--out eval/out/cache-reuse.json]

``--old`` and ``--new`` are each a folder holding a checkout of the project (a git worktree)
or a commit of this repository, checked out into a temporary worktree that is removed at the
end. For each, a child process with ``PYTHONPATH`` set to that checkout (``rag.__file__`` is
checked) runs that version's own ``rag.build_index`` on the corpus into a temporary index
folder, with a recording encoder that keeps every text it is asked to embed. By default the
encoder stops the build at its first ``encode_passages`` call: builds up to chunker v3 embed
every clause in that one call, before BM25 tokenising (underthesea, minutes), and the child
checks that the call held one text per clause read. ``--full-build`` lets the build run to
its end with random unit vectors instead (needed for builds that embed in batches).

The texts are then keyed with this checkout's :meth:`rag.index.embed_cache.EmbeddingCache.key`
(sha256 of model fingerprint, passage prompt and ``normalize_text(text).strip()``), and the
new version's keys are looked up among the old version's: the share found is what a cache
filled by the old build would have served to the new one. Also reported: the share of the
new version's clause ids absent from the old version, and (labelled "today's pipeline") the
passages and sentence texts this checkout's ``rag.index.sentences.embed`` (default pooling
``apart``) would send for each version's clauses. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "laws-vlc"
DEFAULT_OUT = ROOT / "eval" / "out" / "cache-reuse.json"
DIMENSION = 8


class _Stop(Exception):
    """Raised by the recording encoder to end a build once its texts are recorded."""


class _Recorder:
    """An encoder that records every text it is asked to embed (the child process's side).

    Args:
        stop: Raise :class:`_Stop` at the first call instead of returning vectors.
    """

    def __init__(self, stop: bool) -> None:
        self.stop = stop
        self.info = SimpleNamespace(name="cache-reuse-recorder", dimension=DIMENSION, engine="recorder",
                                    source="", path="", query_prompt="query: ", passage_prompt="passage: ")
        self.can_pool_late = False
        self.calls: list[dict] = []

    def _vectors(self, count: int):
        import numpy as np

        vectors = np.random.default_rng(len(self.calls)).standard_normal((count, DIMENSION))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def encode_passages(self, texts, *, show_progress: bool = False, **_):
        self.calls.append({"kind": "passage", "texts": list(texts)})
        if self.stop:
            raise _Stop
        return self._vectors(len(texts))

    def encode_queries(self, texts, **_):
        return self._vectors(len(texts))

    def encode_passage_spans(self, texts, spans, *, late: bool = False, show_progress: bool = False):
        sentences = [text[a:b] for text, cuts in zip(texts, spans, strict=True) for a, b in cuts]
        self.calls.append({"kind": "passage", "texts": list(texts)})
        self.calls.append({"kind": "sentence", "texts": sentences})
        if self.stop:
            raise _Stop
        vectors, flat, out, at = self._vectors(len(texts)), self._vectors(len(sentences)), [], 0
        for cuts in spans:
            out.append(flat[at:at + len(cuts)])
            at += len(cuts)
        return vectors, out


def _record(tree: Path, corpus: Path, out: Path, full_build: bool) -> None:
    """Child process: run ``tree``'s build on ``corpus`` and write what it embedded to ``out``."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]  # eval/datasets.py…
    import rag

    if not Path(rag.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"rag resolves to {rag.__file__}, not under {tree}")
    clauses: list[dict] = []

    def wrap(read):
        def reading(*args, **kwargs):
            doc = read(*args, **kwargs)
            if doc is not None:
                clauses.extend({"id": c.id, "doc_id": c.doc_id, "path": c.path, "text": c.text,
                                "headings": list(c.headings), "title": doc.title} for c in doc.clauses)
            return doc
        return reading

    patched = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "rag" and callable(getattr(module, "try_read", None)):
            module.try_read = wrap(module.try_read)
            patched.append(name)
    recorder = _Recorder(stop=not full_build)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cache-reuse-index-") as index:
        try:
            rag.build_index(corpus, index, embedder=recorder, rebuild=True)
        except _Stop:
            pass
    seconds = time.perf_counter() - started
    passages = sum(len(c["texts"]) for c in recorder.calls if c["kind"] == "passage")
    if not full_build and passages != len(clauses):
        raise SystemExit(f"the build's first encoder call held {passages} texts for {len(clauses)} clauses: "
                         "it embeds in several calls; run with --full-build")
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    chunking = sys.modules.get("rag.chunking") or sys.modules.get("rag.ingest.chunking")
    record = {"tree": str(tree), "commit": commit, "rag_file": rag.__file__,
              "chunker_version": getattr(chunking, "CHUNKER_VERSION", None),
              "patched": patched, "stopped_at_first_call": not full_build, "seconds": round(seconds, 1),
              "calls": recorder.calls, "clauses": clauses}
    out.write_text(json.dumps(record, ensure_ascii=False), "utf-8")


def _checkout(spec: str, repo: Path, made: list[Path]) -> Path:
    """A folder with ``spec``'s files: ``spec`` itself, or a new worktree of commit ``spec``."""
    if Path(spec).is_dir():
        return Path(spec).resolve()
    folder = Path(tempfile.mkdtemp(prefix="cache-reuse-tree-")) / "tree"
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(folder), spec], check=True,
                   capture_output=True)
    made.append(folder)
    return folder


def _run_version(tree: Path, corpus: Path, full_build: bool) -> dict:
    """Record ``tree``'s embedded texts in a child process whose ``rag`` is ``tree``'s."""
    with tempfile.TemporaryDirectory(prefix="cache-reuse-") as folder:
        out = Path(folder) / "record.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--record-into", str(out),
                   "--tree", str(tree), "--corpus", str(corpus)] + (["--full-build"] if full_build else [])
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(command, env=env, cwd=tree, check=True)
        return json.loads(out.read_text("utf-8"))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _compare(old: list[str], new: list[str], key) -> dict:
    """Counts and reuse shares of the ``new`` texts' keys among the ``old`` texts' keys."""
    old_keys = {key(t) for t in old}
    new_keys = [key(t) for t in new]
    distinct = set(new_keys)
    hits = sum(1 for k in new_keys if k in old_keys)
    return {"old_texts": len(old), "old_distinct": len(old_keys), "new_texts": len(new),
            "new_distinct": len(distinct), "reused_requests": hits,
            "reuse_of_requests": _share(hits, len(new)), "reused_distinct": len(distinct & old_keys),
            "reuse_of_distinct": _share(len(distinct & old_keys), len(distinct)),
            "to_embed": len(distinct - old_keys), "old_keys_unused": len(old_keys - distinct)}


def _texts(record: dict, kind: str) -> list[str]:
    return [t for call in record["calls"] if call["kind"] == kind for t in call["texts"]]


def _clause_changes(old: dict, new: dict, key) -> dict:
    """Clause ids that moved, and why the new version's missed keys missed."""
    old_ids = {c["id"] for c in old["clauses"]}
    new_ids = [c["id"] for c in new["clauses"]]
    old_text = {(c["doc_id"], c["text"]) for c in old["clauses"]}
    old_pairs = {(c["id"], c["text"]) for c in old["clauses"]}
    old_keys = {key(t) for t in _texts(old, "passage")}
    texts = _texts(new, "passage")
    per_doc: Counter = Counter()
    misses = trail_only = 0
    aligned = len(texts) == len(new["clauses"])  # one passage per clause, in order (else not analysed)
    for clause, text in zip(new["clauses"], texts if aligned else [], strict=False):
        if key(text) not in old_keys:
            misses += 1
            per_doc[clause["doc_id"]] += 1
            trail_only += (clause["doc_id"], clause["text"]) in old_text
    moved = sum(1 for i in new_ids if i not in old_ids)
    same_text_moved = sum(1 for c in new["clauses"] if (c["doc_id"], c["text"]) in old_text
                          and (c["id"], c["text"]) not in old_pairs)
    docs = {c["doc_id"] for c in new["clauses"]}
    return {"old_clauses": len(old["clauses"]), "new_clauses": len(new_ids),
            "new_ids_absent_from_old": moved, "share_new_ids_absent_from_old": _share(moved, len(new_ids)),
            "old_ids_absent_from_new": len(old_ids - set(new_ids)),
            "share_old_ids_absent_from_new": _share(len(old_ids - set(new_ids)), len(old_ids)),
            "new_clauses_same_text_other_id": same_text_moved,
            "missed_passages": misses, "missed_with_clause_text_unchanged": trail_only,
            "documents": len(docs), "documents_with_a_miss": len(per_doc),
            "misses_by_document": dict(per_doc.most_common())}


def _todays_pipeline(record: dict) -> dict[str, list[str]]:
    """Passage and sentence texts this checkout's builder would embed for ``record``'s clauses."""
    from rag.index import sentences
    from rag.index.build import context_text
    from rag.models.embedding import encode_spans_apart

    recorder = _Recorder(stop=False)
    recorder.encode_passage_spans = lambda texts, spans, late=False, show_progress=False: \
        encode_spans_apart(recorder, texts, spans)
    clauses = record["clauses"]
    texts = [context_text(c["headings"], c["text"], c["title"], "title+headings") for c in clauses]
    sentences.embed(recorder, texts, [c["text"] for c in clauses], pooling="apart")
    passages, sentence_texts = recorder.calls[0]["texts"], recorder.calls[1]["texts"] if \
        len(recorder.calls) > 1 else []
    return {"passage": passages, "sentence": sentence_texts}


def _table(rows: list[tuple[str, dict]]) -> str:
    head = ("texts", "old texts", "old distinct", "new texts", "new distinct", "reuse/requests",
            "reuse/distinct", "to embed")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, r in rows:
        pct = [f"{100 * v:.2f} %" if v is not None else "–" for v in (r["reuse_of_requests"],
                                                                      r["reuse_of_distinct"])]
        lines.append(f"| {label} | {r['old_texts']:,} | {r['old_distinct']:,} | {r['new_texts']:,} | "
                     f"{r['new_distinct']:,} | {pct[0]} | {pct[1]} | {r['to_embed']:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure the cache's reuse between two versions; print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default="2b5d7b3^",
                        help="old version: a checkout folder or a commit (default: 2b5d7b3^, chunker v2)")
    parser.add_argument("--new", default="2b5d7b3",
                        help="new version: a checkout folder or a commit (default: 2b5d7b3, chunker v3)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="corpus folder both versions build (default: ../shared/corpus/laws-vlc)")
    parser.add_argument("--repo", type=Path, default=ROOT,
                        help="git repository in which commits are checked out (default: this one)")
    parser.add_argument("--full-build", action="store_true",
                        help="let each build run to its end (BM25 tokenising included) instead of stopping "
                             "at its first encoder call")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="JSON file written (default: eval/out/cache-reuse.json)")
    parser.add_argument("--record-into", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.record_into:
        _record(args.tree, args.corpus, args.record_into, args.full_build)
        return 0
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus folder not found: {args.corpus}")

    from rag.index.embed_cache import EmbeddingCache

    started, made, records = time.perf_counter(), [], {}
    try:
        for side, spec in (("old", args.old), ("new", args.new)):
            tree = _checkout(spec, args.repo, made)
            records[side] = _run_version(tree, args.corpus.resolve(), args.full_build)
            record = records[side]
            record["spec"] = spec
            print(f"{side}: {spec} = {record['commit'][:10]} (chunker v{record['chunker_version']}), "
                  f"{len(record['clauses']):,} clauses, recorded in {record['seconds']} s", file=sys.stderr)
    finally:
        for folder in made:
            subprocess.run(["git", "-C", str(args.repo), "worktree", "remove", "--force", str(folder)],
                           check=False, capture_output=True)
    old, new = records["old"], records["new"]
    info = SimpleNamespace(name="cache-reuse", engine="", dimension=DIMENSION, passage_prompt="passage: ",
                           path="")
    with tempfile.TemporaryDirectory(prefix="cache-reuse-db-") as folder:
        cache = EmbeddingCache(folder, info)
        key = cache.key
        built = {kind: _compare(_texts(old, kind), _texts(new, kind), key) for kind in ("passage", "sentence")
                 if _texts(old, kind) or _texts(new, kind)}
        built["all"] = _compare([t for c in old["calls"] for t in c["texts"]],
                                [t for c in new["calls"] for t in c["texts"]], key)
        clauses = _clause_changes(old, new, key)
        today_old, today_new = _todays_pipeline(old), _todays_pipeline(new)
        today = {kind: _compare(today_old[kind], today_new[kind], key) for kind in ("passage", "sentence")}
        today["all"] = _compare(today_old["passage"] + today_old["sentence"],
                                today_new["passage"] + today_new["sentence"], key)
        cache.close()
    result = {
        "corpus": str(args.corpus.resolve()),
        "versions": {side: {k: r[k] for k in ("spec", "commit", "chunker_version", "rag_file", "patched",
                                               "stopped_at_first_call", "seconds")}
                     | {"encoder_calls": [{"kind": c["kind"], "texts": len(c["texts"])} for c in r["calls"]]}
                     for side, r in records.items()},
        "key": "EmbeddingCache.key: sha256(fingerprint, passage prompt, normalize_text(text).strip())",
        "as_built": built,
        "clauses": clauses,
        "todays_pipeline": today,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(f"As built by each version ({old['spec']} -> {new['spec']}):")
    print(_table([(k, v) for k, v in built.items()]))
    print(f"\nNew clause ids absent from the old version: {clauses['new_ids_absent_from_old']:,} of "
          f"{clauses['new_clauses']:,} ({100 * clauses['share_new_ids_absent_from_old']:.2f} %); "
          f"missed passages whose clause text is unchanged (trail only): "
          f"{clauses['missed_with_clause_text_unchanged']:,} of {clauses['missed_passages']:,}; "
          f"documents with a miss: {clauses['documents_with_a_miss']} of {clauses['documents']}")
    print("\nToday's pipeline (this checkout's sentences.embed, pooling 'apart') on each version's clauses:")
    print(_table([(k, v) for k, v in today.items()]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"\nwrote {args.out} ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
