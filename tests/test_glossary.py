import pytest

from rag.search.glossary import load_glossary, read_entries


def test_bundled_glossary_has_at_least_40_acronyms():
    glossary = load_glossary()
    assert len(glossary) >= 40
    acronyms = {e.acronym for e in glossary.entries}
    assert {"IUU", "OCOP", "NTM", "MTTQ", "HĐND", "UBND", "KT-XH", "QP-AN", "GPMB"} <= acronyms


@pytest.mark.parametrize(("query", "expected"), [
    ("nhiệm vụ chống khai thác IUU", "khai thác hải sản bất hợp pháp"),
    ("chuong trinh ocop", "mỗi xã một sản phẩm"),
    ("nghị quyết hdnd tỉnh", "Hội đồng nhân dân"),
    ("Nghị quyết HĐND tỉnh", "Hội đồng nhân dân"),
    ("phát triển KT-XH", "kinh tế - xã hội"),
    ("xây dựng NTM", "nông thôn mới"),
])
def test_acronyms_expand_whatever_the_case_and_accents(query, expected):
    assert expected in load_glossary().expand(query)


def test_no_expansion_inside_words_or_for_upper_only_entries_typed_lower_case():
    glossary = load_glossary()
    assert glossary.expand("tu tuong chinh tri") == "tu tuong chinh tri"  # TU = Tỉnh ủy only in capitals
    assert "Tỉnh ủy" in glossary.expand("văn bản của TU")
    assert glossary.expand("SIUUX") == "SIUUX"


def test_spelled_out_expansion_is_not_repeated():
    assert load_glossary().expand("Hội đồng nhân dân (HĐND) tỉnh") == "Hội đồng nhân dân (HĐND) tỉnh"


def test_user_file_extends_and_overrides(tmp_path, monkeypatch):
    extra = tmp_path / "mine.tsv"
    extra.write_text("# my terms\nCĐS\tchuyển đổi số quốc gia\nXYZ\tdự án thử nghiệm\n", encoding="utf-8")
    monkeypatch.setenv("RAG_GLOSSARY", str(extra))
    glossary = load_glossary()
    assert "dự án thử nghiệm" in glossary.expand("tiến độ XYZ")
    assert "chuyển đổi số quốc gia" in glossary.expand("đẩy mạnh CĐS")


def test_malformed_line_reports_its_number(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("IUU\tok\nNOTAB\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_entries(bad)


def test_english_lexicon_adds_vietnamese_wording():
    from rag.search.glossary import load_lexicon

    lexicon = load_lexicon()
    assert len(lexicon) >= 100
    text = lexicon.expand("How can Party members be struck off?")
    assert "đảng viên" in text and "xóa tên" in text
    text = lexicon.expand("science and technology budget")
    assert "khoa học và công nghệ" in text and "(khoa học;" not in text  # the longest phrase wins
    assert lexicon.expand("xin chào") == "xin chào"
    # Inflected forms match their entry; a longer word containing it does not.
    assert "miễn" in lexicon.expand("Who can be exempted from party activities?")
    assert "ban hành" in lexicon.expand("When was it issued?")
    assert "kế hoạch" not in lexicon.expand("an explanation")


def test_user_lexicon_file(tmp_path, monkeypatch):
    from rag.search.glossary import load_lexicon

    extra = tmp_path / "en.tsv"
    extra.write_text("militia\tdân quân tự vệ\n", encoding="utf-8")
    monkeypatch.setenv("RAG_EN_VI", str(extra))
    assert "dân quân tự vệ" in load_lexicon().expand("militia training")
