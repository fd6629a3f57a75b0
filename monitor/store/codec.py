"""How the stores write times and JSON (shared by both backends and their companions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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


def dumps(value: Any) -> str:
    """JSON with datetimes preserved (round-trips through :func:`loads`)."""
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_dt_hook)
