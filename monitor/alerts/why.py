"""Why an alert fired, in words: the crisis manual's rule, counts against the threshold,
the window, the per-platform split, top rules and terms, trend / stock / news specifics,
and for source-level alerts how long a channel has been silent or failing.

Reads the engine's ``evidence.detail`` defensively (flat or nested keys, any JSON value):
a malformed detail drops a line, it never stops a notification.

Detail keys read from ``evidence.detail`` (all optional, filled by the engine):
trend ``word``, ``rank``, ``source``; stock ``symbol``, ``price``, ``prev_close``,
``change_pct``; news ``outlet``, ``title``, ``url``; resolved ``quiet_for`` (seconds),
``opened_at`` (ISO time), ``peak_level``; blind_spot/recovered ``source``, ``silent_for``
(seconds) or ``silent_for_minutes``, ``down_for`` (seconds), ``last_event``, ``last_error``,
``failures`` or ``consecutive_failures``; baseline ``test`` / ``burst`` (observed, expected, ratio, tail_p,
surprising_at, window_minutes, basis), ``voices`` / ``posts`` per platform, ``articles``, ``outlets``,
``stories`` (text, posts, reposts, outlets). Source-level alerts use brand ``*`` (or ``""``).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from monitor.alerts.markup import fmt_num, one_line
from monitor.durations import format_duration
from monitor.errors import EventFormatError
from monitor.models import Alert, Example, parse_ts


def as_timedelta(value: Any) -> timedelta | None:
    """A detail duration (timedelta or seconds); None when absent, not finite or beyond any calendar."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:
            return None
        return timedelta(seconds=round(seconds)) if math.isfinite(seconds) and abs(seconds) < 1e13 else None
    return None


def as_time(value: Any) -> datetime | None:
    """A detail time (datetime or ISO text); None when absent or unreadable: rendering never fails."""
    if isinstance(value, datetime):
        return value
    try:
        return parse_ts(value, "detail") if value else None
    except EventFormatError:
        return None


def human(value: Any) -> str:
    td = as_timedelta(value)
    return format_duration(td) if td is not None else str(value)


def detail_of(alert: Alert) -> dict[str, Any]:
    return dict(alert.evidence.detail) if alert.evidence else {}


def short_reason(alert: Alert) -> str:
    """The reason without a leading ``red:`` / ``all clear:`` the headline already says."""
    reason = one_line(alert.reason)
    head, sep, rest = reason.partition(": ")
    return rest if sep and head.lower() in (alert.level.lower(), "all clear") else reason


def failure_limit(d: dict[str, Any]) -> str:
    """``threshold 3``: the count is read when health is next checked, so it can be past the threshold."""
    limit = d.get("failure_threshold")
    return f"threshold {limit}" if isinstance(limit, int) and not isinstance(limit, bool) else ""


def source_state(alert: Alert) -> tuple[str, timedelta | None, int, str]:
    """(source, silent for, consecutive failures, last error) of a blind-spot alert's detail."""
    d = detail_of(alert)
    silent = as_timedelta(d.get("silent_for"))
    minutes = d.get("silent_for_minutes")
    if silent is None and as_timedelta(minutes) is not None:
        silent = as_timedelta(minutes * 60)
    failures = next((v for v in (d.get("failures"), d.get("consecutive_failures"))
                     if isinstance(v, int) and not isinstance(v, bool)), 0)
    return str(d.get("source") or alert.incident_id), silent, failures, one_line(str(d.get("last_error") or ""))


_UNITS = {"blue.platform_posts": ("negative post on one platform", "negative posts on one platform"),
          "yellow.reposts": ("repost of negative posts", "reposts of negative posts"),
          "yellow.news": ("news article", "news articles"), "red.trending": ("trending entry", "trending entries")}


def observed_line(trigger: str, observed: float, threshold: float, minutes: int) -> str:
    if trigger == "red.stock":
        return (f"Observed: {observed:+.1f}% against the previous close — threshold: more than {fmt_num(threshold)}% "
                f"— window: {minutes} min")
    one, many = _UNITS.get(trigger, ("", ""))
    unit = (one if observed == 1 else many) or "signals"
    limit = "any" if threshold == 0 else f"more than {fmt_num(threshold)}"
    return f"Observed: {fmt_num(observed)} {unit} — threshold: {limit} — window: {minutes} min"


