"""Server-side SVG charts: an incident's timeline and a brand's sparkline.

Plain strings, no JavaScript and no library, so the console, ``report.html`` and an e-mail can
all show the same picture, and it prints. Every text is escaped; the SVG scales to its box
(``viewBox`` with ``width=100%``). A timeline draws negative posts per hour per platform as
lines over the brand's baseline band (the expected count up to the count that would be
surprising, from :mod:`monitor.alerts.baseline`), with vertical marks for level changes,
notifications and human actions; each point and mark has a ``<title>`` tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
MARK_COLORS = {"blue": "#1f6feb", "yellow": "#d4a72c", "red": "#cf222e", "notify": "#6e7781", "human": "#1a7f37",
               "resolved": "#57606a"}
W, H, LEFT, RIGHT, TOP, BOTTOM = 900, 300, 44, 12, 16, 40


@dataclass(frozen=True, slots=True)
class Mark:
    ts: datetime
    kind: str  # blue / yellow / red (level reached), notify, human, resolved
    label: str


def _nice_max(value: float) -> float:
    if value <= 5:
        return 5.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def timeline_svg(start: datetime, end: datetime, series: Mapping[str, Sequence[tuple[datetime, int]]],
                 band: Sequence[tuple[datetime, float, float]], marks: Sequence[Mark],
                 fmt: Callable[[datetime], str], title: str = "Negative posts per hour", zone: tzinfo = UTC) -> str:
    """The timeline as an ``<svg>`` element; ``fmt`` writes a time for tooltips, ``zone`` the axis's clock."""
    span = max((end - start).total_seconds(), 3600.0)
    top = max([c for pts in series.values() for _, c in pts] + [hi for _, _, hi in band] + [1])
    ymax = _nice_max(top)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(ts: datetime) -> float:
        return round(LEFT + pw * min(max((ts - start).total_seconds() / span, 0.0), 1.0), 1)

    def y(v: float) -> float:
        return round(TOP + ph * (1 - min(v, ymax) / ymax), 1)

    out = [f'<svg class="chart timeline" viewBox="0 0 {W} {H}" width="100%" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'font-family="Noto Sans CJK SC, Noto Sans, sans-serif" font-size="11">',
           f"<title>{escape(title)}</title>"]
    for i in range(5):  # grid and y labels
        v = ymax * i / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v)}" y2="{y(v)}" stroke="#d0d7de" stroke-width="0.5"/>'
                   f'<text x="{LEFT - 4}" y="{y(v) + 4}" text-anchor="end" fill="#57606a">{v:g}</text>')
    ticks = 6
    for i in range(ticks + 1):
        ts = start + timedelta(seconds=span * i / ticks)
        anchor = "start" if i == 0 else ("end" if i == ticks else "middle")  # the edge labels stay inside
        out.append(f'<text x="{x(ts)}" y="{H - BOTTOM + 16}" text-anchor="{anchor}" fill="#57606a">'
                   f"{ts.astimezone(zone).strftime('%H:%M' if span <= 86400 else '%m-%d %H:%M')}</text>")
    if band:
        upper = " ".join(f"{x(ts)},{y(hi)}" for ts, _, hi in band)
        lower = " ".join(f"{x(ts)},{y(lo)}" for ts, lo, _ in reversed(band))
        out.append(f'<polygon class="baseline-band" points="{upper} {lower}" fill="#8c959f" fill-opacity="0.25" '
                   f'stroke="none"><title>baseline: expected to surprising count per hour</title></polygon>')
        out.append('<polyline class="baseline-expected" fill="none" stroke="#6e7781" stroke-dasharray="4 3" '
                   'points="' + " ".join(f"{x(ts)},{y(lo)}" for ts, lo, _ in band) + '"/>')
    for i, (platform, pts) in enumerate(sorted(series.items())):
        color = PALETTE[i % len(PALETTE)]
        if not pts:
            continue
        path = " ".join(f"{x(ts)},{y(c)}" for ts, c in pts)
        out.append(f'<polyline class="series" data-platform="{escape(platform)}" fill="none" stroke="{color}" '
                   f'stroke-width="2" points="{path}"/>')
        out.extend(f'<circle cx="{x(ts)}" cy="{y(c)}" r="2.5" fill="{color}"><title>{escape(platform)}: {c} '
                   f"negative at {escape(fmt(ts))}</title></circle>" for ts, c in pts if c)
    for m in marks:
        color = MARK_COLORS.get(m.kind, "#6e7781")
        dash = ' stroke-dasharray="2 2"' if m.kind in ("notify", "human") else ""
        out.append(f'<g class="mark mark-{escape(m.kind)}"><line x1="{x(m.ts)}" x2="{x(m.ts)}" y1="{TOP}" '
                   f'y2="{H - BOTTOM}" stroke="{color}" stroke-width="1.5"{dash}/>'
                   f'<title>{escape(m.label)} at {escape(fmt(m.ts))}</title></g>')
    lx = LEFT
    for i, platform in enumerate(sorted(series)):  # legend
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{lx}" y="{H - 14}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14}" y="{H - 5}">{escape(platform[:24])}</text>')
        lx += 24 + 7 * min(len(platform), 24)
    if band:
        out.append(f'<rect x="{lx}" y="{H - 14}" width="10" height="10" fill="#8c959f" fill-opacity="0.4"/>'
                   f'<text x="{lx + 14}" y="{H - 5}">baseline</text>')
    out.append("</svg>")
    return "".join(out)


def sparkline_svg(values: Sequence[float], label: str = "", width: int = 120, height: int = 28) -> str:
    """A small line of ``values`` (oldest first)."""
    top = max([*values, 1])
    n = max(len(values) - 1, 1)
    pts = " ".join(f"{round(width * i / n, 1)},{round(height - 2 - (height - 4) * v / top, 1)}"
                   for i, v in enumerate(values))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
            f'<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{pts}"/></svg>')
