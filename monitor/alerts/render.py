"""Alert -> the words every notifier shares: headline, why, example posts, playbook.

:func:`build_view` turns an :class:`~monitor.models.Alert` (with its already rendered
playbook) into an :class:`AlertView` of plain, *unescaped* strings. Each output format
then escapes every value for its target when it formats it, so user-controlled text
(post text, author, url, titles, trend words) can never ping a channel, fake a link or
inject markup: Slack mrkdwn escapes ``& < >``, chat Markdown breaks mention and link
syntax with an invisible zero-width space, HTML escapes everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
from monitor.alerts.why import as_time, detail_of, failure_limit, human, short_reason, source_state, why_lines
from monitor.durations import format_duration
from monitor.models import Alert, Example

__all__ = ["EXAMPLES", "ZWSP", "AlertView", "Dialect", "ExampleView", "PlaybookView", "Section", "as_view",
           "build_view", "clean", "escape_html", "escape_markdown", "escape_slack", "fit_parts", "fmt_num", "fmt_time",
           "headline", "markdown_parts", "one_line", "relabel_key", "render_markdown", "render_slack_text",
           "render_text", "safe_url", "sections", "truncate", "utf8_len"]

EXAMPLES = 3  # example posts shown per alert unless a notifier is configured otherwise
TAGS = {"blue": "BLUE", "yellow": "YELLOW", "red": "RED"}
SPECIAL_TAGS = {"resolved": "ALL CLEAR", "blind_spot": "BLIND SPOT", "recovered": "RECOVERED",
                "task_overdue": "TASK OVERDUE"}
COLORS = {"blue": "#1E88E5", "yellow": "#F9A825", "red": "#D32F2F", "ALL CLEAR": "#2E7D32",
          "BLIND SPOT": "#6D4C41", "RECOVERED": "#2E7D32"}


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True, slots=True)
class ExampleView:
    source: str
    author: str
    url: str | None  # http(s) only, already made safe to embed
    text: str  # one line, truncated
    when: str
    reach: str  # "120 reposts" or ""
    link_label: str = ""  # the text the URL is linked behind: the source, or the URL's own host
    key: str = ""  # "reddit:t3_abc": what `monitor incidents relabel KEY LABEL` takes


def link_label(source: str, outlet: str | None, url: str | None) -> str:
    """The claimed outlet labels the link only when the URL really is on that outlet's site."""
    if not url:
        return source
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    claimed = (outlet or "").strip().rstrip(".").lower().removeprefix("www.")
    if not claimed or host == claimed or host.endswith("." + claimed):
        return source
    return host or source


def example_source(ex: ExampleView, esc: Callable[[str], str], link: Callable[[str, str], str]) -> str:
    """The example's source, linked; a foreign host is named instead of hiding behind the outlet."""
    if not ex.url:
        return esc(ex.source)
    label = ex.link_label or ex.source
    if label == ex.source:
        return link(esc(ex.source), ex.url)
    return f"{esc(ex.source)} {link(esc(label), ex.url)}"


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


def headline(alert: Alert) -> str:
    """One line naming level, brand, incident and what happened."""
    tag, d = tag_for(alert), detail_of(alert)
    who = f"{alert.brand_name} — " if alert.brand not in ("", "*") and alert.brand_name else ""
    inc, reason = f"incident {alert.incident_id}", short_reason(alert)
    t = alert.transition
    if t == "blind_spot":
        src, silent, failures, error = source_state(alert)
        if failures and error:
            limit = f"; {failure_limit(d)}" if failure_limit(d) else ""
            return f"[{tag}] {who}{src} keeps failing ({failures} times in a row{limit}) — silence is not calm"
        return f"[{tag}] {who}no posts from {src}{f' for {human(silent)}' if silent else ''} — silence is not calm"
    if t == "recovered":
        src = d.get("source") or alert.incident_id
        if d.get("down_for") is not None:
            return f"[{tag}] {who}{src} is back after {human(d['down_for'])}"
        return f"[{tag}] {who}{reason or f'{src} is back'}"
    if t == "resolved":
        return f"[{tag}] {who}{inc} resolved: {reason}" if reason else f"[{tag}] {who}{inc} resolved"
    if t == "task_overdue":  # monitor.tasks.reminders: one per overdue playbook task, to its owners
        return f"[{tag}] {who}{inc}: {reason}"
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
    t, d, level = alert.transition, detail_of(alert), alert.level
    owner = f" Owner: {pb.owner}." if pb else ""
    due = fmt_time(pb.ack_due, alert.brand) if pb else ""
    ack = f" Acknowledge within {format_duration(pb.ack_deadline)} (by {due})." if pb else ""
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
            parts.append(f"quiet for {human(d['quiet_for'])}")
        start = as_time(d.get("opened_at"))
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
    if t == "task_overdue":
        return "A playbook task is past its deadline. Tick it when it is done; this reminder is sent once."
    return one_line(alert.reason)


