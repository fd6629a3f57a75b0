"""Prometheus text exposition without a client library: counters and gauges with labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Counters we increment and gauges read at scrape time."""

    def __init__(self, prefix: str = "brand_monitor") -> None:
        self.prefix = prefix
        self._help: dict[str, tuple[str, str]] = {}
        self._values: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
        self._gauges: list[Callable[[], list[tuple[str, dict[str, str], float]]]] = []

    def describe(self, name: str, kind: str, help_text: str) -> None:
        self._help[name] = (kind, help_text)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        series = self._values[name]
        series[key] = series.get(key, 0.0) + value

    def set(self, name: str, value: float, **labels: str) -> None:
        self._values[name][tuple(sorted(labels.items()))] = value

    def get(self, name: str, **labels: str) -> float:
        return self._values.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def gauge_callback(self, fn: Callable[[], list[tuple[str, dict[str, str], float]]]) -> None:
        """``fn`` returns (name, labels, value) triples, evaluated at every scrape."""
        self._gauges.append(fn)

    def render(self) -> str:
        values: dict[str, dict[tuple[tuple[str, str], ...], float]] = {k: dict(v) for k, v in self._values.items()}
        for fn in self._gauges:
            for name, labels, value in fn():
                values.setdefault(name, {})[tuple(sorted(labels.items()))] = value
        lines: list[str] = []
        for name in sorted(values):
            full = f"{self.prefix}_{name}"
            kind, help_text = self._help.get(name, ("gauge", name.replace("_", " ")))
            lines.append(f"# HELP {full} {help_text}")
            lines.append(f"# TYPE {full} {kind}")
            for key, value in sorted(values[name].items()):
                number = repr(float(value)) if value != int(value) else str(int(value))
                lines.append(f"{full}{_labels(dict(key))} {number}")
        return "\n".join(lines) + "\n"
