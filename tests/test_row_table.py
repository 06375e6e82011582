"""The lazily read index (rag.index.row_table, rag.index.embedded) answers as the fully parsed one did."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil

import numpy as np
import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING, HDND_2018, KH_2020

from rag import build_index, document_from_text, load_index, read_document
from rag.index import embedded, store
from rag.index import format as fmt
from rag.index.backend import Filters, NewDocument
from rag.index.embedded import EmbeddedBackend
from rag.index.embedded_writer import EmbeddedWriter
from rag.index.integrity import IndexCorruptError, checksums
from rag.index.row_table import FILE, RowTable
from rag.index.rows import DocRow, LazyDocRow, Meta
from rag.records import Clause


def _old_clause_rows(chunks, row):
    groups: dict = {}
    for r, c in enumerate(chunks):
        groups.setdefault((c.doc_id, c.path), []).append(r)
    rows = groups[(chunks[row].doc_id, chunks[row].path)]
    return rows if len(rows) > 1 else [row]


def _old_children(chunks, row):
    """EmbeddedBackend.children as it was, over fully parsed chunks."""
    chunk = chunks[row]
    prefixes = (chunk.path + ".", chunk.path + "¶") if chunk.path else ("¶",)
    out = []
    for other in range(row + 1, len(chunks)):
        nxt = chunks[other]
        if nxt.doc_id != chunk.doc_id:
            break
        if nxt.path == chunk.path:
            continue
        if not nxt.path.startswith(prefixes):
            break
        if nxt.part == 1:
            out.append(other)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three documents, clauses split at 300 characters so that some have parts."""
    root = tmp_path_factory.mktemp("lazy")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    (corpus / "nq-12-2018.txt").write_text(HDND_2018, encoding="utf-8")
    (corpus / "kh-2020.txt").write_text(KH_2020, encoding="utf-8")
    build_index(corpus, root / "index", embedder=KeywordEncoder(), max_chars=300)
    return store.current_version(root / "index")


def _assert_like_parsed(backend: EmbeddedBackend, folder):
    chunks = fmt.parse_chunks((folder / fmt.CHUNKS).read_bytes())
    documents = fmt.parse_documents((folder / fmt.DOCUMENTS).read_bytes())
    assert backend.size == len(chunks)
    assert [backend.chunk(r) for r in range(len(chunks))] == chunks
    assert backend.documents() == documents and [d.to_dict() for d in backend.documents()] == \
        [d.to_dict() for d in documents]
    for doc in documents:
        assert backend.document(doc.id) == doc
        expected = sorted((c for c in chunks if c.doc_id == doc.id), key=lambda c: (c.start, c.part))
        assert backend.chunks_of(doc.id) == expected
    row_of = {c.id: row for row, c in enumerate(chunks)}  # a repeated id: the last row, as before
    for row, chunk in enumerate(chunks):
        assert backend.clause_rows(row) == _old_clause_rows(chunks, row)
        assert backend.children(row) == _old_children(chunks, row)
        assert backend.row_of(chunk.id) == row_of[chunk.id]
    return chunks, documents


def test_lazy_rows_equal_the_parsed_rows(built):
    backend = EmbeddedBackend(built)
    chunks, _ = _assert_like_parsed(backend, built)
    assert any(c.part > 1 for c in chunks) and any(backend.children(r) for r in range(len(chunks)))
    assert backend.chunk(-1) == chunks[-1] and backend.document("nope") is None
    assert backend.chunks_of("nope") == [] and backend.row_of("nope#1") is None
    with pytest.raises(IndexError):
        backend.chunk(len(chunks))
    found = backend.sentences(chunks[3].id)
    assert found.text == chunks[3].text and len(found.spans) == len(found.vectors) > 0


def test_filters_select_the_rows_of_admitted_documents(built):
    backend = EmbeddedBackend(built)
    chunks, documents = _assert_like_parsed(backend, built)
    by_id = {d.id: d for d in documents}
    for filters in (Filters(year_from=2019), Filters(year_to=2018), Filters(doc_type="Nghị quyết"),
                    Filters(issuer="hoi dong nhan dan"), Filters(doc_ids=("kh-2020.txt",)),
                    Filters(year_from=2000, doc_type="ke hoach")):
        mask = backend.select(filters).native
        assert mask.tolist() == [filters.admits(by_id[c.doc_id]) for c in chunks], filters
    assert backend.select(Filters()).native is None


