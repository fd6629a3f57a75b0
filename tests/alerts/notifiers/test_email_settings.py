"""The example configuration's e-mail settings deliver, and drill mail carries the real send time."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from monitor.alerts.notifiers.base import NOTIFIERS, NotifierContext
from monitor.clock import VirtualClock
from monitor.config import load_config
from tests.support import ROOT

from ..conftest import T0
from .fakes import SmtpServer


async def test_the_example_email_settings_deliver_to_a_local_relay(tmp_path: Path, make_alert: Any) -> None:
    cfg = tmp_path / "monitor.yaml"
    shutil.copy(ROOT / "monitor.example.yaml", cfg)
    with SmtpServer() as smtp:
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none"}
        loaded = load_config(cfg, env=env)
        [crisis] = [n for n in loaded.config.notifiers if n.display_name() == "crisis-group"]
        assert (crisis.host, crisis.port, crisis.security) == ("127.0.0.1", smtp.port, "none")
        notifier = NOTIFIERS.get("email")(crisis, NotifierContext(clock=VirtualClock(T0)))  # type: ignore[misc]
        await notifier.send(make_alert("red", "escalated"))
    [msg] = smtp.messages()
    assert msg["To"] == "crisis-group@acme.example"
    defaults = load_config(cfg, env={}).config.notifiers
    assert [(n.port, n.security) for n in defaults if n.kind == "email"] == [(587, "starttls")] * 2


async def test_drill_mail_is_dated_when_it_is_sent_not_at_the_recording_time(make_alert: Any) -> None:
    cls = NOTIFIERS.get("email")
    assert cls is not None
    with SmtpServer() as smtp:
        cfg = cls.Config.model_validate({"kind": "email", "host": "127.0.0.1", "port": smtp.port,
                                         "security": "none", "sender": "m@acme.example", "to": ["pr@acme.example"]})
        virtual = VirtualClock(T0)  # a drill: the recording's time, months ago
        before = datetime.now(UTC).replace(microsecond=0)
        await cls(cfg, NotifierContext(clock=virtual)).send(make_alert("red", "opened"))
        after = datetime.now(UTC)
    [msg] = smtp.messages()
    sent = parsedate_to_datetime(msg["Date"])
    assert before <= sent <= after
    assert abs((sent - T0).total_seconds()) > 86400
