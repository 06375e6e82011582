"""Experiment: adapt the bundled encoder to party and legal text on the CPU (issue 15, item 9).

Usage:
    python -m eval.adapt [--corpus DIR …] [--steps 600] [--batch 24] [--lr 2e-5] [--seed 0] [--json]

Training pairs come from the documents only, never from questions: *inverse cloze* (one
sentence of a clause as the query, the rest of the clause as the passage) and *heading →
clause* (a heading as the query, a clause under it as the passage). The loss is in-batch
contrastive (multiple-negatives ranking, scale 20), the optimiser AdamW with a linear
warm-up. The model starts from the bundled multilingual-e5-small (its sentence-transformers
conversion) and is written to ``$RAG_CACHE_DIR/models/adapted-<settings hash>`` (never into
the repository); build and evaluate with it by path::

    python -m eval.run --dataset party-gold --split dev --model <that folder>

Prints the folder (or, with ``--json``, a JSON record with the settings, pairs and loss) on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import time
from pathlib import Path

from rag.ingest.documents import ingest_folder
from rag.models.cache import cache_root
from rag.text import sentence_spans
from rag.vocab import PASSAGE_PROMPT, QUERY_PROMPT

from . import datasets

log = logging.getLogger(__name__)
DEFAULT_CORPORA = ("party", "laws-vlc", "local-gov")
MIN_QUERY_CHARS = 40


def training_pairs(documents, rng: random.Random) -> list[tuple[str, str]]:
    """(query, passage) pairs: inverse cloze over multi-sentence clauses, heading → clause."""
    pairs = []
    for doc in documents:
        for clause in doc.clauses:
            text = clause.text.strip()
            spans = [(a, b) for a, b in sentence_spans(text) if b - a >= MIN_QUERY_CHARS]
            if len(sentence_spans(text)) >= 2 and spans:
                a, b = rng.choice(spans)
                rest = (text[:a] + " " + text[b:]).strip()
                if len(rest) >= MIN_QUERY_CHARS:
                    pairs.append((text[a:b], rest))
            if clause.headings and len(clause.headings[-1].split()) >= 3 and len(text) >= MIN_QUERY_CHARS:
                pairs.append((clause.headings[-1], text))
    rng.shuffle(pairs)
    return pairs


def train(pairs: list[tuple[str, str]], out: Path, *, steps: int, batch: int, lr: float, seed: int,
          max_length: int) -> list[float]:
    """Fine-tune the bundled model's sentence-transformers conversion; returns the loss per step."""
    import torch
    from sentence_transformers import SentenceTransformer

    from rag.models.convert import ensure_default_model

    torch.manual_seed(seed)
    model = SentenceTransformer(str(ensure_default_model()), device="cpu")
    model.max_seq_length = max_length
    model.train()
    # The 250k-row word table (96M of the 118M weights) stays frozen: on 2 cores its dense
    # AdamW update cost more than the forward and backward passes together.
    trained = [p for name, p in model.named_parameters() if "word_embeddings" not in name]
    for name, p in model.named_parameters():
        p.requires_grad = "word_embeddings" not in name
    optimiser = torch.optim.AdamW(trained, lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    losses, started = [], time.perf_counter()
    for step in range(steps):
        chunk = [pairs[(step * batch + i) % len(pairs)] for i in range(batch)]
        queries = model.preprocess([QUERY_PROMPT + q for q, _ in chunk])
        passages = model.preprocess([PASSAGE_PROMPT + p for _, p in chunk])
        q = torch.nn.functional.normalize(model(queries)["sentence_embedding"], dim=-1)
        p = torch.nn.functional.normalize(model(passages)["sentence_embedding"], dim=-1)
        loss = torch.nn.functional.cross_entropy(20.0 * q @ p.T, torch.arange(len(chunk)))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(round(float(loss.detach()), 4))
        if step % 25 == 0 or step == steps - 1:
            log.info("step %d/%d loss %.3f (%.0f s)", step + 1, steps, losses[-1],
                     time.perf_counter() - started)
    model.eval()
    model.save(str(out))
    return losses


def main(argv: list[str] | None = None) -> int:
    """Build the pairs, train, write the model folder and its record."""
    parser = argparse.ArgumentParser(prog="python -m eval.adapt", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path, metavar="DIR",
                        help="Folder of documents to draw pairs from (repeatable; default: "
                             "../shared/corpus/{party,laws-vlc,local-gov}).")
    parser.add_argument("--steps", type=int, default=600, help="Optimiser steps (default: 600).")
    parser.add_argument("--batch", type=int, default=24, help="Pairs per step, the in-batch negatives "
                                                                "(default: 24).")
    parser.add_argument("--lr", type=float, default=2e-5, help="Peak learning rate (default: 2e-5).")
    parser.add_argument("--max-length", type=int, default=128, help="Tokens per text (default: 128).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of pairs and training (default: 0).")
    parser.add_argument("--json", action="store_true", help="Print a JSON record instead of the folder.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    corpora = args.corpus or [datasets.SHARED / "corpus" / name for name in DEFAULT_CORPORA]
    missing = [str(c) for c in corpora if not c.is_dir()]
    if missing:
        print(f"error: not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings = {"corpora": sorted(c.name for c in corpora), "steps": args.steps, "batch": args.batch,
                "lr": args.lr, "max_length": args.max_length, "seed": args.seed, "version": 1}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    out = cache_root() / "models" / f"adapted-e5-small-{digest}"
    documents = [d for c in corpora for d in ingest_folder(c, progress=True).documents]
    pairs = training_pairs(documents, random.Random(args.seed))
    log.info("%d documents, %d pairs -> %s", len(documents), len(pairs), out)
    losses = train(pairs, out, steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed,
                   max_length=args.max_length)
    record = {"model": str(out), "settings": settings, "documents": len(documents), "pairs": len(pairs),
              "loss_first_25": sum(losses[:25]) / min(25, len(losses)),
              "loss_last_25": sum(losses[-25:]) / min(25, len(losses))}
    (out / "adapt.json").write_text(json.dumps({**record, "losses": losses}, indent=1) + "\n", "utf-8")
    print(json.dumps(record) if args.json else out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
