"""Terminal: a readable block per alert; colour only on a TTY (or when forced)."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_piped_output_is_plain_and_complete(capsys: pytest.CaptureFixture[str], make_notifier: Any,
                                                  make_alert: Any) -> None:
    await make_notifier("terminal").send(make_alert("red", "escalated"))
    out = capsys.readouterr().out
    assert "\033[" not in out
    lines = out.splitlines()
    assert lines[0] == "━" * 78
    assert lines[1] == "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)"
    assert lines[2].startswith("The incident is now red: a new playbook applies.")
    assert "  - Negative posts by platform: weibo 9, reddit 4, twitter 2 (15 total)" in lines
    assert "Holding statement" in lines and "  Statement from Acme, 2026-03-01." in lines
    assert "Brand Monitor · notification INC-acme-20260301-1#3" in lines


async def test_tty_gets_level_colours(monkeypatch: pytest.MonkeyPatch, make_notifier: Any, make_alert: Any) -> None:
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    terminal = make_notifier("terminal")
    await terminal.send(make_alert("red", "escalated"))
    await terminal.send(make_alert("yellow", "opened"))
    await terminal.send(make_alert("red", "resolved", reason="all clear"))
    out = tty.getvalue()
    assert "\033[1;31m[RED] Acme" in out and "\033[1;33m[YELLOW] Acme" in out and "\033[1;32m[ALL CLEAR] Acme" in out


async def test_colour_can_be_forced_either_way(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               make_notifier: Any, make_alert: Any) -> None:
    await make_notifier("terminal", ctx_color=True).send(make_alert())  # the context forces it on a pipe
    await make_notifier("terminal", ctx_color=False, color=True).send(make_alert())  # the config wins
    assert capsys.readouterr().out.count("\033[1;31m[RED]") == 2
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    await make_notifier("terminal", color=False).send(make_alert())
    await make_notifier("terminal", ctx_color=False).send(make_alert())
    assert "\033[" not in tty.getvalue() and tty.getvalue().count("[RED] Acme") == 2


async def test_stderr_stream_and_compact_mode(capsys: pytest.CaptureFixture[str], make_notifier: Any,
                                              make_alert: Any) -> None:
    await make_notifier("terminal", stream="stderr", compact=True, width=40).send(make_alert())
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("━" * 40 + "\n[RED] Acme")
    assert "Why" in captured.err and "Playbook" not in captured.err and "Example posts" not in captured.err


async def test_posts_cannot_inject_terminal_escapes(monkeypatch: pytest.MonkeyPatch, make_notifier: Any,
                                                    make_alert: Any) -> None:
    evil = EXAMPLES[0].__class__(**{**{f: getattr(EXAMPLES[0], f) for f in EXAMPLES[0].__slots__},
                                    "text": "\x1b]0;pwned\x07\x1b[2Jgone", "author": "\x1b[31mred"})
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    await make_notifier("terminal").send(make_alert(evidence=red_evidence(examples=(evil,))))
    out = tty.getvalue()
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out and "\x1b[31mred" not in out
    assert "“]0;pwned[2Jgone”" in out


async def test_a_closed_stream_is_a_permanent_failure(monkeypatch: pytest.MonkeyPatch, make_notifier: Any,
                                                      make_alert: Any) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("terminal").send(make_alert())
    assert not exc.value.retryable and "terminal notifier 'terminal': cannot write" in str(exc.value)
