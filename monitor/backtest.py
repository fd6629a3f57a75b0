"""Backtest and backfill: tune detection on a brand's own history before going live.

``backtest`` replays a recording through the drill's pipeline once per setting (each on a
fresh state, notifiers silent) and measures, per brand: incidents, notifications per day,
hours spent in each level, and — where the recording marks bursts — the time from each
burst's start to the brand's first notification after it.

A recording marks a burst with an extra field on its posts, ``"burst": "<name>"`` (the event
contract keeps unknown fields and ignores them, so a marked recording is still a plain
recording). A burst starts at its earliest post and belongs to the brands its posts match.

``backfill`` teaches the brands' baselines from a recording (or `monitor record` output) so a
new deployment starts with a week of normal rather than a day of warm-up.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from monitor.alerts.levels import EngineConfig
from monitor.config import Loaded
from monitor.drill import run_drill
from monitor.errors import ConfigError, MonitorError, Problem
from monitor.feed import BadLine, read_feed
from monitor.models import Post, ScoredPost, format_ts, parse_ts
from monitor.names import LEVELS
from monitor.pipeline import Scorer, score_posts

ALERTING = ("opened", "escalated", "updated")


def parse_sets(items: list[str]) -> list[dict[str, Any]]:
    """``--set KEY=VALUE`` items -> settings: one per combination, a key given twice is two alternatives."""
    by_key: dict[str, list[Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise MonitorError(f"--set {item!r}: write KEY=VALUE, e.g. --set engine.baseline.p_value=1e-5")
        if key.startswith("engine."):
            key = key[len("engine."):]
        by_key.setdefault(key, []).append(_value(raw))
    if not by_key:
        return [{}]
    keys = list(by_key)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(by_key[k] for k in keys))]


def _value(raw: str) -> Any:
    """YAML's reading of a value, with numbers such as ``1e-5`` (a string to YAML 1.1) as numbers."""
    value = yaml.safe_load(raw) if raw.strip() else None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def apply_setting(engine: EngineConfig, setting: dict[str, Any]) -> EngineConfig:
    """The engine config with dotted overrides applied and validated (errors name the --set key)."""
    data = engine.model_dump()
    for key, value in setting.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    try:
        return EngineConfig.model_validate(data)
    except Exception as exc:  # pydantic's message names the field; say which --set it came from
        raise ConfigError([Problem("--set", ", ".join(f"engine.{k}" for k in setting), str(exc).splitlines()[0]
                                   + ": " + "; ".join(str(exc).splitlines()[1:3]))]) from None


def label(setting: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in setting.items()) or "config"


@dataclass
class Burst:
    name: str
    start: datetime
    brands: set[str] = field(default_factory=set)
    posts: int = 0


def marked_bursts(loaded: Loaded, feed: Path) -> list[Burst]:
    """Bursts the recording marks (``"burst": NAME`` on posts), with the brands their posts match."""
    found: dict[str, Burst] = {}
    posts: list[tuple[str, Post]] = []
    for _, item in read_feed(feed):
        if isinstance(item, Post) and isinstance(item.extra.get("burst"), str) and item.extra["burst"]:
            name = item.extra["burst"]
            b = found.setdefault(name, Burst(name, item.ts))
            b.start = min(b.start, item.ts)
            b.posts += 1
            posts.append((name, item))
    if posts:
        for (name, _), ms in zip(posts, loaded.rules.match_many([p for _, p in posts]), strict=True):
            found[name].brands.update(m.brand for m in ms)
    return sorted(found.values(), key=lambda b: (b.start, b.name))


def measure(report: dict[str, Any], bursts: list[Burst]) -> dict[str, dict[str, Any]]:
    """Per brand: incidents, notifications/day, hours per level, time to the first notification of each burst."""
    run = report["run"]
    first = parse_ts(run["first_event"]) if run.get("first_event") else None
    last = parse_ts(run["last_event"]) if run.get("last_event") else None
    days = max((last - first).total_seconds() / 86400, 1 / 24) if first and last else 1.0
    notes = report["notifications"]
    brands = sorted({n["brand"] for n in notes} | {b for x in bursts for b in x.brands})
    out: dict[str, dict[str, Any]] = {}
    for brand in brands:
        mine = [n for n in notes if n["brand"] == brand]
        hours = dict.fromkeys(LEVELS, 0.0)
        for inc in {n["incident_id"] for n in mine}:
            steps = sorted((parse_ts(n["ts"]), n["level"], n["transition"]) for n in mine if n["incident_id"] == inc)
            level, since, end = None, steps[0][0], steps[-1][0]
            for ts, lvl, tr in steps:
                if tr in ("opened", "escalated"):
                    if level in hours:
                        hours[level] += (ts - since).total_seconds() / 3600
                    level, since = lvl, ts
                elif tr == "resolved":
                    end = ts
                    break
            if level in hours:
                hours[level] += (end - since).total_seconds() / 3600
        detect = []
        for b in bursts:
            if brand not in b.brands:
                continue
            after = [parse_ts(n["ts"]) for n in mine if n["transition"] in ALERTING and parse_ts(n["ts"]) >= b.start]
            delay = (min(after) - b.start).total_seconds() / 60 if after else None
            detect.append({"burst": b.name, "start": format_ts(b.start), "posts": b.posts,
                           "minutes_to_first_notification": round(delay, 1) if delay is not None else None})
        out[brand] = {"incidents": len({n["incident_id"] for n in mine}), "notifications": len(mine),
                      "notifications_per_day": round(len(mine) / days, 2),
                      "hours_in_level": {k: round(v, 2) for k, v in hours.items()}, "bursts": detect}
    return out


