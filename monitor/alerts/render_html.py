"""Alert -> an HTML document (the e-mail HTML part; also usable by reports).

Every interpolated value goes through :func:`~monitor.alerts.render.escape_html`, links
only through :func:`~monitor.alerts.render.safe_url` (http/https), so a post containing
``<script>`` or a ``javascript:`` URL renders as text. Inline styles only: mail clients
drop ``<style>`` blocks and scripts anyway.
"""

from __future__ import annotations

from monitor.alerts.render import AlertView, ExampleView, as_view, escape_html, example_source, relabel_key
from monitor.models import Alert

_FONT = "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328"


def _list(items: tuple[str, ...]) -> str:
    return "<ul style=\"margin:4px 0 12px 18px;padding:0\">" + "".join(
        f"<li style=\"margin:2px 0\">{escape_html(i)}</li>" for i in items) + "</ul>"


def _h(title: str) -> str:
    return f"<h3 style=\"margin:16px 0 4px;font-size:15px\">{escape_html(title)}</h3>"


def _example(ex: ExampleView) -> str:
    src = example_source(ex, escape_html, lambda label, url: f"<a href=\"{escape_html(url)}\">{label}</a>")
    meta = " · ".join(p for p in (src, escape_html(ex.author), escape_html(ex.when), escape_html(ex.reach),
                                  relabel_key(ex, escape_html)) if p)
    return (f"<blockquote style=\"margin:6px 0;padding:4px 10px;border-left:3px solid #d0d7de;color:#57606a\">"
            f"<div style=\"font-size:12px\">{meta}</div><div>{escape_html(ex.text)}</div></blockquote>")


def render_html(obj: Alert | AlertView) -> str:
    """A complete HTML document for one notification."""
    v = as_view(obj)
    color = escape_html(v.color)
    rows = "".join(
        f"<tr><td style=\"padding:2px 12px 2px 0;color:#57606a\">{escape_html(k)}</td>"
        f"<td style=\"padding:2px 0\">{escape_html(val)}</td></tr>" for k, val in v.facts)
    body = [
        f"<div style=\"border-top:6px solid {color};padding:12px 16px;max-width:760px;{_FONT}\">",
        f"<h2 style=\"margin:0 0 8px;font-size:18px;color:{color}\">{escape_html(v.headline)}</h2>",
        f"<p style=\"margin:0 0 12px\">{escape_html(v.notice)}</p>",
        f"<table style=\"border-collapse:collapse;font-size:13px;margin-bottom:8px\">{rows}</table>",
        _h("Why"), _list(v.why),
    ]
    if v.examples:
        body += [_h("Example posts"), *(_example(e) for e in v.examples)]
    pb = v.playbook
    if pb is not None:
        body.append(_h(f"Playbook: {pb.title}"))
        if pb.tasks:
            body.append(f"<p style=\"margin:0 0 6px\">Owner: <b>{escape_html(pb.owner)}</b> — "
                        f"{escape_html(pb.ack)}</p>")
        if pb.summary:
            body.append(f"<p style=\"margin:0 0 6px\">{escape_html(pb.summary)}</p>")
        if v.alert.transition == "overdue" and pb.escalation_contacts:
            body.append(f"<p style=\"margin:0 0 6px\">Escalation contacts: "
                        f"<b>{escape_html(', '.join(pb.escalation_contacts))}</b></p>")
        if pb.tasks:
            body += [_h("Tasks"), _list(pb.tasks)]
        if pb.statement:
            body += [_h("Holding statement"),
                     f"<blockquote style=\"margin:6px 0;padding:6px 12px;background:#f6f8fa;white-space:pre-wrap\">"
                     f"{escape_html(pb.statement)}</blockquote>"]
        if pb.media:
            body += [_h("Brief first"), _list(pb.media)]
        if pb.follow_up:
            body += [_h("Follow-up plan (3-7-21)"), _list(pb.follow_up)]
    body.append(f"<p style=\"margin:16px 0 0;font-size:12px;color:#57606a\">{escape_html(v.footer)}</p></div>")
    title = escape_html(v.headline)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n"
            f"<body style=\"margin:0;padding:0\">\n" + "\n".join(body) + "\n</body></html>\n")
