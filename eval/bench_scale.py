"""The benchmark's 1 M tier: a real index's clauses copied until a million rows, vectors perturbed.

How the index is made (:func:`scale_index`):

- **Source**: an index version built from real documents with real vectors (the ``100k``
  tier: the whole of ``../shared/corpus``, 87,272 clauses, embedded with the bundled model).
- **Copies**: copy 0 is the source as it is; copies r = 1, 2, … repeat its documents in
  index order, whole documents only, until the target is reached (1,000,000 rows: 11 full
  copies and part of a 12th; the exact count is recorded).
- **Ids**: document ``d`` of copy r becomes ``d~r{r}`` and its chunk ids follow
  (``d~r3#II.2.6``); ``source`` and ``title`` get the same mark, ``sha256`` is re-hashed.
- **Metadata**: the year of a copy's date is moved back r years and its issuer is that of
  the document r places further down the source's list, so year and issuer filters select
  a different mix of texts in every copy; type and number are kept.
- **Text and BM25 tokens**: the source's, unchanged (``tokens.jsonl`` rows are copied, not
  re-segmented).
- **Vectors**: a copy's vector is ``normalise(v + σ·g/√d)``, g standard normal, so copies are
  near their original but not on it; the mean cosine to the original is recorded
  (σ = 0.33: ~0.95). Sentence vectors (for direct answers) are the source's, unperturbed.
- **Files**: written with the project's own code — chunks, documents and the row table by
  :func:`rag.index.row_table.write`, BM25 by :class:`rag.index.lexical.Lexical` (bm25s, the
  source's parameters), FAISS by :class:`rag.index.dense.Dense` (``auto`` kind unless told),
  sentence files in :mod:`rag.index.sentences`'s layout, diacritics counts scaled by the
  number of copies, ``meta.json`` with checksums, published by :mod:`rag.index.store` — so
  :func:`rag.load_index` reads it as any index. ``meta.json`` records ``scaled_from``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys
import time
from pathlib import Path

import numpy as np

from rag import vietnamese as vn
from rag.index import format as fmt
from rag.index import integrity, row_table, sentences, store
from rag.index.dense import Dense
from rag.index.diacritics import Restorer
from rag.index.lexical import Lexical
from rag.index.rows import ChunkRow, DocRow

log = logging.getLogger(__name__)
NOISE = 0.33


@dataclasses.dataclass
class Source:
    """The parts of the source version that are copied."""

    folder: Path
    meta: object
    documents: list[DocRow]
    chunks: list[ChunkRow]
    tokens: list[list[str]]
    doc_rows: list[tuple[int, int]]  # per document: its first row and the row after its last


def read_source(path: Path) -> Source:
    """The live version of the index at ``path`` (or the version folder itself)."""
    path = Path(path)
    folder = path if (path / fmt.META).exists() else store.current_version(path)
    if folder is None:
        raise FileNotFoundError(f"no index in {path}")
    meta = fmt.read_meta(folder)
    documents = fmt.parse_documents((folder / fmt.DOCUMENTS).read_bytes())
    chunks = fmt.parse_chunks((folder / fmt.CHUNKS).read_bytes())
    interned: dict[str, str] = {}
    tokens = [[interned.setdefault(t, t) for t in row] for row in fmt.read_tokens(folder)]
    bounds: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        bounds.setdefault(chunk.doc_id, [row, row])[1] = row + 1
    doc_rows = [tuple(bounds.get(d.id, (0, 0))) for d in documents]
    if sum(b - a for a, b in doc_rows) != len(chunks):
        raise ValueError(f"{folder}: a document's rows are not contiguous")
    return Source(folder, meta, documents, chunks, tokens, doc_rows)


def plan_copies(doc_rows: list[tuple[int, int]], target: int) -> list[tuple[int, int]]:
    """``(copy, document position)`` pairs in row order, whole documents, until ``target`` rows."""
    plan, total = [], 0
    sizes = [b - a for a, b in doc_rows]
    if not any(sizes):
        raise ValueError("the source index has no chunks")
    copy = 0
    while total < target:
        for position, size in enumerate(sizes):
            if total >= target:
                break
            plan.append((copy, position))
            total += size
        copy += 1
    return plan


def copy_document(doc: DocRow, copy: int, issuer: str | None) -> DocRow:
    """Copy ``copy`` of a document: marked ids, its year moved back ``copy`` years, ``issuer``."""
    if copy == 0:
        return doc
    date = doc.date
    if date:
        rest = date[4:].replace("-02-29", "-02-28")
        date = f"{int(date[:4]) - copy:04d}{rest}"
    mark = f"~r{copy}"
    return dataclasses.replace(doc, id=doc.id + mark, source=doc.source + mark, date=date, issuer=issuer,
                               sha256=hashlib.sha256((doc.sha256 + mark).encode()).hexdigest(),
                               title=f"{doc.title} (bản sao {copy})" if doc.title else doc.title)


def _chunks(src: Source, plan, docs: list[DocRow]):
    for (_, position), doc in zip(plan, docs, strict=True):
        a, b = src.doc_rows[position]
        old = src.documents[position].id
        for chunk in src.chunks[a:b]:
            yield chunk if doc.id == old else dataclasses.replace(chunk, id=doc.id + chunk.id[len(old):],
                                                                  doc_id=doc.id)


def source_rows(src: Source, plan) -> tuple[np.ndarray, np.ndarray]:
    """Per output row: the source row it copies and its copy number."""
    rows = [np.arange(*src.doc_rows[p], dtype=np.int64) for _, p in plan]
    copies = [np.full(len(r), c, np.int32) for r, (c, _) in zip(rows, plan, strict=True)]
    return np.concatenate(rows), np.concatenate(copies)


def perturbed_vectors(base: np.ndarray, rows: np.ndarray, copies: np.ndarray, sigma: float,
                      seed: int = 0) -> tuple[np.ndarray, float]:
    """The output vectors (copy 0 as is) and the mean cosine of a perturbed copy to its original."""
    rng = np.random.default_rng(seed)
    out = np.empty((len(rows), base.shape[1]), np.float32)
    cosines, block = [], 65_536
    for a in range(0, len(rows), block):
        original = base[rows[a:a + block]]
        noisy = original + rng.standard_normal(original.shape, np.float32) * (sigma / np.sqrt(base.shape[1]))
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        moved = copies[a:a + block] > 0
        out[a:a + block] = np.where(moved[:, None], noisy, original)
        if moved.any():
            cosines.append(np.einsum("ij,ij->i", noisy[moved], original[moved]))
    return out, float(np.concatenate(cosines).mean()) if cosines else 1.0


def write_sentences(src: Source, folder: Path, rows: np.ndarray) -> int:
    """The sentence files for ``rows`` (source rows), in :mod:`rag.index.sentences`'s layout."""
    stored = sentences.StoredSentences(src.folder, len(src.chunks))
    counts = np.diff(stored.offsets)[rows]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    flat = np.lib.format.open_memmap(folder / sentences.VECTORS, mode="w+", dtype=np.float16,
                                     shape=(int(offsets[-1]), stored.vectors.shape[1]))
    spans, at = [], 0
    # Every copy is a prefix of the source's rows: its sentences are a prefix of the source's too.
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    for piece in np.split(rows, breaks):
        a, b = int(stored.offsets[piece[0]]), int(stored.offsets[piece[-1] + 1])
        flat[at:at + b - a] = stored.vectors[a:b]
        spans.append(stored.spans[a:b])
        at += b - a
    flat.flush()
    del flat
    np.savez(folder / sentences.INDEX, spans=np.concatenate(spans).astype(np.int32), offsets=offsets)
    return int(offsets[-1])


