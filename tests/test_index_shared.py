"""Index of ../shared party + local-government documents with the keyword fake encoder (slow)."""

import pytest
from fake_encoder import KeywordEncoder
from helpers import shared_path

from rag import build_index, load_index
from rag.ingest.corpus import Corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    party, local = shared_path("corpus", "party"), shared_path("corpus", "local-gov")
    corpus = Corpus.of(tmp_path_factory.mktemp("corpus"), {"party": party, "local-gov": local})
    index_dir = tmp_path_factory.mktemp("idx") / "index"
    report = build_index(corpus, index_dir, embedder=KeywordEncoder())
    assert report.documents == 145 and not report.rejected
    return load_index(index_dir, embedder=KeywordEncoder())


def test_iuu_question_still_finds_2_6_in_the_top_3(index):
    hits = index.search("nhiệm vụ chống khai thác IUU", k=3)
    assert "party/ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt#II.2.6" in [h.clause_id for h in hits]


def test_year_filter_2016_2018_returns_only_hdnd_resolutions(index):
    for query in ("phát triển kinh tế - xã hội", "nhiệm vụ chống khai thác IUU", "ngân sách"):
        hits = index.search(query, k=30, year_from=2016, year_to=2018)
        assert hits, query
        for hit in hits:
            assert 2016 <= hit.year <= 2018
            assert hit.source.startswith("local-gov/hdnd-provinces-2016-2018/"), hit.source
            assert hit.doc_type == "Nghị quyết" and "HĐND" in hit.issuer, (hit.doc_type, hit.issuer)


def test_issuer_and_type_filters_are_accent_insensitive(index):
    hits = index.search("chuyển đổi số", k=20, issuer="bo chinh tri")
    assert hits and all("Bộ Chính trị" in h.issuer for h in hits)
    hits = index.search("chuyển đổi số", k=20, doc_type="NGHI QUYET", year_from=2024)
    assert hits and all(h.doc_type == "Nghị quyết" and h.year >= 2024 for h in hits)
