"""Alert -> the words every notifier shares: headline, why, example posts, playbook.

:func:`build_view` turns an :class:`~monitor.models.Alert` (with its already rendered
playbook) into an :class:`AlertView` of plain, *unescaped* strings. Each output format
then escapes every value for its target when it formats it, so user-controlled text
(post text, author, url, titles, trend words) can never ping a channel, fake a link or
inject markup: Slack mrkdwn escapes ``& < >``, chat Markdown breaks mention and link
syntax with an invisible zero-width space, HTML escapes everything.

Detail keys read from ``evidence.detail`` (all optional, filled by the engine):
trend ``word``, ``rank``, ``source``; stock ``symbol``, ``price``, ``prev_close``,
``change_pct``; news ``outlet``, ``title``, ``url``; resolved ``quiet_for`` (seconds),
``opened_at`` (ISO time), ``peak_level``; blind_spot/recovered ``source``, ``silent_for``
(seconds) or ``silent_for_minutes``, ``down_for`` (seconds), ``last_event``, ``last_error``,
``failures`` or ``consecutive_failures``. Source-level alerts use brand ``*`` (or ``""``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.alerts.markup import (
    ZWSP,
    clean,
    escape_html,
    escape_markdown,
    escape_slack,
    fit_parts,
    fmt_num,
    fmt_time,
    one_line,
    safe_url,
    truncate,
    utf8_len,
)
from monitor.durations import format_duration
from monitor.errors import EventFormatError
from monitor.models import Alert, Example, parse_ts

__all__ = ["EXAMPLES", "ZWSP", "AlertView", "Dialect", "ExampleView", "PlaybookView", "Section", "as_view",
           "build_view", "clean", "escape_html", "escape_markdown", "escape_slack", "fit_parts", "fmt_num", "fmt_time",
           "headline", "markdown_parts", "one_line", "render_markdown", "render_slack_text", "render_text", "safe_url",
           "sections", "truncate", "utf8_len"]

EXAMPLES = 3  # example posts shown per alert unless a notifier is configured otherwise
TAGS = {"blue": "BLUE", "yellow": "YELLOW", "red": "RED"}
SPECIAL_TAGS = {"resolved": "ALL CLEAR", "blind_spot": "BLIND SPOT", "recovered": "RECOVERED"}
COLORS = {"blue": "#1E88E5", "yellow": "#F9A825", "red": "#D32F2F", "ALL CLEAR": "#2E7D32",
          "BLIND SPOT": "#6D4C41", "RECOVERED": "#2E7D32"}


def _seconds(value: Any) -> timedelta | None:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=round(value))
    return None


def _when(value: Any) -> datetime | None:
    """A detail time (datetime or ISO text); None when absent or unreadable: rendering never fails."""
    if isinstance(value, datetime):
        return value
    try:
        return parse_ts(value, "detail") if value else None
    except EventFormatError:
        return None


def _human(value: Any) -> str:
    td = _seconds(value)
    return format_duration(td) if td is not None else str(value)


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True, slots=True)
class ExampleView:
    source: str
    author: str
    url: str | None  # http(s) only, already made safe to embed
    text: str  # one line, truncated
    when: str
    reach: str  # "120 reposts" or ""


@dataclass(frozen=True, slots=True)
class PlaybookView:
    title: str
    owner: str
    ack: str  # "acknowledge within 15m (by 2026-03-01 08:15 UTC)"
    summary: str
    escalation_contacts: tuple[str, ...]
    tasks: tuple[str, ...]  # "PR: holding statement — within 1h (by ...)"
    statement: str
    media: tuple[str, ...]
    follow_up: tuple[str, ...]  # "+3d (2026-03-04): progress update"


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything a notifier shows, as plain unescaped strings."""

    alert: Alert
    tag: str  # RED / YELLOW / BLUE / ALL CLEAR / BLIND SPOT / RECOVERED
    color: str  # hex, for cards and terminals
    headline: str
    notice: str  # what this transition means for the team, one or two sentences
    facts: tuple[tuple[str, str], ...]
    why: tuple[str, ...]
    examples: tuple[ExampleView, ...]
    playbook: PlaybookView | None
    footer: str


def tag_for(alert: Alert) -> str:
    return SPECIAL_TAGS.get(alert.transition) or TAGS.get(alert.level, alert.level.upper())


def color_for(alert: Alert) -> str:
    tag = tag_for(alert)
    return COLORS.get(tag) or COLORS.get(alert.level, "#607D8B")


def _detail(alert: Alert) -> dict[str, Any]:
    return dict(alert.evidence.detail) if alert.evidence else {}


