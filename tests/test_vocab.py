"""One document-type vocabulary (rag.vocab) and one citation label, wherever they are used."""

import json
import shutil

from fake_encoder import KeywordEncoder
from helpers import FOUNDING

from rag import build_index, load_index
from rag.answer.labels import citation_label
from rag.answer.render import hit_record, hits_by_year
from rag.cli import main
from rag.ingest.layout import paragraphs
from rag.ingest.metadata import extract
from rag.search.references import find_references
from rag.vietnamese import fold
from rag.vocab import NUMBER_CODES, REFERENCE_TYPES

BODY = "\n\nTại Hội nghị ngày 11/10/2024, Ban Chấp hành đã thống nhất nội dung sau đây.\n"


def _type(text, filename="doc.txt"):
    return extract(text, paragraphs(text), filename)["doc_type"]


def test_qd_in_a_number_is_not_guessed_to_be_a_decision():
    # 294-QĐ/TW is a Quy định; 99-QĐ/TW a Quyết định: the code alone cannot tell them apart.
    assert _type("Số 294-QĐ/TW" + BODY) is None
    assert _type("Số 294-QĐ/TW" + BODY, "quy-dinh-294.txt") == "Quy định"
    assert _type("Số 294-QĐ/TW\n\nQUY ĐỊNH\nvề thi hành Điều lệ Đảng" + BODY) == "Quy định"
    assert _type("Số 99-QĐ/TW\n\nQUYẾT ĐỊNH\nvề thành lập Ban chỉ đạo" + BODY) == "Quyết định"
    assert _type("Số 57-NQ/TW" + BODY) == "Nghị quyết"
    assert _type("Số: 35/2025/QĐ-UBND" + BODY) == "Quyết định"  # state numbering: always a decision


def test_references_read_the_same_codes_as_metadata():
    for code, types in NUMBER_CODES.items():
        if not set(types) <= set(REFERENCE_TYPES):
            continue
        refs = find_references(f"nội dung của văn bản số 12-{code}/TW")
        assert [r.number for r in refs] == [12], code
        assert refs[0].types == {fold(t).lower() for t in types}, code
    assert find_references("Quy định 294")[0].types == {"quy dinh"}


def test_the_cli_the_api_and_the_views_label_a_hit_alike(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FOUNDING, corpus / FOUNDING.name)
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    hit = index.search("khai thác IUU", k=1, mode="bm25")[0]
    label = citation_label(hit)
    assert label == "Kết luận Thị ủy Đức Phổ ngày 11/10/2024 — mục II.2.6"
    assert hit_record(hit)["label"] == label and f"**{label}**" in hits_by_year([hit])
    args = ["search", "khai thác IUU", "--index", str(tmp_path / "index"), "--mode", "bm25", "-k", "1"]
    assert main(args) == 0
    assert label in capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["label"] == label
