"""What an open incident still has to say without changing level ("updated" notifications):

- a burst: a platform's short-window voices are improbable against the incident's own recent
  level (and the baseline), so a busy brand's new story is never lost inside an old incident;
- a new media story: a news article that is not a copy of an article already in the window
  (syndicated copies fold into one story and stay quiet);
- (configurable) a trend entry without negative context: a note, never red.

State that must survive a restart is kept in the incident's persisted ``triggers`` list
(``burst``, ``note:<source>:<word>``), so a restarted engine neither repeats nor drops one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.alerts.baseline import hour_of, nb_sf, nb_threshold
from monitor.alerts.signals import PostSignal
from monitor.alerts.stories import Story, shingles

if TYPE_CHECKING:
    from monitor.alerts.engine import Engine
    from monitor.alerts.levels import Window
    from monitor.models import Incident

BURST = "burst"


def fresh_news(w: Window, sig: PostSignal) -> None:
    """A news article arrived live (never on restore): judge at the next evaluation whether it is a new story."""
    w.fresh_news.append(sig)


def _media_mark(w: Window, story: Story) -> str:
    """A story's identity across the incident (it may leave the window and come back): its first article's words."""
    first = next((m for m in story.members if w.is_news(m)), story.members[0])
    digest = hashlib.sha1(b"\n".join(sorted(shingles(first.example.text)))).hexdigest()[:10]
    return f"media:{digest}"


def settle(engine: Engine, scope: str, w: Window, inc: Incident) -> None:
    """After opening or escalating: that alert already told the news and any burst in progress."""
    if w.fresh_news or any(m.startswith("media:") for m in inc.triggers) or w.news:
        w.fresh_news.clear()
        w.stories.refresh()
        for story in list(w.stories.stories.values()):
            mark = _media_mark(w, story)
            if story.articles(w.is_news) and mark not in inc.triggers:
                inc.triggers.append(mark)
        engine._changed.add(scope)
    if BURST not in inc.triggers:  # the burst that opened it (if any) is told; the next one once it calms
        inc.triggers.append(BURST)
        engine._changed.add(scope)


def news_stories(engine: Engine, scope: str, w: Window, inc: Incident) -> None:
    """One 'updated' per moment listing the media stories that are new (not syndicated copies)."""
    fresh, w.fresh_news = w.fresh_news, []
    if not fresh or inc.level == "blue" or not engine.config.yellow.news_pickup:
        return
    w.stories.refresh()
    new: dict[str, PostSignal] = {}
    for p in fresh:
        story = w.stories.story_of.get(p.key)
        if story is None:
            continue
        if any(w.is_news(m) and (m.ts, m.key) < (p.ts, p.key) for m in story.members):
            continue  # a syndicated copy of an article the story already carried
        mark = _media_mark(w, story)
        if mark not in inc.triggers and mark not in new:
            new[mark] = p
    if not new:
        return
    inc.triggers.extend(new)
    engine._changed.add(scope)
    first = next(iter(new.values()))
    outlets = w.news_outlets()
    title = first.example.text[:100]
    more = f" and {len(new) - 1} more" if len(new) > 1 else ""
    f = w.evaluate("yellow.news")
    assert f is not None
    f.evidence.detail["new_stories"] = [{"outlet": p.outlet or p.source, "text": p.example.text[:200],
                                         "url": p.example.url} for p in new.values()]
    engine._notify(scope, inc, "updated", f"{inc.level}: new media story: {first.outlet or first.source}: "
                   f"\u201c{title}\u201d{more} ({w.news} articles from {len(outlets)} outlets in the window)",
                   f.evidence)


def _burst(engine: Engine, w: Window, at: datetime | None = None) -> tuple[dict[str, object] | None, bool]:
    """(the strongest burst's numbers or None, calm): short windows against the incident's recent level."""
    cfg = engine.config
    b = cfg.baseline
    at = at or w.now
    if not (b.burst_updates and b.short_windows and w._adaptive() and w.posts and at is not None):
        return None, True
    least = b.adaptive_min if w._mode == "adaptive" else cfg.blue.platform_posts + 1
    tail = w._tail(at)
    top = 0  # the loudest platform in any short window (asked before each post joins: no list, no max())
    for voices, _ in tail.values():
        if voices:
            top = max(top, *voices.values())
    if top < least:  # no short window is loud enough for a burst
        return None, top * 2 < least
    main = cfg.window.total_seconds() / 60
    best: dict[str, object] | None = None
    calm = True
    for platform, v in sorted(w.per_platform.items()):
        series = w.baselines.get(f"{w.brand}|{platform}|neg") if w.baselines is not None else None
        for short in b.short_windows:
            c = tail[short][0][platform]
            if c * 2 >= least:
                calm = False
            if c < least:
                continue
            m = short.total_seconds() / 60
            recent = (v - c) * m / (main - m) if main > m else 0.0
            base = series.expected(hour_of(at))[0] * m / 60 if series is not None else 0.0
            mu = max(recent, base, 0.05 * m / 60)
            thr = nb_threshold(mu, b.dispersion, b.p_value)
            if c >= thr and (best is None or c / mu > best["ratio"]):  # type: ignore[operator]
                best = {"platform": platform, "observed": c, "expected": round(mu, 2), "ratio": round(c / mu, 1),
                        "tail_p": float(f"{nb_sf(c, mu, b.dispersion):.3g}"), "surprising_at": thr,
                        "window_minutes": int(m), "recent_level": round(recent, 2), "baseline": round(base, 2)}
    return best, calm


def calm(engine: Engine, scope: str, w: Window, inc: Incident, at: datetime) -> None:
    """Before a post joins: has the last burst calmed down? (Short windows only empty between posts, so
    judging at each post's arrival gives the same answer live and in replay, whatever the ticks.)"""
    if BURST in inc.triggers and _burst(engine, w, at)[1]:
        inc.triggers.remove(BURST)
        engine._changed.add(scope)


def bursts(engine: Engine, scope: str, w: Window, inc: Incident) -> None:
    if BURST in inc.triggers:  # told already; it ends when calm (judged as posts arrive)
        return
    hit = w._memo.get("burst")  # a burst starts only with new posts or a new hour, which clear the memo
    if hit is None:
        hit = w._memo["burst"] = _burst(engine, w)
    burst = hit[0]
    if burst is None:
        return
    inc.triggers.append(BURST)
    engine._changed.add(scope)
    f = w.evaluate("blue.platform_posts")
    evidence = f.evidence if f is not None else None
    if evidence is not None:
        evidence.detail["burst"] = burst
    engine._notify(scope, inc, "updated", f"{inc.level}: burst inside the open incident: {burst['observed']} "
                   f"negative voices on {burst['platform']} in the last {burst['window_minutes']} min against "
                   f"{burst['expected']} expected from its recent level ({burst['ratio']}x, p={burst['tail_p']:.1g})",
                   evidence)


def positive_trends(engine: Engine, scope: str, w: Window, inc: Incident) -> None:
    """A trend without negative context is at most a note in the open incident, once per word."""
    if engine.config.red.positive_trending != "note" or not w.trends or not engine.config.red.trending:
        return
    negative = {t.key for t in w.negative_trends()}
    for t in w.trends:
        mark = f"note:{t.source}:{t.word}"
        if t.key in negative or mark in inc.triggers:
            continue
        inc.triggers.append(mark)
        engine._changed.add(scope)
        rank = f" (#{t.rank})" if t.rank else ""
        engine._notify(scope, inc, "updated", f"{inc.level}: note: the brand is trending without negative context: "
                       f"\u201c{t.word}\u201d on {t.source}{rank}; not a red alert", None)