def short_reason(alert: Alert) -> str:
    """The reason without a leading ``red:`` / ``all clear:`` the headline already says."""
    reason = one_line(alert.reason)
    head, sep, rest = reason.partition(": ")
    return rest if sep and head.lower() in (alert.level.lower(), "all clear") else reason


def _source_state(alert: Alert) -> tuple[str, timedelta | None, int, str]:
    """(source, silent for, consecutive failures, last error) of a blind-spot alert's detail."""
    d = _detail(alert)
    silent = _seconds(d.get("silent_for"))
    if silent is None and _seconds(d.get("silent_for_minutes")) is not None:
        silent = timedelta(minutes=d["silent_for_minutes"])
    failures = next((v for v in (d.get("failures"), d.get("consecutive_failures"))
                     if isinstance(v, int) and not isinstance(v, bool)), 0)
    return str(d.get("source") or alert.incident_id), silent, failures, one_line(str(d.get("last_error") or ""))


def headline(alert: Alert) -> str:
    """One line naming level, brand, incident and what happened."""
    tag, d = tag_for(alert), _detail(alert)
    who = f"{alert.brand_name} — " if alert.brand not in ("", "*") and alert.brand_name else ""
    inc, reason = f"incident {alert.incident_id}", short_reason(alert)
    t = alert.transition
    if t == "blind_spot":
        src, silent, failures, error = _source_state(alert)
        if failures and error:
            return f"[{tag}] {who}{src} keeps failing ({failures} times in a row) — silence is not calm"
        return f"[{tag}] {who}no posts from {src}{f' for {_human(silent)}' if silent else ''} — silence is not calm"
    if t == "recovered":
        src = d.get("source") or alert.incident_id
        if d.get("down_for") is not None:
            return f"[{tag}] {who}{src} is back after {_human(d['down_for'])}"
        return f"[{tag}] {who}{reason or f'{src} is back'}"
    if t == "resolved":
        return f"[{tag}] {who}{inc} resolved: {reason}" if reason else f"[{tag}] {who}{inc} resolved"
    if t == "acknowledged":
        return f"[{tag}] {who}{inc} acknowledged by {alert.acked_by or 'someone'}"
    if t == "repeated":
        return f"[{tag}] {who}reminder: {inc} still unacknowledged: {reason}"
    if t == "overdue":
        pb = alert.playbook
        to = ", ".join(pb.escalation_contacts) if pb is not None and pb.escalation_contacts else "the next contacts"
        return f"[{tag}] {who}{inc} acknowledgement overdue — escalated to {to}"
    return f"[{tag}] {who}{inc} {t}: {reason}"


def _notice(alert: Alert, pb: Any) -> str:
    t, d, level = alert.transition, _detail(alert), alert.level
    owner = f" Owner: {pb.owner}." if pb else ""
    ack = f" Acknowledge within {format_duration(pb.ack_deadline)} (by {fmt_time(pb.ack_due)})." if pb else ""
    if t == "opened":
        return f"New {level} incident.{owner}{ack}"
    if t == "escalated":
        return f"The incident is now {level}: a new playbook applies.{owner}{ack}"
    if t == "repeated":
        return f"Reminder: nobody has acknowledged this {level} incident yet.{owner}{ack}"
    if t == "overdue":
        who = ", ".join(pb.escalation_contacts) if pb and pb.escalation_contacts else "the next contacts"
        return (f"The acknowledgement deadline passed without an acknowledgement: escalated to {who} "
                f"(escalation step {alert.escalation_step}).{owner}")
    if t == "acknowledged":
        return f"Acknowledged by {alert.acked_by or 'someone'}; reminders stop. The playbook stays in force."
    if t == "resolved":
        parts = []
        if d.get("quiet_for") is not None:
            parts.append(f"quiet for {_human(d['quiet_for'])}")
        start = _when(d.get("opened_at"))
        if start is not None and start <= alert.ts:
            parts.append(f"the incident lasted {format_duration(alert.ts - start)}")
        parts.append(f"peak level {str(d.get('peak_level') or level).upper()}")
        return "All clear: " + "; ".join(parts) + ". Keep to the follow-up plan."
    if t == "blind_spot":
        src = d.get("source") or alert.incident_id
        return (f"Brand Monitor cannot see {src}. Until it is back, no alerts from it does not mean "
                f"no crisis: check the channel by hand.")
    if t == "recovered":
        return f"{d.get('source') or alert.incident_id} is producing again; monitoring of it has resumed."
    return one_line(alert.reason)


_UNITS = {"blue.platform_posts": ("negative post on one platform", "negative posts on one platform"),
          "yellow.reposts": ("repost of negative posts", "reposts of negative posts"),
          "yellow.news": ("news article", "news articles"), "red.trending": ("trending entry", "trending entries")}