def test_the_table_computed_from_the_files_equals_the_written_one(built):
    written, scanned = RowTable.load(built), RowTable.scan(built)
    for name in ("chunk_offsets", "chunk_doc", "clause", "part", "child_end", "id_hash", "doc_offsets"):
        assert np.array_equal(getattr(written, name), getattr(scanned, name)), name
    assert written.doc_meta == scanned.doc_meta


def test_an_index_written_without_a_row_table_loads_and_searches_the_same(built, tmp_path):
    root = tmp_path / "old"
    folder = root / built.name
    shutil.copytree(built, folder)
    (root / store.CURRENT).write_text(built.name + "\n", "utf-8")
    (folder / FILE).unlink()
    meta = fmt.read_meta(folder)
    fmt.write_meta(folder, dataclasses.replace(meta, checksums=checksums(folder)))
    _assert_like_parsed(EmbeddedBackend(folder), folder)
    old = load_index(root, embedder=KeywordEncoder())
    new = load_index(built.parent, embedder=KeywordEncoder())
    for query in ("nhiệm vụ chống khai thác IUU", "ngân sách năm 2018"):
        assert [h.chunk_id for h in old.search(query, k=5)] == [h.chunk_id for h in new.search(query, k=5)]


def test_a_line_that_is_not_its_row_is_refused_when_read(built, tmp_path, monkeypatch):
    folder = tmp_path / "swapped"
    shutil.copytree(built, folder)
    lines = (folder / fmt.CHUNKS).read_bytes().split(b"\n")
    first = 2
    chunk_id = json.loads(lines[first])["id"]
    other = chunk_id[:-1] + ("x" if chunk_id[-1] != "x" else "y")  # same length: offsets still fit
    lines[first] = lines[first].replace(json.dumps(chunk_id, ensure_ascii=False).encode(),
                                        json.dumps(other, ensure_ascii=False).encode(), 1)
    (folder / fmt.CHUNKS).write_bytes(b"\n".join(lines))
    with pytest.raises(IndexCorruptError, match="sha256 differs"):
        EmbeddedBackend(folder)  # a small file is hashed on load
    monkeypatch.setattr(embedded, "HASH_ON_LOAD_BYTES", 0)  # a large one: each line is checked when read
    backend = EmbeddedBackend(folder)
    with pytest.raises(IndexCorruptError, match="another chunk at row"):
        backend.chunk(first)


def _clause(doc_id, path, part=1, start=0):
    suffix = f"#{part}" if part > 1 else ""
    return Clause(f"{doc_id}#{path}{suffix}", doc_id, path, part, "item", path, (), f"{doc_id} {path} {part}",
                  start, start + 10)


def test_children_and_parts_of_unusual_paths(tmp_path):
    """Repeated paths, empty paths, paragraphs and parts, as EmbeddedBackend computed them before."""
    layouts = {
        "a": [("", 1), ("¶1", 1), ("¶2", 1), ("1", 1), ("1", 2), ("1.1", 1), ("1.1", 2), ("1.2", 1),
              ("1.2¶1", 1), ("2", 1), ("1", 1), ("1.1", 1), ("II", 1), ("II.1", 1)],
        "b": [("Điều 1", 1), ("Điều 1.1", 1), ("Điều 1.1.a", 1), ("Điều 1.1.a", 2), ("Điều 10", 1),
              ("Điều 1.2", 1)],
    }
    writer = EmbeddedWriter(tmp_path / "index")
    rng = np.random.default_rng(0)
    for doc_id, paths in layouts.items():
        clauses = tuple(_clause(doc_id, p, part, start=i) for i, (p, part) in enumerate(paths))
        row = DocRow(doc_id, doc_id, "txt", "text", "0" * 64, date="2020-01-01")
        writer.add_documents([NewDocument(row, clauses, rng.normal(size=(len(clauses), 8)).astype(np.float32),
                                          tuple(c.text for c in clauses))])
    version = writer.persist(Meta(format=fmt.FORMAT_VERSION, model={"name": "x", "dimension": 8}))
    _assert_like_parsed(EmbeddedBackend(version), version)