def replicated_vectors(source: Path, rows: int, sigma: float = NOISE, seed: int = 0
                       ) -> tuple[np.ndarray, list[DocRow], np.ndarray]:
    """The vectors :func:`scale_index` writes (same seed), with the documents and each row's document."""
    src = read_source(source)
    plan = plan_copies(src.doc_rows, rows)
    issuers = [d.issuer for d in src.documents]
    docs = [copy_document(src.documents[p], c, issuers[(p + c) % len(issuers)]) for c, p in plan]
    out_rows, copies = source_rows(src, plan)
    base = Dense.load(src.folder / fmt.VECTORS, src.meta.faiss["kind"]).vectors()
    vectors, _ = perturbed_vectors(base, out_rows, copies, sigma, seed)
    row_doc = np.repeat(np.arange(len(plan)), [src.doc_rows[p][1] - src.doc_rows[p][0] for _, p in plan])
    return vectors, docs, row_doc


def tier_masks(documents: list[DocRow], row_doc: np.ndarray) -> dict[str, np.ndarray]:
    """Row masks of three filters: a span of years, a document type, one large document."""
    from rag.index.backend import Filters

    largest = int(np.bincount(row_doc).argmax())
    filters = {"years 2010-2014": Filters(year_from=2010, year_to=2014), "type Nghị quyết": Filters(
        doc_type="Nghị quyết"), "one document": Filters(doc_ids=(documents[largest].id,))}
    return {name: np.array([f.admits(d) for d in documents])[row_doc] for name, f in filters.items()}


