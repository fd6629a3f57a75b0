"""Normalisation: case, width, script variants, whitespace; tokens; language guess."""

from __future__ import annotations

import pytest

from monitor.nlp.keywords.text import fold_chars, is_cjk, is_latin, normalize, post_text, token_spans


@pytest.mark.parametrize(("raw", "norm"), [
    ("Acme  Kettle\n\tBROKEN ", "acme kettle broken"),
    ("ＡＣＭＥ　ｋｅｔｔｌｅ！", "acme kettle!"),
    ("艾克美水壺漏電，太危險了", "艾克美水壶漏电,太危险了"),
    ("ACME 电池 起火", "acme电池起火"),
    ("艾克美 質量 太差", "艾克美质量太差"),
    ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana to full-width
    ("Straße", "strasse"),
    ("", ""),
])
def test_normalize(raw: str, norm: str) -> None:
    assert normalize(raw) == norm


def test_fold_chars_keeps_length_so_query_columns_survive() -> None:
    query = "（質量　ＯＲ　ｂ）"
    assert fold_chars(query) == "(质量 OR b)"
    assert len(fold_chars(query)) == len(query)


def test_post_text_puts_the_title_first() -> None:
    assert post_text("Acme Recall", "Kettles  BURN") == ("acme recall | kettles burn", 11)
    assert post_text(None, "x") == ("x", 0)
    assert post_text("  ", "x") == ("x", 0)


def test_tokens() -> None:
    text = "acme的水壶 on fire!! c++"
    assert [text[a:b] for a, b in token_spans(text)] == ["acme", "的", "水", "壶", "on", "fire", "c"]
    assert token_spans("、。〆々") == [(2, 3), (3, 4)]  # CJK punctuation is not a token


def test_script_classes() -> None:
    assert is_latin("a") and is_latin("é") and is_latin("5") and is_latin("я") and is_latin("_")
    assert not is_latin("艾") and not is_latin("-") and not is_latin(" ")
    assert is_cjk("艾") and is_cjk("カ") and is_cjk("한") and not is_cjk("a")


