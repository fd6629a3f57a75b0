"""``monitor scenario compose``: lay a scripted crisis over a normal day, deterministically.

The output is a plain recording in the event format, sorted by time. Every event the
scenario adds carries the marks ``monitor backtest`` already reads (``"burst":
"<scenario>/<phase>"``) plus ``"scenario"`` and ``"phase"``; the first event of each phase
sits exactly at the phase's start and also carries ``"phase_info"`` (expected level, channels,
extra tasks), so a drill knows when each level should have fired. Unknown fields are kept and
ignored by the pipeline, so a composed drill is still an ordinary recording.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.drills.scenario import Phase, Scenario
from monitor.errors import EventFormatError, MonitorError
from monitor.models import format_ts, parse_event, parse_ts

MARK = "burst"  # the recording's burst mark, shared with monitor backtest
TAILS = {"en": ("", "", " Anyone else?", " Posting so others know.", " Please share.", " Seriously."),
         "zh": ("", "", " 有人遇到吗？", " 转发让大家知道。", " 求扩散。", " 真的。")}
CALM = {"en": ("Which {brand} kettle do you have?", "Picked up a {brand} toaster today.",
               "{brand} kettle boils fast, happy so far.", "Is the {brand} blender worth it?",
               "{brand} customer service answered in a day, nice.", "Thinking about a {brand} rice cooker."),
        "zh": ("{brand}的电水壶用着还行。", "今天买了{brand}的烤面包机。", "{brand}的客服回复挺快的。",
               "大家觉得{brand}的电饭煲怎么样？", "{brand}新款水壶颜值很高。")}
OTHER = ("Show HN: a tiny static site generator", "Weekend hiking photos", "今天天气不错", "Traffic is bad again",
         "New coffee place opened downtown", "周末去哪里玩", "Match highlights from last night")
Line = tuple[datetime, str | dict[str, Any]]  # an event's time and its line as written (or its dict)
CHANNELS = (("weibo", "social"), ("x", "social"), ("reddit", "forum"), ("douyin", "video"), ("mastodon", "social"))


@dataclass
class Composed:
    baseline_events: int = 0
    scenario_events: int = 0
    bad_lines: list[str] = field(default_factory=list)
    shifted_days: int = 0
    phases: list[dict[str, Any]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None


def _fill(text: str, scenario: Scenario) -> str:
    return text.replace("{brand}", scenario.name_of_brand)


def phase_events(scenario: Scenario, phase: Phase, index: int, at: datetime,
                 rng: random.Random) -> list[dict[str, Any]]:
    """The phase's events: posts spread over its duration (the first at its exact start), then pickups."""
    start = at + phase.offset
    burst = f"{scenario.scenario}/{phase.name}"
    marks = {MARK: burst, "scenario": scenario.scenario, "phase": phase.name}
    out: list[dict[str, Any]] = []
    n = round(phase.rate * phase.duration.total_seconds() / 3600)
    span = phase.duration.total_seconds()
    offsets = sorted([0.0] + [rng.uniform(0, span) for _ in range(max(0, n - 1))]) if n else []
    for i, off in enumerate(offsets):
        lang = "zh" if rng.random() < phase.zh_share else "en"
        pool = phase.texts.zh if lang == "zh" else phase.texts.en
        text = _fill(rng.choice(pool), scenario) + rng.choice(TAILS[lang])
        channel = phase.channels[i % len(phase.channels)] if i < len(phase.channels) else rng.choice(phase.channels)
        author = f"{scenario.scenario}-u{(i % phase.authors) if phase.authors else i}"
        hours = off / 3600
        grown = phase.reposts.start * phase.reposts.growth ** hours if phase.reposts.start else 0.0
        reposts = min(phase.reposts.max, round(grown * rng.uniform(0.8, 1.2)))
        pid = f"drill-{scenario.scenario}-{index}-{i:05d}"
        out.append({"type": "post", "ts": format_ts(start + timedelta(seconds=round(off))), "source": channel,
                    "id": pid, "text": text, "title": None, "author": author,
                    "url": f"https://{channel}.example/{pid}", "lang": lang, "kind": phase.kind, "outlet": None,
                    "reposts": reposts, "likes": reposts * 3, "replies": reposts // 4, **marks})
    for j, news in enumerate(phase.news):
        pool = phase.texts.zh if news.lang == "zh" else phase.texts.en
        text = _fill(news.text, scenario) if news.text else _fill(rng.choice(pool or ["{brand}"]), scenario)
        pid = f"drill-{scenario.scenario}-{index}-news{j}"
        out.append({"type": "post", "ts": format_ts(start + news.at), "source": news.source, "id": pid,
                    "text": text, "title": _fill(news.title, scenario) if news.title else None,
                    "author": news.outlet, "url": f"https://{news.outlet}/{pid}", "lang": news.lang, "kind": "news",
                    "outlet": news.outlet, "reposts": 0, "likes": 0, "replies": 0, **marks})
    for t in phase.trending:
        out.append({"type": "trend", "ts": format_ts(start + t.at), "source": t.source,
                    "word": _fill(t.word, scenario), "rank": t.rank, **marks})
    for q in phase.stock:
        price = round(q.prev_close * (1 + q.change_pct / 100), 4)
        out.append({"type": "quote", "ts": format_ts(start + q.at), "source": q.source, "symbol": scenario.ticker,
                    "price": price, "prev_close": q.prev_close, **marks})
    out.sort(key=lambda e: e["ts"])
    if out:  # the phase's exact start rides on its first event (a post phase's first post is at the start)
        out[0]["phase_info"] = {"start": format_ts(start), "expect": phase.expect, "brand": scenario.brand,
                                "channels": sorted({*phase.channels, *(x.source for x in phase.news),
                                                    *(x.source for x in phase.trending)}),
                                "tasks": [{"role": t.role, "task": t.task, "deadline_minutes":
                                           t.deadline.total_seconds() / 60} for t in phase.tasks]}
    return out


def scenario_events(scenario: Scenario, at: datetime, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{scenario.scenario}")
    out: list[dict[str, Any]] = []
    for i, phase in enumerate(scenario.phases):
        out.extend(phase_events(scenario, phase, i, at, rng))
    return out


def generate_baseline(start: datetime, hours: float, posts: int, seed: int = 0, brand_name: str = "Acme",
                      brand_share: float = 0.3) -> Iterator[dict[str, Any]]:
    """A normal day (or days): calm mentions of the brand and unrelated chatter, busier by day than by night."""
    rng = random.Random(f"baseline:{seed}")
    span = hours * 3600
    # rejection sampling against a day curve (peak mid-afternoon UTC+8 ~ 07:00 UTC, trough at night)
    offsets: list[float] = []
    while len(offsets) < posts:
        t = rng.uniform(0, span)
        hour = ((start.timestamp() + t) / 3600 + 8) % 24
        if rng.random() < 0.35 + 0.65 * (0.5 - 0.5 * math.cos((hour - 3) / 24 * 2 * math.pi)):
            offsets.append(t)
    offsets.sort()
    for i, off in enumerate(offsets):
        source, kind = CHANNELS[rng.randrange(len(CHANNELS))]
        lang = "zh" if source in ("weibo", "douyin") else "en"
        text = rng.choice(CALM[lang]).replace("{brand}", brand_name) if rng.random() < brand_share \
            else rng.choice(OTHER)
        pid = f"base-{i:07d}"
        yield {"type": "post", "ts": format_ts(start + timedelta(seconds=round(off, 3))), "source": source,
               "id": pid, "text": text, "title": None, "author": f"user{rng.randrange(5000)}",
               "url": f"https://{source}.example/{pid}", "lang": lang, "kind": kind, "outlet": None,
               "reposts": rng.choice((0, 0, 0, 1, 2)), "likes": rng.randrange(20), "replies": rng.randrange(3)}


def _read_baseline(path: Path, result: Composed) -> list[Line]:
    """(time, line) per valid event; a line is kept as written (unknown fields and all). Broken lines are
    skipped and listed, as a drill would. The operator's own file: plain JSON decoding, then the contract."""
    if not path.is_file():
        raise MonitorError(f"{path}: baseline recording not found (or write --baseline generated)")
    out: list[Line] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            try:
                event = parse_event(json.loads(text))
            except (ValueError, EventFormatError) as exc:
                result.bad_lines.append(f"{path.name}: line {lineno}: {exc}")
                continue
            out.append((event.ts, text))
    if not out:
        raise MonitorError(f"{path}: no valid event in the baseline recording")
    return out


def _shifted(base: list[Line], days: int) -> list[Line]:
    delta = timedelta(days=days)
    out: list[Line] = []
    for ts, line in base:
        obj = json.loads(line) if isinstance(line, str) else dict(line)
        obj["ts"] = format_ts(ts + delta)
        out.append((ts + delta, obj))
    return out


def compose(scenario: Scenario, at: datetime, out: Path, *, baseline: Path | None = None, seed: int = 0,
            generate_hours: float = 48.0, baseline_posts: int = 2000) -> Composed:
    """Write the composed drill to ``out``; ``baseline`` None means a generated normal period around ``at``.

    A recorded baseline that does not cover ``at`` is moved by whole days (hours of the day kept)."""
    result = Composed()
    base: list[Line]
    if baseline is None:
        start = at - timedelta(hours=min(6.0, generate_hours / 4))
        base = [(parse_ts(e["ts"]), e) for e in generate_baseline(start, generate_hours, baseline_posts, seed,
                                                                  scenario.name_of_brand)]
    else:
        base = _read_baseline(baseline, result)
        first, last = min(t for t, _ in base), max(t for t, _ in base)
        if not first <= at <= last:
            result.shifted_days = math.floor((at - first).total_seconds() / 86400)
            base = _shifted(base, result.shifted_days)
    added = scenario_events(scenario, at, seed)
    result.baseline_events, result.scenario_events = len(base), len(added)
    keyed = [(ts, 0, i, e) for i, (ts, e) in enumerate(base)]
    keyed += [(parse_ts(e["ts"]), 1, i, e) for i, e in enumerate(added)]
    keyed.sort(key=lambda k: k[:3])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for _, _, _, e in keyed:
            fh.write((e if isinstance(e, str) else json.dumps(e, ensure_ascii=False)) + "\n")
    tmp.replace(out)
    if keyed:
        result.first, result.last = keyed[0][0], keyed[-1][0]
    for e in added:
        if "phase_info" in e:
            result.phases.append({"phase": e["phase"], **e["phase_info"]})
    return result
