from helpers import FOUNDING

from rag.index.diacritics import Restorer
from rag.text import normalize_text


def _restorer():
    return Restorer.build([normalize_text(FOUNDING.read_text(encoding="utf-8"))])


def test_accentless_query_gets_the_corpus_wording_back():
    restorer = _restorer()
    assert restorer.restore("chong khai thac hai san bat hop phap") == "chống khai thác hải sản bất hợp pháp"
    assert restorer.restore("Dang bo thi xa Duc Pho") == "Đảng bộ thị xã Đức Phổ"


def test_known_accents_unknown_words_and_punctuation_are_kept(tmp_path):
    restorer = _restorer()
    assert restorer.restore("IUU, xyzzy!") == "IUU, xyzzy!"
    assert restorer.restore("chống khai thac") .startswith("chống khai thác")
    restorer.save(tmp_path / "d.json")
    again = Restorer.load(tmp_path / "d.json")
    assert again.restore("nong thon moi") == restorer.restore("nong thon moi") == "nông thôn mới"
