from rag.vietnamese import fold, folded_tokens, has_diacritics, lexical_tokens, sentences


def test_fold_removes_diacritics_including_d():
    assert fold("Đảng bộ thị xã Đức Phổ") == "Dang bo thi xa Duc Pho"
    assert fold("khai thác hải sản bất hợp pháp") == "khai thac hai san bat hop phap"
    assert not has_diacritics("chong khai thac") and has_diacritics("chống")


def test_lexical_tokens_are_lowercase_words():
    tokens = lexical_tokens("Tăng cường chống khai thác hải sản bất hợp pháp, IUU.")
    assert "khai_thác" in tokens and "hải_sản" in tokens and "iuu" in tokens
    assert "," not in tokens and "." not in tokens
    assert "khai_thac" in folded_tokens(tokens)


def test_sentences():
    parts = sentences("Tập trung lãnh đạo. Đẩy mạnh phòng, chống tham nhũng. Hoàn thành chỉ tiêu.")
    assert len(parts) == 3
