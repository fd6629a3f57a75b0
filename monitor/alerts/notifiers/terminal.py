"""``terminal``: a readable block per alert on stdout, coloured by level on a TTY.

The demo and dry drills print here. Colour codes appear only when the stream is a
terminal (or ``ctx.color`` / ``color`` forces them), never in pipes and log files; user
text has its control characters removed, so a post cannot move the cursor or recolour
the screen.
"""

from __future__ import annotations

import sys
from typing import ClassVar, Literal, TextIO

from pydantic import Field

from monitor.alerts.notifiers.base import Notifier, NotifierConfig, register_notifier
from monitor.alerts.render import EXAMPLES, PLAIN, Section, build_view, sections
from monitor.errors import NotifyError
from monitor.models import Alert

ANSI = {"RED": "31", "YELLOW": "33", "BLUE": "34", "ALL CLEAR": "32", "RECOVERED": "32", "BLIND SPOT": "35"}
RESET = "\033[0m"


class TerminalConfig(NotifierConfig):
    """Print alerts to the console."""

    kind: Literal["terminal"] = "terminal"
    stream: Literal["stdout", "stderr"] = Field(default="stdout", description="where to print")
    color: bool | None = Field(default=None, description="force colour on/off (default: only on a terminal)")
    width: int = Field(default=78, ge=40, le=400, description="width of the rule drawn above each alert")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")
    compact: bool = Field(default=False, description="headline, notice and why only (no posts, no playbook)")


@register_notifier
class TerminalNotifier(Notifier[TerminalConfig]):
    """Readable alert blocks on the console, coloured by level on a TTY."""

    kind: ClassVar[str] = "terminal"

    def _stream(self) -> TextIO:
        return sys.stderr if self.config.stream == "stderr" else sys.stdout

    def _color(self, stream: TextIO) -> bool:
        for choice in (self.config.color, self.ctx.color):
            if choice is not None:
                return choice
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    def format(self, alert: Alert, color: bool) -> str:
        """The block for one alert (exposed so tests and `monitor drill` can reuse it)."""
        view = build_view(alert, max_examples=self.config.max_examples)
        code = ANSI.get(view.tag, "36")

        def paint(text: str, style: str) -> str:
            return f"\033[{style}m{text}{RESET}" if color else text

        secs: list[Section] = sections(view, PLAIN)
        if self.config.compact:
            secs = [s for s in secs if s.key == "why"]
        facts = " · ".join(f"{k}: {v}" for k, v in view.facts)
        lines = [paint("━" * self.config.width, code), paint(view.headline, f"1;{code}"), view.notice,
                 paint(facts, "2")]
        for s in secs:
            lines += ["", paint(s.title, "1"), *(f"  {line}" for line in s.lines)]
        lines += ["", paint(view.footer, "2"), ""]
        return "\n".join(lines)

    async def send(self, alert: Alert) -> None:
        stream = self._stream()
        try:
            stream.write(self.format(alert, self._color(stream)) + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe / closed file: nothing a retry fixes
            raise NotifyError(f"terminal notifier '{self.name}': cannot write: {exc}", retryable=False) from None