async def backtest(loaded: Loaded, feed: Path, settings: list[dict[str, Any]], *,
                   scorer: Scorer | None = None) -> list[dict[str, Any]]:
    """Replay ``feed`` once per setting on a fresh state; return one result per setting."""
    if not feed.is_file():
        raise MonitorError(f"{feed}: recording not found")
    engines = [apply_setting(loaded.config.engine, s) for s in settings]  # every --set checked before any run
    if scorer is None:
        from monitor.runtime import load_scorer

        scorer = load_scorer(loaded)
    bursts = marked_bursts(loaded, feed)
    results = []
    for setting, engine in zip(settings, engines, strict=True):
        with tempfile.TemporaryDirectory(prefix="monitor-backtest-") as tmp:
            cfg = loaded.config.model_copy(update={"engine": engine, "notifiers": [],
                                                   "store": loaded.config.store.model_copy()})
            run = Loaded(config=cfg, rules=loaded.rules, playbooks=loaded.playbooks, file=loaded.file)
            report = await run_drill(run, feed, report_dir=Path(tmp) / "report", notify=True, fresh=True,
                                     scorer=scorer, color=False, history=False)
        results.append({"setting": label(setting), "set": setting, "events": report["run"]["events"],
                        "first_event": report["run"]["first_event"], "last_event": report["run"]["last_event"],
                        "brands": measure(report, bursts)})
    return results


def table(results: list[dict[str, Any]]) -> str:
    """The results as a plain-text table, one row per setting and brand."""
    head = ("setting", "brand", "incidents", "notif/day", "h blue", "h yellow", "h red", "bursts: min to notify")
    rows = [head]
    for r in results:
        for brand, m in sorted(r["brands"].items()) or [("-", None)]:
            if m is None:
                rows.append((r["setting"], "-", "0", "0", "0", "0", "0", ""))
                continue
            h = m["hours_in_level"]
            det = ", ".join(f"{d['burst']} " + (f"{d['minutes_to_first_notification']:g}"
                                                if d["minutes_to_first_notification"] is not None else "missed")
                            for d in m["bursts"])
            rows.append((r["setting"], brand, str(m["incidents"]), f"{m['notifications_per_day']:g}",
                         f"{h['blue']:g}", f"{h['yellow']:g}", f"{h['red']:g}", det))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def backfill(loaded: Loaded, feed: Path, *, scorer: Scorer | None = None, chunk: int = 500) -> dict[str, Any]:
    """Learn the brands' baselines from a recording into the configured store; nothing is alerted."""
    from monitor.alerts.engine import Engine
    from monitor.store import open_store

    if not feed.is_file():
        raise MonitorError(f"{feed}: recording not found")
    if scorer is None:
        from monitor.runtime import load_scorer

        scorer = load_scorer(loaded)
    store = open_store(loaded.config.store)  # SQLite or PostgreSQL
    engine = Engine(loaded.config.engine, loaded.playbooks, store, lambda _a: None)
    engine.load()
    seen = learnt = bad = 0
    first: datetime | None = None
    last: datetime | None = None
    try:
        batch: list[Post] = []
        for _, item in itertools.chain(read_feed(feed), [(0, None)]):
            if isinstance(item, BadLine):
                bad += 1
            elif isinstance(item, Post):
                batch.append(item)
                seen += 1
                first = item.ts if first is None or item.ts < first else first
                last = item.ts if last is None or item.ts > last else last
            if batch and (item is None or len(batch) >= chunk):
                learnt += _learn(engine, loaded, scorer, batch)
                batch = []
        with store.transaction():
            engine._save()
    finally:
        store.close()
    return {"posts": seen, "matched": learnt, "bad_lines": bad, "series": len(engine.baselines.series),
            "brands": sorted({k.split("|")[0] for k in engine.baselines.series}),
            "first_event": format_ts(first) if first else None, "last_event": format_ts(last) if last else None}


def _learn(engine: Any, loaded: Loaded, scorer: Scorer, posts: list[Post]) -> int:
    matched = [(p, ms) for p, ms in zip(posts, loaded.rules.match_many(posts), strict=True) if ms]
    if not matched:
        return 0
    sentiments = score_posts(scorer, [p for p, _ in matched])
    for (post, ms), sent in sorted(zip(matched, sentiments, strict=True), key=lambda x: x[0][0].ts):
        engine.learn(ScoredPost(post, ms, sent))
    return len(matched)


def run_backtest(loaded: Loaded, feed: Path, sets: list[str], scorer: Scorer | None = None) -> list[dict[str, Any]]:
    return asyncio.run(backtest(loaded, feed, parse_sets(sets), scorer=scorer))