def test_lazy_document_rows_behave_as_rows():
    reads = []

    def load(doc_id):
        reads.append(doc_id)
        return "full text"

    row = LazyDocRow.of({"id": "d", "source": "d.txt", "format": "txt", "sha256": "x", "date": "2021-05-01",
                         "ocr": [90.0, None], "year": 2021}, load)
    plain = DocRow("d", "d.txt", "txt", "full text", "x", date="2021-05-01", ocr=(90.0, None))
    assert not reads and row.year == 2021 and row.ocr == (90.0, None)
    assert row == plain and plain == row and hash(row) == hash(plain) and row.text == "full text"
    changed = dataclasses.replace(row, title="T")
    assert type(changed) is DocRow and changed.text == "full text" and changed.title == "T"
    assert type(pickle.loads(pickle.dumps(row))) is DocRow and row.to_dict() == plain.to_dict()
    assert json.loads(json.dumps(row.to_dict()))["text"] == "full text"
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.title = "x"


def test_documents_read_from_memory_keep_their_texts(tmp_path):
    docs = [read_document(FOUNDING, FOUNDING.parent), document_from_text("nq-12-2018.txt", HDND_2018)]
    build_index(documents=docs, index=tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    assert [d.text for d in index.documents] == [d.text for d in docs]


@pytest.mark.parametrize("n", [50, 70_000, 300_000])
def test_bm25_top_rows_are_the_best_scores_first_rows_among_ties(n):
    rng = np.random.default_rng(n)
    for positive in (0.001, 0.3, 1.0):
        scores = np.where(rng.random(n) < positive, rng.integers(0, 50, n) / 7, 0).astype(np.float32)
        for k in (1, 10, 100, 1000):
            order = sorted((i for i in range(n) if scores[i] > 0), key=lambda i: (-scores[i], i))[:k]
            assert embedded.ArrayScores(scores).top(k) == {i: float(scores[i]) for i in order}


def test_documents_whose_rows_interleave_are_read_the_same(built, tmp_path):
    """No writer interleaves documents' rows, but a reader must not assume it."""
    from rag.index import row_table, sentences
    from rag.index.dense import Dense
    from rag.index.lexical import Lexical

    folder = tmp_path / "mixed"
    shutil.copytree(built, folder)
    chunks = fmt.parse_chunks((built / fmt.CHUNKS).read_bytes())
    order = sorted(range(len(chunks)), key=lambda r: (r % 3, r))  # every third row, three times over
    documents = fmt.parse_documents((built / fmt.DOCUMENTS).read_bytes())
    row_table.write(folder, [chunks[r] for r in order], documents)
    meta = fmt.read_meta(built)
    Dense.build(Dense.load(built / fmt.VECTORS, meta.faiss["kind"]).vectors()[order], "flat").save(
        folder / fmt.VECTORS)
    tokens = fmt.read_tokens(built)
    shutil.rmtree(folder / fmt.BM25)
    Lexical.build([tokens[r] for r in order], meta.lexical).save(folder / fmt.BM25)
    stored = sentences.StoredSentences(built, len(chunks))
    kept = [stored.of(r) for r in order]
    sentences.write(folder, [k[0] for k in kept], [k[1] for k in kept], stored.vectors.shape[1])
    fmt.write_meta(folder, dataclasses.replace(meta, faiss={"kind": "flat", "metric": "inner_product"},
                                               checksums=checksums(folder)))
    backend = EmbeddedBackend(folder)
    assert backend._by_doc is not None
    mixed, documents = _assert_like_parsed(backend, folder)
    by_id = {d.id: d for d in documents}
    for filters in (Filters(year_from=2019), Filters(doc_ids=("kh-2020.txt",))):
        assert backend.select(filters).native.tolist() == [filters.admits(by_id[c.doc_id]) for c in mixed]
