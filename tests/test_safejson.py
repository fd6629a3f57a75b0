"""JSON from strangers within limits: depth, strings, numbers; NaN and Infinity never pass."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from monitor.safejson import JsonLimitError, JsonLimits, loads, nesting_depth

TIGHT = JsonLimits(max_depth=3, max_string_chars=5, max_number=1000)


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("[]", 1), ("[[]]", 2), ('{"a": [1, {"b": 2}]}', 3), ('["[[[[", "]]"]', 1), ('["\\"[[["]', 1),
    ("]]][[", 2), ("[[]][[[]]]", 3), ("[[][[]]]", 3), ('{"a": {"b": {}}}', 3),
])
def test_nesting_depth_ignores_brackets_inside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


@pytest.mark.parametrize("text", ['[[["ok"]]]', '{"abcde": [1000, -1000, 0.5, -1000.0]}', "null", "true",
                                  '"héllo"', b'{"a": 1}', '[[[1]], [[2]], {"a": [3]}]'])
def test_within_limits_is_plain_json(text: str | bytes) -> None:
    assert loads(text, TIGHT) == json.loads(text)


@pytest.mark.parametrize(("text", "message"), [
    ("[[[[1]]]]", "JSON is nested 4 levels deep; the limit is 3 (limits.max_depth)"),
    ('{"a": {"b": {"c": {"d": 1}}}}', "JSON is nested 4 levels deep; the limit is 3 (limits.max_depth)"),
    ("[[], [[[[]]]]]", "JSON is nested 5 levels deep; the limit is 3 (limits.max_depth)"),
    ('["abcdef"]', "a string of 6 characters is longer than the limit of 5 (limits.max_string_chars): 'abcdef'..."),
    ('{"abcdef": 1}', "a string of 6 characters is longer than the limit of 5 (limits.max_string_chars): 'abcdef'..."),
    ("1001", "number 1001 is out of range; numbers must be finite and within ±1000 (limits.max_number)"),
    ("[-1001]", "number -1001 is out of range; numbers must be finite and within ±1000 (limits.max_number)"),
    ("1000.5", "number 1000.5 is out of range; numbers must be finite and within ±1000 (limits.max_number)"),
    ("1e400", "number inf is out of range; numbers must be finite and within ±1000 (limits.max_number)"),
    ("-1e400", "number -inf is out of range; numbers must be finite and within ±1000 (limits.max_number)"),
    ("NaN", "NaN is not a number JSON allows; send a finite number"),
    ('{"x": [Infinity]}', "Infinity is not a number JSON allows; send a finite number"),
    ("9" * 5000, "a number with thousands of digits is out of range; numbers must be finite and within ±1000 "
                 "(limits.max_number)"),
    ("9" * 300, "number of about 300 digits is out of range; numbers must be finite and within ±1000 "
                "(limits.max_number)"),
])
def test_limits_are_errors_that_name_the_setting(text: str, message: str) -> None:
    with pytest.raises(JsonLimitError) as info:
        loads(text, TIGHT)
    assert str(info.value) == message


def test_defaults_fit_ids_and_refuse_what_breaks_storage() -> None:
    assert loads('{"tweet_id": 1780000000000000000, "n": -9223372036854775807}') == {
        "tweet_id": 1780000000000000000, "n": -9223372036854775807}
    with pytest.raises(JsonLimitError):
        loads("92233720368547758070")
    assert loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(JsonLimitError, match="nested 33 levels"):
        loads("[" * 33 + "]" * 33)
    with pytest.raises(JsonLimitError, match="nested 100000 levels"):
        loads("[" * 100_000)


def test_not_json_is_a_decode_error_and_limits_must_be_sane() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads("{nope", TIGHT)
    for bad in ({"max_number": float("inf")}, {"max_number": 0}, {"max_depth": 0}, {"max_depth": 501},
                {"max_string_chars": 0}, {"surprise": 1}):
        with pytest.raises(ValidationError):
            JsonLimits(**bad)  # type: ignore[arg-type]


def test_a_short_text_still_has_every_nested_number_checked() -> None:
    """Short texts skip the string walk (no decoded string can outgrow its text), never the number check."""
    roomy = JsonLimits(max_string_chars=10_000, max_number=1000)
    assert loads('{"a": [true, false, null, "x", {"b": [1000, -1000.0]}]}', roomy) == \
        {"a": [True, False, None, "x", {"b": [1000, -1000.0]}]}
    with pytest.raises(JsonLimitError, match=r"number 1001 is out of range"):
        loads('{"a": [true, {"b": [1, 1001]}]}', roomy)