def _observed(trigger: str, observed: float, threshold: float, minutes: int) -> str:
    if trigger == "red.stock":
        return (f"Observed: {observed:+.1f}% against the previous close — threshold: more than {fmt_num(threshold)}% "
                f"— window: {minutes} min")
    one, many = _UNITS.get(trigger, ("", ""))
    unit = (one if observed == 1 else many) or "signals"
    limit = "any" if threshold == 0 else f"more than {fmt_num(threshold)}"
    return f"Observed: {fmt_num(observed)} {unit} — threshold: {limit} — window: {minutes} min"


def _detail_lines(d: dict[str, Any]) -> list[str]:
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
    return out


def _why(alert: Alert, examples: tuple[Example, ...]) -> tuple[str, ...]:
    ev, out = alert.evidence, []
    d = _detail(alert)
    if alert.transition in ("blind_spot", "recovered"):
        _, silent, failures, error = _source_state(alert)
        if alert.transition == "blind_spot" and silent:
            out.append(f"No posts for {_human(silent)}")
        if d.get("last_event"):
            out.append(f"Last post seen: {d['last_event']}")
        if failures:
            out.append(f"Failed {failures} times in a row")
        if error:
            out.append(f"Last error: {error}")
        if d.get("down_for") is not None:
            out.append(f"Out for {_human(d['down_for'])}")
        return tuple(out or [one_line(ev.rule if ev and ev.rule else alert.reason)])
    if ev is None:
        return (short_reason(alert),) if alert.reason else ()
    if alert.transition not in ("opened", "escalated") and alert.reason:
        out.append(short_reason(alert))  # the engine's words for this reminder/deadline/all-clear
    if ev.rule:
        out.append(f"Rule: {one_line(ev.rule)}")
    out.append(_observed(ev.trigger, ev.observed, ev.threshold, ev.window_minutes))
    out += _detail_lines(d)
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


def _example(ex: Example, text_limit: int) -> ExampleView:
    reach = f"{ex.reposts} reposts" if ex.reposts else ""
    source = f"{ex.source} ({ex.outlet})" if ex.outlet else ex.source
    return ExampleView(source=source, author=one_line(ex.author or ""), url=safe_url(ex.url),
                       text=truncate(one_line(ex.text), text_limit), when=fmt_time(ex.ts), reach=reach)


def _playbook(alert: Alert) -> PlaybookView | None:
    pb = alert.playbook
    if pb is None:
        return None
    full = alert.transition != "resolved"  # after the all-clear only the follow-up plan matters
    media = tuple(" — ".join(p for p in (m.outlet, m.contact, m.note) if p) for m in pb.media_list)
    return PlaybookView(
        title=pb.title, owner=pb.owner,
        ack=f"acknowledge within {format_duration(pb.ack_deadline)} (by {fmt_time(pb.ack_due)})",
        summary=pb.summary if full else "", escalation_contacts=tuple(pb.escalation_contacts),
        tasks=tuple(f"{t.role}: {t.task} — within {format_duration(t.deadline)} (by {fmt_time(t.due)})"
                    for t in pb.tasks) if full else (),
        statement=pb.statement if full else "", media=media if full else (),
        follow_up=tuple(f"+{format_duration(f.after)} ({f.due:%Y-%m-%d}): {f.action}" for f in pb.follow_up),
    )


def build_view(alert: Alert, *, max_examples: int = EXAMPLES, text_limit: int = 280) -> AlertView:
    """The shared, format-free picture of one notification."""
    examples = alert.evidence.examples if alert.evidence else ()
    pb, d = alert.playbook, _detail(alert)
    facts: list[tuple[str, str]] = [("Level", tag_for(alert))]
    if alert.brand not in ("", "*"):
        facts.append(("Brand", f"{alert.brand_name} ({alert.brand})" if alert.brand_name else alert.brand))
    if alert.transition in ("blind_spot", "recovered"):
        facts.append(("Source", str(d.get("source") or alert.incident_id)))
    else:
        facts.append(("Incident", alert.incident_id))
    facts.append(("Transition", alert.transition))
    if alert.category:
        facts.append(("Category", alert.category))
    facts.append(("Fired at", fmt_time(alert.ts)))
    if alert.evidence and alert.evidence.trigger:
        facts.append(("Trigger", alert.evidence.trigger))
    if pb is not None:
        facts.append(("Owner", pb.owner))
    return AlertView(
        alert=alert, tag=tag_for(alert), color=color_for(alert), headline=headline(alert),
        notice=_notice(alert, pb), facts=tuple(facts), why=_why(alert, examples),
        examples=tuple(_example(ex, text_limit) for ex in examples[:max_examples]),
        playbook=_playbook(alert), footer=f"Brand Monitor · notification {alert.id}",
    )


