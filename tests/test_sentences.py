"""Sentence vectors stored at build time and read by the direct answer (keyword fake encoder)."""

import numpy as np
import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING

from rag import SearchSettings, build_index, document_from_text, load_index, read_document
from rag.index import sentences
from rag.index.integrity import IndexCorruptError
from rag.index.store import current_version
from rag.text import sentence_spans

IUU = "nhiệm vụ chống khai thác hải sản bất hợp pháp"

HUY_HIEU = """BAN TỔ CHỨC THÀNH ỦY

HƯỚNG DẪN
về xét tặng Huy hiệu Đảng

1. Huy hiệu 40 năm tuổi Đảng được xét tặng cho đảng viên có đủ 40 năm tuổi đảng. Hồ sơ gửi về Ban Tổ chức.

2. Huy hiệu 30 năm tuổi Đảng được xét tặng cho đảng viên có đủ 30 năm tuổi đảng.
"""


class NoSpans(KeywordEncoder):
    """An encoder without ``encode_passage_spans``: nothing is stored, sentences are encoded when asked."""

    def __getattribute__(self, name):
        if name == "encode_passage_spans":
            raise AttributeError(name)
        return super().__getattribute__(name)


def _docs():
    return [read_document(FOUNDING, FOUNDING.parent), document_from_text("huy-hieu.txt", HUY_HIEU)]


@pytest.fixture
def built(tmp_path):
    encoder = KeywordEncoder()
    build_index(documents=_docs(), index=tmp_path / "index", embedder=encoder)
    return tmp_path / "index", encoder


def test_every_sentence_of_every_chunk_is_stored(built):
    folder, encoder = built
    index = load_index(folder, embedder=encoder)
    backend = index.backend
    stored = 0
    for row in range(backend.size):
        chunk = backend.chunk(row)
        found = backend.sentences(chunk.id)
        assert found.text == chunk.text
        assert [tuple(s) for s in found.spans.tolist()] == sentence_spans(chunk.text.rstrip())
        for (a, b), vector in zip(found.spans, found.vectors, strict=True):
            assert float(vector @ encoder._vector(chunk.text[a:b])) > 0.999
        stored += len(found.spans)
    assert stored > backend.size  # long clauses hold several sentences
    assert backend.sentences("no-such-chunk") is None
    assert index.meta.settings["sentences"] == {"splitter": sentences.SPLITTER_VERSION, "pooling": "apart"}


def test_an_update_keeps_the_sentences_of_unchanged_documents(built):
    folder, encoder = built
    before = load_index(folder, embedder=encoder).backend
    kept = {before.chunk(r).id: before.sentences(before.chunk(r).id) for r in range(before.size)}
    docs = [*_docs(), document_from_text("moi.txt", "KẾ HOẠCH\n\n1. Tổ chức hội nghị. Báo cáo kết quả.\n")]
    report = build_index(documents=docs, index=folder, embedder=encoder)
    assert not report.full_rebuild
    after = load_index(folder, embedder=encoder).backend
    for chunk_id, old in kept.items():
        new = after.sentences(chunk_id)
        assert np.array_equal(new.spans, old.spans) and np.array_equal(new.vectors, old.vectors)
    added = [after.chunk(r).id for r in range(after.size) if after.chunk(r).doc_id == "moi.txt"]
    assert sum(len(after.sentences(c).spans) for c in added) >= 2


def test_the_direct_answer_reads_stored_vectors_without_encoding(built):
    folder, encoder = built
    index = load_index(folder, embedder=encoder, settings=SearchSettings(abstain_below=0))
    encoded = len(encoder.passages)
    answer = index.answer(IUU)
    assert answer.direct and "khai thác hải sản bất hợp pháp" in answer.direct[0].text
    assert len(encoder.passages) == encoded  # no sentence was encoded at question time


def test_without_stored_sentences_the_answer_encodes_them(tmp_path):
    encoder = NoSpans()
    build_index(documents=_docs(), index=tmp_path / "index", embedder=encoder)
    index = load_index(tmp_path / "index", embedder=encoder, settings=SearchSettings(abstain_below=0))
    assert all(len(index.backend.sentences(index.backend.chunk(r).id).spans) == 0
               for r in range(index.backend.size))
    encoded = len(encoder.passages)
    answer = index.answer(IUU)
    assert answer.direct and "khai thác hải sản bất hợp pháp" in answer.direct[0].text
    assert len(encoder.passages) > encoded


def test_sentence_files_that_disagree_with_the_chunks_are_refused(built):
    folder, encoder = built
    version = current_version(folder)
    data = dict(np.load(version / sentences.INDEX))
    data["offsets"] = data["offsets"][:-1]
    np.savez(version / sentences.INDEX, **data)
    with pytest.raises(IndexCorruptError):
        load_index(folder, embedder=encoder)


@pytest.mark.parametrize("pooling", ["late", "sideways"])
def test_a_pooling_the_encoder_cannot_do_is_refused_before_any_work(tmp_path, pooling):
    encoder = KeywordEncoder()
    with pytest.raises(ValueError, match="pooling"):
        build_index(documents=_docs(), index=tmp_path / "index", embedder=encoder, sentence_pooling=pooling)
    assert encoder.passages == [] and current_version(tmp_path / "index") is None


def test_pooling_none_stores_no_sentence_and_a_change_of_pooling_re_embeds(tmp_path):
    encoder = KeywordEncoder()
    build_index(documents=_docs(), index=tmp_path / "index", embedder=encoder, sentence_pooling="none")
    backend = load_index(tmp_path / "index", embedder=encoder).backend
    assert backend.meta.settings["sentences"]["pooling"] == "none"
    assert all(len(backend.sentences(backend.chunk(r).id).spans) == 0 for r in range(backend.size))
    report = build_index(documents=_docs(), index=tmp_path / "index", embedder=encoder)
    assert report.full_rebuild and "settings changed" in report.reason
