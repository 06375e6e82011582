"""The benchmark's replicated index (eval.bench_scale) loads and searches like a built one."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018, KH_2020

from eval.bench_faiss import exact_top, recall
from eval.bench_scale import read_source, replicated_vectors, scale_index, tier_masks
from rag import build_index, load_index
from rag.index import format as fmt
from rag.index import store
from rag.index.dense import Dense


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "nq-12-2018.txt").write_text(HDND_2018, encoding="utf-8")
    (corpus / "kh-2020.txt").write_text(KH_2020, encoding="utf-8")
    build_index(corpus, root / "source", embedder=KeywordEncoder())
    source = read_source(root / "source")
    made = scale_index(root / "source", root / "scaled", 3 * len(source.chunks) + 5, faiss_kind="flat")
    return root, source, made


def test_copies_have_their_own_ids_and_metadata(scaled):
    root, source, made = scaled
    index = load_index(root / "scaled", embedder=KeywordEncoder())
    n = len(source.chunks)
    assert made["clauses"] == index.backend.size > 3 * n and made["copies"] == 4
    chunks = [index.backend.chunk(r) for r in range(index.backend.size)]
    assert len({c.id for c in chunks}) == len(chunks)
    assert chunks[:n] == source.chunks  # copy 0 is the source
    copy = chunks[n + 4]
    assert copy.id.startswith(copy.doc_id + "#") and copy.doc_id.endswith("~r1")
    assert copy.text == source.chunks[4].text
    docs = {d.id: d for d in index.documents}
    original = source.documents[0]
    moved = docs[original.id + "~r2"]
    assert moved.year == original.year - 2 and moved.text == original.text and moved.sha256 != original.sha256
    tokens = fmt.read_tokens(store.current_version(root / "scaled"))
    assert tokens[n + 4] == fmt.read_tokens(source.folder)[4]
    meta = index.meta.extra["scaled_from"]
    assert 0.9 < meta["mean_cosine_to_original"] < 0.99 and meta["source_chunks"] == n


def test_the_scaled_index_searches_filters_and_answers(scaled):
    root, source, _ = scaled
    index = load_index(root / "scaled", embedder=KeywordEncoder(), verify=True)
    hits = index.search("nhiệm vụ chống khai thác IUU", k=5)
    assert hits and all(h.path == "II.2.6" for h in hits[:2])
    doc = source.documents[0].id + "~r3"
    assert {h.doc_id for h in index.search("khai thác IUU", k=5, doc_id=doc)} == {doc}
    year = index.backend.document(doc).year
    assert all(h.year == year for h in index.search("khai thác IUU", k=5, year_from=year, year_to=year))
    first = index.backend.chunk(len(source.chunks) + 3)
    assert index.backend.sentences(first.id).text == first.text


def test_regenerated_vectors_are_the_indexed_ones(scaled):
    root, source, made = scaled
    vectors, documents, row_doc = replicated_vectors(root / "source", 3 * len(source.chunks) + 5)
    live = Dense.load(store.current_version(root / "scaled") / fmt.VECTORS, "flat")
    np.testing.assert_allclose(live.vectors(), vectors)
    masks = tier_masks(documents, row_doc)
    assert set(masks) == {"years 2010-2014", "type Nghị quyết", "one document"}
    assert all(len(m) == len(vectors) for m in masks.values())
    truth = exact_top(vectors, vectors[:5])
    assert recall([t for t in truth], truth) == 1.0 and (truth[:, 0] == np.arange(5)).all()
