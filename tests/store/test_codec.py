"""The stores' JSON codec: the per-thread C encoder writes what json.dumps writes, and a document that fails
half-way (a poison value, a cycle) leaves nothing behind for the next one."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.store.codec import _dt_json, dumps, loads

WHEN = datetime(2026, 3, 1, 8, 0, 30, 250000, tzinfo=UTC)


def reference(value: Any) -> str:
    return json.dumps(value, default=_dt_json, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", [
    {"a": 1, "b": [1.5, None, True, "x"], "c": {"d": WHEN}},
    {"艾克美": "漏电 ☕ \u2028", 3: "int key", 1.5: "float key", None: "null key"},
    [1e16, -0.0, 1e-7, 2**70, float("nan"), float("inf")],
    "plain \"quoted\" \\ text\n",
    [],
    {},
])
def test_dumps_writes_what_json_dumps_writes(value: Any) -> None:
    assert dumps(value) == reference(value)


def test_datetimes_round_trip() -> None:
    assert loads(dumps({"at": WHEN, "list": [WHEN]})) == {"at": WHEN, "list": [WHEN]}


def test_a_poison_value_fails_like_json_dumps_and_the_next_document_is_written() -> None:
    shared = {"k": [1, 2]}
    bad = {"shared": shared, "oops": object()}
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        dumps(bad)
    # the failed call had its containers open; the next documents that hold them must not read as circular
    assert dumps({"again": shared}) == '{"again":{"k":[1,2]}}'
    assert dumps(shared) == '{"k":[1,2]}'


def test_a_cycle_fails_like_json_dumps_and_leaves_the_encoder_usable() -> None:
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="Circular reference detected"):
        json.dumps(cyclic)
    with pytest.raises(ValueError, match="Circular reference detected"):
        dumps(cyclic)
    cyclic.pop()
    assert dumps(cyclic) == "[1]"


def test_threads_encode_at_once_without_mixing_documents() -> None:
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        results[n] = [dumps({"thread": n, "i": i, "items": list(range(i % 7))}) for i in range(2000)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, texts in results.items():
        assert texts == [reference({"thread": n, "i": i, "items": list(range(i % 7))}) for i in range(2000)]


def test_loads_refuses_a_byte_order_mark_like_json_loads() -> None:
    with pytest.raises(json.JSONDecodeError, match="BOM"):
        loads("\ufeff{}")
    assert loads('{"a":{"$dt":0}}') == {"a": datetime(1970, 1, 1, tzinfo=UTC)}
