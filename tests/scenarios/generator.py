"""Seeded scenario generators: what a brand's stream looks like, as events the engine judges.

Each generator returns a time-ordered list of :class:`Item` (a scored post, a trend with its
rule matches, or a quote) so engine tests can replay it in batches, restart midway, and
compare the exact notification sequence; :func:`write_recording` turns the posts into the
DESIGN.md event format (bursts marked with the extra field ``burst``) for the CLI.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.models import Post, Quote, RuleMatch, ScoredPost, Sentiment, Trend, event_to_dict

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
COMPLAINTS = ["my {b} kettle leaks again and support ignores me", "{b} customer service kept me on hold for an hour",
              "the {b} toaster burnt my bread, cheap plastic", "{b} delivery is three days late, no update",
              "refund from {b} still not here after a month", "{b} app logs me out every time"]


@dataclass(frozen=True)
class Item:
    ts: datetime
    post: ScoredPost | None = None
    trend: Trend | None = None
    matches: tuple[RuleMatch, ...] = ()
    quote: Quote | None = None
    brands: tuple[str, ...] = ()
    burst: str | None = None


def scored(ts: datetime, pid: str, text: str, *, brand: str = "acme", source: str = "x", author: str | None = None,
           label: str = "negative", kind: str = "social", outlet: str | None = None, reposts: int = 0,
           category: str = "service", burst: str | None = None) -> Item:
    extra = {"burst": burst} if burst else {}
    post = Post(ts=ts, source=source, id=pid, text=text, author=author, kind=kind, outlet=outlet, reposts=reposts,
                url=f"https://{outlet or source}.example/{pid}", extra=extra)
    match = RuleMatch(f"{brand}-{category}", brand, category, ("support",))
    return Item(ts, post=ScoredPost(post, [match], Sentiment(label, 0.9, "scenario")), burst=burst)  # type: ignore


def busy_week(seed: int = 1, *, days: int = 7, per_hour: float = 15.0, amplitude: float = 0.6, brand: str = "acme",
              source: str = "x") -> list[Item]:
    """A big brand complaining steadily: ~per_hour negative posts an hour, daily seasonality, distinct authors."""
    rng = random.Random(seed)
    out: list[Item] = []
    for h in range(days * 24):
        hour = T0 + timedelta(hours=h)
        rate = per_hour * (1 + amplitude * math.sin(2 * math.pi * (h % 24 - 9) / 24))
        n = _poisson(rng, rate)
        for i in range(n):
            ts = hour + timedelta(seconds=rng.uniform(0, 3600))
            text = rng.choice(COMPLAINTS).format(b="Acme") + f" #{h}-{i}"
            out.append(scored(ts, f"{brand}-{h}-{i}", text, brand=brand, source=source,
                              author=f"user{rng.randrange(100000)}"))
    return sorted(out, key=lambda x: x.ts)


def burst(start: datetime, *, count: int = 110, minutes: int = 50, seed: int = 2, brand: str = "acme",
          source: str = "x", name: str = "b1", one_author: bool = False) -> list[Item]:
    """``count`` negative posts in ``minutes`` (by distinct accounts, or all by one)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        ts = start + timedelta(seconds=rng.uniform(0, minutes * 60))
        author = "angry1" if one_author else f"burst{seed}-{i}"
        text = f"Acme kettle exploded in my kitchen, {rng.choice(['scary', 'dangerous', 'awful'])} #{i}"
        out.append(scored(ts, f"{name}-{i}", text, brand=brand, source=source, author=author, burst=name,
                          category="safety"))
    return sorted(out, key=lambda x: x.ts)


def quiet_history(seed: int = 3, *, days: int = 2, per_day: float = 3, brand: str = "acme") -> list[Item]:
    """A quiet brand: a few negative posts a day."""
    rng = random.Random(seed)
    out = []
    for d in range(days):
        for i in range(_poisson(rng, per_day)):
            ts = T0 + timedelta(days=d, seconds=rng.uniform(0, 86400))
            out.append(scored(ts, f"q{d}-{i}", rng.choice(COMPLAINTS).format(b="Acme"), brand=brand,
                              author=f"q{d}{i}", source=rng.choice(["x", "reddit"])))
    return sorted(out, key=lambda x: x.ts)


def syndicated(start: datetime, outlets: int = 20, *, brand: str = "acme", spread_min: int = 40) -> list[Item]:
    """One wire story reprinted by many outlets (small edits: a dateline, a byline)."""
    body = ("Acme recalls 40,000 kettles after reports of electric shocks; regulators open an inquiry into "
            "the company's safety testing and customer complaints handling")
    out = []
    for i in range(outlets):
        ts = start + timedelta(minutes=spread_min * i / outlets)
        outlet = f"news{i}.example"
        text = f"{'LONDON' if i % 2 else 'NEW YORK'} (Wire) - {body}"
        out.append(scored(ts, f"wire-{i}", text, brand=brand, source="rss", author=f"desk@{outlet}", kind="news",
                          outlet=outlet, category="safety"))
    return out


def trend(ts: datetime, word: str, *, negative: bool, brand: str = "acme", source: str = "weibo_hot",
          rank: int = 3) -> Item:
    matches = [RuleMatch(f"{brand}:trending", brand, "trending", (word,))]
    if negative:
        matches.append(RuleMatch(f"{brand}-safety", brand, "safety", ("leak",)))
    return Item(ts, trend=Trend(ts=ts, source=source, word=word, rank=rank), matches=tuple(matches))


def quote(ts: datetime, symbol: str, change_pct: float, *, brands: tuple[str, ...] = ()) -> Item:
    return Item(ts, quote=Quote(ts=ts, source="market", symbol=symbol, price=100 * (1 + change_pct / 100),
                                prev_close=100.0), brands=brands)


def positive_launch(start: datetime, seed: int = 4, brand: str = "acme") -> list[Item]:
    """A launch: a flood of happy posts, the brand's name on hot lists, no complaints."""
    rng = random.Random(seed)
    out = [scored(start + timedelta(seconds=rng.uniform(0, 7200)), f"launch-{i}", "Love the new Acme kettle!",
                  brand=brand, author=f"fan{i}", label="positive", category="launch") for i in range(200)]
    out += [trend(start + timedelta(minutes=10 * k), "Acme 新品发布", negative=False, brand=brand) for k in range(6)]
    out += [trend(start + timedelta(minutes=15 + 10 * k), "Acme launch", negative=False, brand=brand,
                  source="google_trends") for k in range(4)]
    return sorted(out, key=lambda x: x.ts)


def write_recording(items: list[Item], path: Path) -> Path:
    """The posts, trends and quotes as a DESIGN.md recording; burst posts carry ``"burst": NAME``."""
    with path.open("w", encoding="utf-8") as fh:
        for it in items:
            event = it.post.post if it.post else it.trend or it.quote
            assert event is not None
            fh.write(json.dumps(event_to_dict(event), ensure_ascii=False) + "\n")
    return path


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method (small rates): seeded, no numpy."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
