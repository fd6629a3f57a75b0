"""Feed bytes -> text: BOM, declarations read as browsers read them, detection, and what is reported."""

from __future__ import annotations

import codecs

import pytest

from monitor.sources.encoding import charset_of, decode_document

RSS = "<rss version='2.0'><channel><title>Acme</title>{items}</channel></rss>"


def feed(*titles: str, decl: str | None = None) -> str:
    items = "".join(f"<item><guid>{i}</guid><title>{t}</title></item>" for i, t in enumerate(titles))
    head = f"<?xml version='1.0' encoding='{decl}'?>" if decl else ""
    return head + RSS.format(items=items)


@pytest.mark.parametrize(("header", "want"), [
    ("application/rss+xml; charset=GB2312", "gb2312"), ('text/xml;charset="utf-8"', "utf-8"),
    ("application/xml; q=1; Charset=Big5", "big5"), ("application/rss+xml", None), (None, None),
    ("text/xml; charset=", None),
])
def test_charset_of_header(header: str | None, want: str | None) -> None:
    assert charset_of(header) == want


@pytest.mark.parametrize(("label", "codec", "text"), [
    ("gb2312", "gb18030", "艾克美电水壶 镕"),  # 镕 is GBK, not GB2312: publishers say gb2312 and mean GBK
    ("GBK", "gb18030", "艾克美电水壶"), ("big5", "big5hkscs", "艾克美電水壺"),
    ("shift_jis", "cp932", "電気ケトル①"),  # ① is a Windows (CP932) extension
    ("euc-kr", "cp949", "애크미 똠방각하"),  # 똠 is only in CP949 (Unified Hangul Code)
    ("iso-8859-1", "cp1252", "Acme’s “kettle” — €20"),  # windows-1252 punctuation under a latin-1 label
    ("koi8-r", "koi8_r", "Чайник протекает, сообщили покупатели"), ("euc-jp", "euc_jp", "アクメ社が謝罪しました"),
])
def test_declared_labels_are_read_the_way_browsers_read_them(label: str, codec: str, text: str) -> None:
    doc = feed(text)
    decoded = decode_document(doc.encode(codec), label)
    assert (decoded.text, decoded.how, decoded.problems) == (doc, "declared", [])
    assert codecs.lookup(decoded.encoding).name == codecs.lookup(codec).name


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_byte_order_mark_decides(codec: str) -> None:
    doc = feed("艾克美电水壶", decl="gb2312")  # the BOM wins over the declaration and the header
    decoded = decode_document(doc.encode(codec), "iso-8859-1")
    assert (decoded.how, decoded.problems, decoded.replaced) == ("bom", [], 0)
    assert decoded.text.lstrip("\ufeff") == doc


def test_ascii_is_ascii_and_utf8_is_utf8_whatever_a_single_byte_label_says() -> None:
    assert decode_document(feed("Acme").encode(), "koi8-r").how == "ascii"
    doc = feed("Acme 艾克美 Café")
    decoded = decode_document(doc.encode(), "iso-8859-1")
    assert (decoded.text, decoded.encoding) == (doc, "utf-8")
    assert decoded.problems == ["wrong charset declaration: declared iso-8859-1 but the text reads as utf-8 (detected)"]


def test_a_utf8_declaration_that_decodes_is_never_second_guessed() -> None:
    doc = feed("Ð¡Ñ\u0082Ð°Ñ\u0082Ñ\u008cÑ\u008f")  # mojibake published as such is what the publisher wrote
    assert decode_document(doc.encode(), "utf-8").text == doc


def test_an_unknown_label_is_reported_and_detection_takes_over() -> None:
    doc = feed("艾克美电水壶质量问题引发投诉，客服迟迟没有回应")
    decoded = decode_document(doc.encode("gb18030"), "x-made-up")
    assert (decoded.text, decoded.how) == (doc, "detected")
    assert decoded.problems == ["unknown charset declaration: 'x-made-up' is not an encoding; detecting instead"]


