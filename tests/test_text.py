import unicodedata

from rag.text import normalize_query, normalize_text


def test_nfd_and_nfc_become_the_same_string():
    nfc = "Nghị quyết về khai thác hải sản bất hợp pháp"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize_text(nfd) == normalize_text(nfc) == nfc


def test_control_and_zero_width_characters_are_dropped():
    dirty = "\ufeffKết\u200b luận\x07 Thị\u00a0ủy\r\nĐức Phổ"
    assert normalize_text(dirty) == "Kết luận Thị ủy\nĐức Phổ"


def test_query_is_one_line():
    assert normalize_query("  chống \n khai  thác\tIUU ") == "chống khai thác IUU"
