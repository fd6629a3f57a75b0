"""How the stores write times and JSON (shared by both backends and their companions).

Every batch writes several JSON documents per matched post, so :func:`dumps` keeps one C encoder per
thread instead of letting ``JSONEncoder.encode`` build a new one per call (most of the cost of a
small document); the text is exactly what ``json.dumps(value, default=..., ensure_ascii=False,
separators=(",", ":"))`` writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from json import encoder as _json_encoder
from typing import Any


def to_epoch(ts: datetime) -> float:
    return ts.timestamp()


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _dt_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.timestamp()}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _dt_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$dt" in obj:
        return from_epoch(obj["$dt"])
    return obj


_ENCODER = json.JSONEncoder(default=_dt_json, ensure_ascii=False, separators=(",", ":"))  # json.dumps builds one a call
_DECODER = json.JSONDecoder(object_hook=_dt_hook)
_local = threading.local()


def _c_encoder() -> tuple[dict[int, Any], Callable[[Any, int], Any]] | None:
    """This thread's C encoder and its circular-reference marks (what ``_ENCODER.encode`` builds per call)."""
    made = getattr(_local, "encoder", False)
    if made is False:
        make = _json_encoder.c_make_encoder
        markers: dict[int, Any] = {}
        made = _local.encoder = None if make is None else (markers, make(
            markers, _dt_json, _json_encoder.encode_basestring, None, ":", ",", False, False, True))
    return made  # type: ignore[no-any-return]


def dumps(value: Any) -> str:
    """JSON with datetimes preserved (round-trips through :func:`loads`)."""
    made = _c_encoder()
    if made is None:  # no C accelerator (another Python): the encoder's own path
        return _ENCODER.encode(value)
    markers, encode = made
    try:
        return "".join(encode(value, 0))
    except BaseException:
        markers.clear()  # an encode that failed half-way leaves its open containers marked
        raise


def loads(text: str) -> Any:
    if type(text) is str and not text.startswith("\ufeff"):
        return _DECODER.decode(text)  # json.loads(text, object_hook=...) builds a decoder per call
    return json.loads(text, object_hook=_dt_hook)