def test_a_correct_koi8_declaration_is_not_overruled_by_a_cjk_reading() -> None:
    doc = feed("Акме извинилась")  # also valid GB18030 bytes, reading as common hanzi
    decoded = decode_document(doc.encode("koi8_r"), "koi8-r")
    assert (decoded.text, decoded.how, decoded.problems) == (doc, "declared", [])


# Two characters and nothing else: every CJK codec reads the bytes as something plausible.
@pytest.mark.parametrize(("word", "codec", "lang"), [
    ("召回", "gb18030", "zh-CN"), ("召回", "gb18030", "zh"), ("市場", "big5", "zh-TW"), ("市場", "big5", "zh-Hant"),
    ("전기", "euc_kr", "ko"), ("回収", "euc_jp", "ja"), ("回収", "shift_jis", "ja-JP"),
])
def test_the_stated_language_decides_between_cjk_readings_of_a_short_text(word: str, codec: str, lang: str) -> None:
    doc = feed(word)
    body = doc.encode(codec)
    assert decode_document(body, lang=lang).text == doc
    others = {"zh": "ko", "ko": "zh-TW", "ja": "zh-CN"}
    assert decode_document(body, lang=others[lang[:2]]).text != doc  # the hint, not luck, decided


def test_the_language_in_the_body_is_a_hint_too() -> None:
    doc = RSS.format(items="<language>ko-KR</language><item><guid>1</guid><title>리콜</title></item>")
    assert decode_document(doc.encode("euc_kr")).text == doc


def test_cyrillic_koi8_and_windows_1251_are_told_apart_by_letter_case() -> None:
    text = "Несколько покупателей сообщили, что чайник протекает"
    for codec in ("koi8_r", "cp1251"):
        doc = feed(text)
        assert decode_document(doc.encode(codec)).text == doc


def test_damaged_bytes_are_counted_not_hidden() -> None:
    body = feed("艾克美电水壶", decl="gb18030").encode("gb18030").replace("水".encode("gb18030"), b"\xff\xff")
    decoded = decode_document(body)
    assert decoded.replaced == 2 and decoded.text.count("\ufffd") == 2 and decoded.how == "declared"
    assert decoded.problems == [
        "undecodable text: 2 byte sequence(s) are not valid gb18030; shown as U+FFFD in the posts"]


def test_a_large_feed_is_sampled_at_a_character_boundary() -> None:
    items = "".join(f"<item><guid>{i}</guid><title>艾克美电水壶质量问题 {i}</title><description>多名用户反映艾克美"
                    "电水壶在使用三个月后出现漏电现象，客服迟迟没有回应。</description></item>" for i in range(3000))
    doc = RSS.format(items=items)
    body = doc.encode("gb18030")
    assert len(body) > 256 * 1024
    decoded = decode_document(body)
    assert (decoded.encoding, decoded.problems) == ("gb18030", [])
    assert decoded.text == doc


def test_damaged_bytes_without_a_declaration_are_counted_too() -> None:
    body = feed("艾克美电水壶质量问题引发投诉，客服迟迟没有回应").encode("gb18030")
    body = body.replace("水".encode("gb18030"), b"\xff")
    decoded = decode_document(body)
    assert decoded.encoding == "gb18030" and "艾克美电\ufffd" in decoded.text
    assert decoded.problems == [
        "undecodable text: 1 byte sequence(s) are not valid gb18030; shown as U+FFFD in the posts"]


def test_utf16_declared_without_bom() -> None:
    doc = feed("Acme")
    assert decode_document(doc.encode("utf-16-le"), "utf-16le").text == doc
    assert codecs.lookup("utf-16le")  # the label is a real codec


def test_utf8_with_a_few_stray_bytes_stays_utf8() -> None:
    doc = feed("艾克美电水壶质量问题引发投诉，客服迟迟没有回应", "Acme’s answer")
    body = doc.encode().replace("’".encode(), b"\x92")  # a windows-1252 quote pasted into UTF-8
    decoded = decode_document(body)
    assert decoded.encoding == "utf-8" and "艾克美电水壶" in decoded.text and "Acme\ufffds" in decoded.text
    assert decoded.problems == [
        "undecodable text: 1 byte sequence(s) are not valid utf-8; shown as U+FFFD in the posts"]