def detail_lines(d: dict[str, Any]) -> list[str]:
    """Trend, stock and news specifics; flat keys or the engine's nested ``trend``/``quote`` dicts."""
    out = []
    trend = d.get("trend") if isinstance(d.get("trend"), dict) else d
    if trend.get("word"):
        rank = f" at #{trend['rank']}" if trend.get("rank") is not None else ""
        out.append(f"Trending: “{one_line(str(trend['word']))}”{rank} on {trend.get('source') or 'a trending list'}")
    q = d.get("quote") if isinstance(d.get("quote"), dict) else d
    if isinstance(q.get("price"), int | float) and isinstance(q.get("prev_close"), int | float) and q["prev_close"]:
        pct = q.get("change_pct")
        if not isinstance(pct, int | float):
            pct = (q["price"] - q["prev_close"]) / q["prev_close"] * 100
        sym = f" {q['symbol']}" if q.get("symbol") else ""
        out.append(f"Stock{sym}: {q['price']:.2f} vs previous close {q['prev_close']:.2f} ({pct:+.1f}%)")
    if d.get("outlet"):
        title = f": “{one_line(str(d['title']))}”" if d.get("title") else ""
        out.append(f"News: {one_line(str(d['outlet']))} published{title}")
    if isinstance(d.get("also"), list | tuple) and d["also"]:
        out.append("Also holding: " + ", ".join(map(str, d["also"])))
    out += evidence_lines(d)
    return out


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_line(t: Any, what: str = "Test") -> str | None:
    """``Test: 18 in 10 min against 3.8 expected for this hour of day (4.7x, p=5e-05; surprising from 12)``."""
    if not isinstance(t, dict) or not _num(t.get("observed")) or not _num(t.get("expected")):
        return None
    basis = t.get("basis")
    where = f" for this {basis}" if basis and basis != "recent hours" else " from recent hours" if basis else ""
    extra = [f"{t['ratio']}x"] if _num(t.get("ratio")) else []
    if _num(t.get("tail_p")):
        extra.append("p<1e-12" if t["tail_p"] < 1e-12 else f"p={t['tail_p']:.1g}")
    if _num(t.get("surprising_at")):
        extra.append(f"surprising from {fmt_num(t['surprising_at'])}")
    minutes = f" in {fmt_num(t['window_minutes'])} min" if _num(t.get("window_minutes")) else ""
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"{what}: {fmt_num(t['observed'])}{minutes} against {fmt_num(t['expected'])} expected{where}{tail}"


def evidence_lines(d: dict[str, Any]) -> list[str]:
    """The baseline test, voices against posts, media reach and the largest stories (engine detail keys)."""
    out = []
    for key, what in (("test", "Test"), ("burst", "Burst")):
        line = test_line(d.get(key), what)
        if line:
            out.append(line)
    voices, posts = d.get("voices"), d.get("posts")
    if isinstance(voices, dict) and isinstance(posts, dict) and voices != posts:
        ranked = sorted(voices.items(), key=lambda kv: (-_sort(kv[1]), str(kv[0])))
        out.append("Distinct voices by platform: " + ", ".join(f"{k} {v} ({posts.get(k, v)} posts)" for k, v in ranked))
    if _num(d.get("articles")) and _num(d.get("outlets")) and d["articles"] > 1:
        out.append(f"Media: {fmt_num(d['articles'])} articles from {fmt_num(d['outlets'])} outlets")
    stories = d.get("stories")
    if isinstance(stories, list) and stories:
        parts = []
        for st in stories[:3]:
            if not isinstance(st, dict) or not st.get("text"):
                continue
            reach = [f"{fmt_num(st[k])} {k if st[k] != 1 else k[:-1]}" for k in ("posts", "reposts", "outlets")
                     if _num(st.get(k)) and st[k]]
            parts.append(f"“{one_line(str(st['text']))[:80]}” ({', '.join(reach)})")
        if parts:
            out.append("Top stories: " + "; ".join(parts))
    return out


def _sort(value: Any) -> float:
    return float(value) if _num(value) else 0.0


def why_lines(alert: Alert, examples: tuple[Example, ...]) -> tuple[str, ...]:
    ev, out = alert.evidence, []
    d = detail_of(alert)
    if alert.transition in ("blind_spot", "recovered"):
        _, silent, failures, error = source_state(alert)
        if alert.transition == "blind_spot" and silent:
            out.append(f"No posts for {human(silent)}")
        if d.get("last_event"):
            out.append(f"Last post seen: {d['last_event']}")
        if failures:
            limit = failure_limit(d)
            out.append(f"Failed {failures} times in a row{f' ({limit})' if limit else ''}")
        if error:
            out.append(f"Last error: {error}")
        if d.get("down_for") is not None:
            out.append(f"Out for {human(d['down_for'])}")
        return tuple(out or [one_line(ev.rule if ev and ev.rule else alert.reason)])
    if ev is None:
        return (short_reason(alert),) if alert.reason else ()
    if alert.transition not in ("opened", "escalated") and alert.reason:
        out.append(short_reason(alert))  # the engine's words for this reminder/deadline/all-clear
    if ev.rule:
        out.append(f"Rule: {one_line(ev.rule)}")
    out.append(observed_line(ev.trigger, ev.observed, ev.threshold, ev.window_minutes))
    out += detail_lines(d)
    if ev.platforms:
        split = ", ".join(f"{k} {v}" for k, v in sorted(ev.platforms.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(f"Negative posts by platform: {split} ({ev.negative_posts or sum(ev.platforms.values())} total)")
    if ev.reposts:
        out.append(f"Reposts of negative posts: {ev.reposts}")
    if ev.rules:
        top = sorted(ev.rules.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        out.append("Top rules: " + ", ".join(f"{k} ({v})" for k, v in top))
    terms = Counter(t for ex in examples for t in ex.terms)
    if terms:
        out.append("Top terms: " + ", ".join(t for t, _ in terms.most_common(5)))
    return tuple(out)