def as_view(obj: Alert | AlertView) -> AlertView:
    """Accept either an alert or a view already built (so a notifier builds it once)."""
    return obj if isinstance(obj, AlertView) else build_view(obj)


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one markup spells escaping, bold and links."""

    esc: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (label already escaped, safe url)
    bullet: str = "- "


PLAIN = Dialect(esc=lambda s: s, bold=lambda s: s, link=lambda label, url: f"{label} <{url}>")
MARKDOWN = Dialect(esc=escape_markdown, bold=lambda s: f"**{s}**", link=lambda label, url: f"[{label}]({url})")
SLACK = Dialect(esc=escape_slack, bold=lambda s: f"*{s}*", bullet="• ",
                link=lambda label, url: f"<{url.replace('&', '&amp;')}|{label}>")


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # why, examples, playbook, tasks, statement, media, follow_up
    title: str  # formatted (bold) and escaped
    lines: tuple[str, ...]  # formatted and escaped

    def render(self, sep: str = "\n") -> str:
        return sep.join((self.title, *self.lines))


def example_line(ex: ExampleView, d: Dialect) -> str:
    src = d.link(d.esc(ex.source), ex.url) if ex.url else d.esc(ex.source)
    meta = " · ".join(p for p in (src, d.esc(ex.author), ex.when, ex.reach) if p)
    return f"{meta}: “{d.esc(ex.text)}”"


def sections(obj: Alert | AlertView, d: Dialect) -> list[Section]:
    """The message body as titled sections in dialect ``d``; empty sections are left out."""
    v, b = as_view(obj), d.bullet
    out = [Section("why", d.bold("Why"), tuple(b + d.esc(w) for w in v.why))]
    if v.examples:
        out.append(Section("examples", d.bold("Example posts"), tuple(b + example_line(e, d) for e in v.examples)))
    pb = v.playbook
    if pb is not None:
        head = [d.esc(f"Owner: {pb.owner} — {pb.ack}")] if pb.tasks else []
        if pb.summary:
            head.append(d.esc(one_line(pb.summary)))
        if v.alert.transition == "overdue" and pb.escalation_contacts:
            head.append(d.esc("Escalation contacts: " + ", ".join(pb.escalation_contacts)))
        out.append(Section("playbook", d.bold(d.esc(f"Playbook: {pb.title}")), tuple(head)))
        if pb.tasks:
            out.append(Section("tasks", d.bold("Tasks"), tuple(b + d.esc(t) for t in pb.tasks)))
        if pb.statement:
            out.append(Section("statement", d.bold("Holding statement"),
                               tuple(d.esc(clean(line).strip()) for line in pb.statement.splitlines() if line.strip())))
        if pb.media:
            out.append(Section("media", d.bold("Brief first"), tuple(b + d.esc(m) for m in pb.media)))
        if pb.follow_up:
            out.append(Section("follow_up", d.bold("Follow-up plan (3-7-21)"),
                               tuple(b + d.esc(f) for f in pb.follow_up)))
    return [s for s in out if s.lines or s.key == "playbook"]


def render_text(obj: Alert | AlertView) -> str:
    """Plain text: terminal, e-mail text part, fallbacks."""
    v = as_view(obj)
    facts = " · ".join(f"{k}: {val}" for k, val in v.facts)
    parts = [v.headline, v.notice, facts, *(s.render() for s in sections(v, PLAIN)), v.footer]
    return "\n\n".join(p for p in parts if p) + "\n"


def markdown_parts(obj: Alert | AlertView) -> list[str]:
    """The Markdown message as paragraphs (headline first, footer last), for size fitting."""
    v, d = as_view(obj), MARKDOWN
    facts = " · ".join(f"{d.bold(d.esc(k))}: {d.esc(val)}" for k, val in v.facts)
    parts = [d.bold(d.esc(v.headline)), d.esc(v.notice), facts, *(s.render() for s in sections(v, d)),
             d.esc(v.footer)]
    return [p for p in parts if p]


def render_markdown(obj: Alert | AlertView) -> str:
    """Markdown for chat tools (DingTalk, WeCom, Feishu, Teams): bold, lists and links only."""
    return "\n\n".join(markdown_parts(obj))


def render_slack_text(obj: Alert | AlertView) -> str:
    """Slack mrkdwn for the message's ``text`` fallback (what notifications show)."""
    v = as_view(obj)
    return f"{escape_slack(v.headline)}\n{escape_slack(v.notice)}"