def _restorer(src: Source, factor: float) -> Restorer | None:
    path = src.folder / fmt.DIACRITICS
    if not path.exists():
        return None
    base = Restorer.load(path)
    scale = lambda counts: {k: max(1, round(v * factor)) for k, v in counts.items()}  # noqa: E731
    return Restorer(scale(base.unigrams), scale(base.bigrams))


def scale_index(source: Path, target: Path, rows: int = 1_000_000, *, sigma: float = NOISE,
                faiss_kind: str = "auto", seed: int = 0) -> dict:
    """Write the replicated index (see the module docstring) as the live version of ``target``.

    Returns:
        What was made and how long each step took (seconds).
    """
    started, times = time.perf_counter(), {}
    src = read_source(source)
    plan = plan_copies(src.doc_rows, rows)
    issuers = [d.issuer for d in src.documents]
    docs = [copy_document(src.documents[p], c, issuers[(p + c) % len(issuers)]) for c, p in plan]
    out_rows, copies = source_rows(src, plan)
    with store.writer_lock(target):
        work = store.new_workspace(target)
        t = time.perf_counter()
        base = Dense.load(src.folder / fmt.VECTORS, src.meta.faiss["kind"]).vectors()
        vectors, cosine = perturbed_vectors(base, out_rows, copies, sigma, seed)
        times["vectors_s"] = time.perf_counter() - t
        t = time.perf_counter()
        dense = Dense.build(vectors, faiss_kind)
        dense.save(work / fmt.VECTORS)
        times["faiss_s"] = time.perf_counter() - t
        del vectors
        dense.index = None  # free it before BM25 is built
        t = time.perf_counter()
        count = row_table.write(work, _chunks(src, plan, docs), docs)
        fmt.write_jsonl(work / fmt.TOKENS, (src.tokens[r] for r in out_rows))
        sentence_count = write_sentences(src, work, out_rows)
        restorer = _restorer(src, len(out_rows) / len(src.chunks))
        if restorer is not None:
            restorer.save(work / fmt.DIACRITICS)
        times["rows_s"] = time.perf_counter() - t
        t = time.perf_counter()
        folded = [vn.folded_tokens(row) for row in src.tokens]
        Lexical.build([src.tokens[r] for r in out_rows], src.meta.lexical,
                      folded=[folded[r] for r in out_rows]).save(work / fmt.BM25)
        times["bm25_s"] = time.perf_counter() - t
        how = {"source": str(src.folder), "source_chunks": len(src.chunks), "copies": plan[-1][0] + 1,
               "noise_sigma": sigma, "mean_cosine_to_original": round(cosine, 4), "seed": seed,
               "method": "eval/bench_scale.py"}
        files = {d.id: dict(src.meta.files.get(src.documents[p].id, {}), sha256=d.sha256)
                 for d, (_, p) in zip(docs, plan, strict=True)}
        meta = dataclasses.replace(src.meta, counts={"documents": len(docs), "chunks": count}, files=files,
                                   faiss={"kind": dense.kind, "metric": "inner_product"},
                                   built_at=fmt.utc_now(),
                                   build_seconds=round(time.perf_counter() - started, 1),
                                   extra={**src.meta.extra, "scaled_from": how})
        t = time.perf_counter()
        fmt.write_meta(work, dataclasses.replace(meta, checksums=integrity.checksums(work)))
        version = store.publish(target, work)
        store.cleanup(target)
        times["checksums_s"] = time.perf_counter() - t
    return {**how, "clauses": count, "documents": len(docs), "sentences": sentence_count,
            "faiss_kind": dense.kind, "version": version.name,
            "build_seconds": round(time.perf_counter() - started, 1),
            **{k: round(v, 1) for k, v in times.items()}}


if __name__ == "__main__":  # python -m eval.bench_scale SOURCE TARGET [ROWS]
    logging.basicConfig(level=logging.INFO)
    target_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    print(scale_index(Path(sys.argv[1]), Path(sys.argv[2]), target_rows))