def test_a_latin1_feed_with_one_accent_is_not_nearly_utf8() -> None:
    doc = feed("Acme kettle review from a café")
    assert decode_document(doc.encode("latin-1")).text == doc


def test_a_utf16_declaration_on_a_utf8_body_is_wrong() -> None:
    doc = feed("艾克美电水壶", decl="UTF-16")
    decoded = decode_document(doc.encode())
    assert (decoded.text, decoded.encoding) == (doc, "utf-8")
    assert decoded.problems == ["wrong charset declaration: declared utf-16 but the text reads as utf-8 (detected)"]


@pytest.mark.parametrize("label", ["gb2312", "shift_jis", "big5", "euc-kr"])
def test_utf8_under_a_legacy_cjk_label_is_utf8(label: str) -> None:
    doc = feed("艾克美电水壶", "アクメ社が謝罪", "애크미 사과", decl=label)  # a CMS declaring one thing, sending UTF-8
    decoded = decode_document(doc.encode())
    assert (decoded.text, decoded.encoding) == (doc, "utf-8")
    assert decoded.problems == [f"wrong charset declaration: declared {label} but the text reads as utf-8 (detected)"]


def test_two_multibyte_characters_do_not_overrule_a_cjk_label() -> None:
    doc = feed("漏炉", decl="gb2312")  # C2A9 C2AF: also valid UTF-8 ("©¯")
    body = doc.encode("gb18030")
    assert body.decode("utf-8")
    decoded = decode_document(body)
    assert (decoded.text, decoded.how, decoded.problems) == (doc, "declared", [])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom_are_told_by_their_nul_bytes(codec: str) -> None:
    doc = feed("艾克美电水壶 Acme", decl="utf-16")
    decoded = decode_document(doc.encode(codec))
    assert decoded.text == doc and decoded.encoding == codec
    json_doc = '{"items": [{"id": "1", "title": "艾克美"}]}'
    assert decode_document(json_doc.encode(codec)).text == json_doc


def test_a_short_koi8_text_that_the_detector_reads_as_hanzi() -> None:
    doc = RSS.format(items="<item><guid>1</guid><title>Акме извинилась</title></item>")
    assert decode_document(doc.encode("koi8_r")).text == doc  # charset-normalizer alone proposes Big5, GB18030...


GB = "艾克美电水壶质量问题引发投诉，客服迟迟没有回应"


@pytest.mark.parametrize(("body", "header", "want"), [
    (codecs.BOM_UTF8 + feed(GB).encode(), None, ("utf-8-sig", "bom", None, 0)),
    (feed(GB).encode("utf-16-le"), "gb2312", ("utf-16-le", "bom", None, 0)),
    (feed("Acme").encode(), "koi8-r", ("ascii", "ascii", "koi8-r", 0)),
    (feed(GB).encode(), None, ("utf-8", "utf-8", None, 0)),
    (feed(GB).encode(), "UTF-8", ("utf-8", "declared", "utf-8", 0)),
    (feed(GB).encode(), "gb2312", ("utf-8", "utf-8", "gb2312", 0)),
    (feed(GB).encode("gb18030"), "GB2312", ("gb18030", "declared", "gb2312", 0)),
    (feed(GB, decl="gbk").encode("gb18030"), None, ("gb18030", "declared", "gbk", 0)),
    (feed(GB).encode("gb18030"), None, ("gb18030", "detected", None, 0)),
    (feed("艾克美電水壺品質問題，客服遲遲沒有回應").encode("big5"), "gb2312", ("big5", "detected", "gb2312", 0)),
    (feed(GB).encode("gb18030").replace("水".encode("gb18030"), b"\xff"), "gb18030",
     ("gb18030", "declared", "gb18030", 1)),
    (feed(GB).encode("gb18030").replace("水".encode("gb18030"), b"\xff"), None, ("gb18030", "best guess", None, 1)),
])
def test_how_each_reading_was_chosen_is_reported(body: bytes, header: str | None, want: tuple) -> None:
    decoded = decode_document(body, header)
    assert (decoded.encoding, decoded.how, decoded.declared, decoded.replaced) == want