def _example(ex: Example, text_limit: int, brand: str | None = None) -> ExampleView:
    reach = f"{ex.reposts} reposts" if ex.reposts else ""
    source = one_line(f"{ex.source} ({ex.outlet})" if ex.outlet else ex.source)
    url = safe_url(ex.url)
    return ExampleView(source=source, author=one_line(ex.author or ""), url=url,
                       text=truncate(one_line(ex.text), text_limit), when=fmt_time(ex.ts, brand), reach=reach,
                       link_label=one_line(link_label(source, ex.outlet, url)), key=one_line(f"{ex.source}:{ex.id}"))


def _playbook(alert: Alert) -> PlaybookView | None:
    pb = alert.playbook
    if pb is None:
        return None
    full = alert.transition != "resolved"  # after the all-clear only the follow-up plan matters
    media = tuple(" — ".join(p for p in (m.outlet, m.contact, m.note) if p) for m in pb.media_list)
    return PlaybookView(
        title=pb.title, owner=pb.owner,
        ack=f"acknowledge within {format_duration(pb.ack_deadline)} (by {fmt_time(pb.ack_due, alert.brand)})",
        summary=pb.summary if full else "", escalation_contacts=tuple(pb.escalation_contacts),
        tasks=tuple(f"{t.role}: {t.task} — within {format_duration(t.deadline)} (by {fmt_time(t.due, alert.brand)})"
                    for t in pb.tasks) if full else (),
        statement=pb.statement if full else "", media=media if full else (),
        follow_up=tuple(f"+{format_duration(f.after)} ({f.due:%Y-%m-%d}): {f.action}" for f in pb.follow_up),
    )


def build_view(alert: Alert, *, max_examples: int = EXAMPLES, text_limit: int = 280) -> AlertView:
    """The shared, format-free picture of one notification."""
    examples = alert.evidence.examples if alert.evidence else ()
    pb, d = alert.playbook, detail_of(alert)
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
    facts.append(("Fired at", fmt_time(alert.ts, alert.brand)))
    if alert.evidence and alert.evidence.trigger:
        facts.append(("Trigger", alert.evidence.trigger))
    if pb is not None:
        facts.append(("Owner", pb.owner))
    pbv = _playbook(alert)
    if pbv is not None:  # every text a channel shows is cleaned (NFKC; no bidi or zero-width characters)
        pbv = dataclasses.replace(pbv, **{f.name: _cleaned(getattr(pbv, f.name)) for f in dataclasses.fields(pbv)})
    return AlertView(
        alert=alert, tag=tag_for(alert), color=color_for(alert), headline=clean(headline(alert)),
        notice=clean(_notice(alert, pb)), facts=tuple((k, clean(str(v))) for k, v in facts),
        why=tuple(clean(w) for w in why_lines(alert, examples)),
        examples=tuple(_example(ex, text_limit, alert.brand) for ex in examples[:max_examples]),
        playbook=pbv, footer=clean(f"Brand Monitor · notification {alert.id}"),
    )


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, tuple):
        return tuple(_cleaned(v) for v in value)
    return value


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
    src = example_source(ex, d.esc, d.link)
    meta = " · ".join(p for p in (src, d.esc(ex.author), ex.when, ex.reach, relabel_key(ex, d.esc)) if p)
    return f"{meta}: “{d.esc(ex.text)}”"


def relabel_key(ex: ExampleView, esc: Callable[[str], str]) -> str:
    """``key reddit:t3_abc``: shown with each example so an analyst can correct its sentiment."""
    return f"key {esc(ex.key)}" if ex.key else ""


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

