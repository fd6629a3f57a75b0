"""Shape errors name the field; secrets never reach a message."""

from __future__ import annotations

import pytest

from monitor.errors import SourceError
from monitor.sources.http import redact_url, require, shape_error


def test_require_returns_the_value() -> None:
    assert require({"data": {"children": [1]}}, "data.children", list, source="reddit") == [1]
    assert require({"n": 3}, "n", (int, float), source="x") == 3


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"data": {"children": {}}}, "reddit: response shape changed: expected data.children to be a list, got dict"),
        ({"data": {}}, "reddit: response shape changed: expected data.children to be a list, "
                       "got missing (no field 'children' in data)"),
        ({}, "reddit: response shape changed: expected data.children to be a list, "
             "got missing (no field 'data' in the response)"),
        ({"data": []}, "reddit: response shape changed: expected data to be an object (dict), got list"),
        ({"data": {"children": None}}, "reddit: response shape changed: expected data.children to be a list, got null"),
    ],
)
def test_require_names_the_field(payload: object, message: str) -> None:
    with pytest.raises(SourceError) as info:
        require(payload, "data.children", list, source="reddit")
    assert str(info.value) == message
    assert not info.value.retryable


def test_bool_is_not_an_integer() -> None:
    with pytest.raises(SourceError, match="expected n to be an integer, got bool"):
        require({"n": True}, "n", int, source="x")


def test_shape_error_message() -> None:
    err = shape_error("hackernews", "hits", "a list", "oops")
    assert str(err) == "hackernews: response shape changed: expected hits to be a list, got str"


def test_redact_url() -> None:
    assert redact_url("https://api.example/s?q=acme&key=abc&sig=zz") == "https://api.example/s?q=acme&key=%2A%2A%2A&sig=%2A%2A%2A"
    assert redact_url("https://api.example/s") == "https://api.example/s"
