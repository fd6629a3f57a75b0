"""End to end: the bundled 48-hour recording through the real pipeline, model and notifiers.

Slack is a local aiohttp server, e-mail a local aiosmtpd server; both must receive every
notification of the scenario, in order, with payloads checked as received. A drill
killed with SIGKILL midway and run again neither loses nor repeats a notification.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from monitor.config import BUNDLED_FEED, load_config
from monitor.drill import run_drill
from tests.alerts.notifiers.fakes import HookServer, SmtpServer, assert_alert_email, assert_slack_message
from tests.support import ROOT, write_config

# (level, transition, brand) of the bundled crisis: Weibo complaints (blue), a news pickup
# (yellow), Weibo/Baidu hot lists and a stock drop (red), nobody acknowledging (deadline
# escalations and a reminder), then the all-clear.
EXPECTED = [
    ("blue", "opened", "acme"),
    ("yellow", "escalated", "acme"),
    ("yellow", "overdue", "acme"),
    ("yellow", "overdue", "acme"),
    ("yellow", "updated", "acme"),  # reposts of negative posts pass 50 as the story spreads
    ("red", "escalated", "acme"),
    ("red", "overdue", "acme"),
    ("red", "overdue", "acme"),
    ("red", "updated", "acme"),  # the stock falls more than 5% while the brand is trending
    ("red", "repeated", "acme"),
    ("red", "resolved", "acme"),
]


def drill_config(tmp: Path, slack_url: str, smtp_port: int) -> Path:
    return write_config(tmp, f"""\
        store: {{path: unused.db}}
        keywords: {ROOT / 'keywords.yaml'}
        playbooks: @PLAYBOOKS@
        notifiers:
          - kind: slack
            name: pr-slack
            url: {slack_url}
          - kind: email
            name: crisis-mail
            host: 127.0.0.1
            port: {smtp_port}
            security: none
            sender: Brand Monitor <monitor@acme.example>
            to: [crisis@acme.example]
        """)


def sequence(report: dict) -> list[tuple[str, str, str]]:
    return [(n["level"], n["transition"], n["brand"]) for n in report["notifications"]]


async def test_bundled_feed_reaches_slack_and_email(tmp_path: Path, shipped_scorer) -> None:
    async with HookServer() as slack:
        with SmtpServer() as smtp:
            loaded = load_config(drill_config(tmp_path, slack.url("/services/T0/B0/x"), smtp.port))
            report = await run_drill(loaded, BUNDLED_FEED, report_dir=tmp_path / "report", notify=True,
                                     scorer=shipped_scorer, color=False)
            assert sequence(report) == EXPECTED
            notes = report["notifications"]
            assert len({n["incident_id"] for n in notes}) == 1
            assert [n["playbook"] for n in notes][:2] == ["blue", "yellow"]
            assert notes[0]["reason"].startswith("blue: ") and "on weibo in 60 min" in notes[0]["reason"]
            assert notes[1]["reason"] == "yellow: a news outlet picked the story up: dailytech.example"
            assert notes[4]["evidence"]["trigger"] == "yellow.reposts"
            assert notes[5]["evidence"]["trigger"] == "red.trending"
            assert notes[5]["playbook"] == "red-safety"  # leaking, shocking kettles: safety dominates
            assert notes[8]["evidence"]["trigger"] == "red.stock"
            assert notes[8]["reason"] == "red: ACME moved -5.8% against the previous close (threshold: more than 5%)"
            assert notes[-1]["evidence"]["detail"]["peak_level"] == "red"
            assert report["run"]["bad_lines"] == [
                "acme-48h.jsonl: line 82: field 'ts' is not an ISO 8601 time: 'yesterday' "
                "(write e.g. 2026-03-01T08:00:00Z)"]
            page = (tmp_path / "report" / "report.html").read_text()
            page, _, tasks = page.partition("<h2>Playbook tasks")  # the checklist's table, then the scorecard
            tasks, _, scorecard = tasks.partition("<h2>Scorecard")
            assert "<h3>Detection</h3>" in scorecard
            assert page.count("<tr>") == 1 + len(EXPECTED) + 2
            assert tasks.count("<tr>") == 1 + report["tasks"]["total"]  # one incident: one table

            # Slack received each notification once, in order, as Block Kit with a text fallback
            bodies = [json.loads(r.body) for r in slack.requests]
            assert len(bodies) == len(EXPECTED)
            for body, (level, transition, _) in zip(bodies, EXPECTED, strict=True):
                assert_slack_message(body, level=level, transition=transition, brand_name="Acme")
            ids = [re.search(r"notification (\S+#\d+)", json.dumps(b)).group(1) for b in bodies]
            assert ids == [n["id"] for n in notes]

            # e-mail: the same notifications, one thread per incident
            msgs = smtp.messages()
            assert len(msgs) == len(EXPECTED)
            for msg, (level, transition, _), n in zip(msgs, EXPECTED, notes, strict=True):
                assert_alert_email(msg, level=level, transition=transition, brand_name="Acme",
                                   incident_id=n["incident_id"])
            assert all(d["status"] == "sent" for n in notes for d in n["deliveries"])


async def _drill_process(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "monitor", *args, env=env,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)


async def _stop_at_a_quiet_point(proc: asyncio.subprocess.Process, state: Path, at_least: int) -> int:
    """SIGSTOP the drill once it has queued ``at_least`` notifications and every delivery is marked sent.

    Robust to a loaded machine: the state is checked again while the process is stopped (a send is marked
    'sending' before anything leaves, so "all sent" then means nothing is in flight); if a send had started
    meanwhile, the process is resumed and the next quiet point awaited. Returns the notifications queued.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 240
    while True:
        while not ((q := _sent(state))[0] >= at_least and q[1] == 2 * q[0]):
            assert proc.returncode is None, (await proc.stderr.read()).decode()[-2000:]
            assert loop.time() < deadline, f"the drill never reached {at_least} delivered notifications"
            await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGSTOP)
        await asyncio.sleep(0.3)  # let the local servers take in whatever had already been sent
        queued, sent = _sent(state)
        if queued >= at_least and sent == 2 * queued:
            return queued
        proc.send_signal(signal.SIGCONT)


def _sent(state: Path) -> tuple[int, int]:
    """(notifications queued, deliveries marked sent) as the drill process sees them."""
    if not state.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1) as db:
            queued = db.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
            sent = db.execute("SELECT COUNT(*) FROM deliveries WHERE status='sent'").fetchone()[0]
            return queued, sent
    except sqlite3.Error:
        return 0, 0


@pytest.mark.timeout_heavy
async def test_killed_drill_resumes_without_losing_or_repeating(tmp_path: Path) -> None:
    # the bundled recording from 09:30 on day one, so a paced run reaches the crisis quickly
    feed = tmp_path / "crisis.jsonl"
    events = [json.loads(ln) for ln in BUNDLED_FEED.read_text().splitlines() if "yesterday" not in ln]
    feed.write_text("".join(json.dumps(e) + "\n" for e in events if e["ts"] >= "2026-03-02T09:30"))
    async with HookServer() as slack:
        with SmtpServer() as smtp:
            cfg = drill_config(tmp_path, slack.url("/services/T0/B0/x"), smtp.port)
            report_dir = tmp_path / "report"
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            base = ["drill", str(feed), "--config", str(cfg), "--report", str(report_dir), "--notify", "--no-color"]
            # paced at 20 virtual minutes a second, so there are quiet moments between deliveries; the kill must
            # land in one, never inside a send (which no channel without idempotency keys survives)
            proc = await _drill_process([*base, "--speed", "1200"], env)
            queued = await _stop_at_a_quiet_point(proc, report_dir / "drill-state.db", at_least=3)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            assert 3 <= queued < len(EXPECTED)  # midway
            assert len(slack.requests) == queued and len(smtp.messages()) == queued
            proc = await _drill_process([*base, "--speed", "max"], env)
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()[-2000:]
            assert "resuming drill from line" in err.decode()
            report = json.loads((report_dir / "report.json").read_text())
            assert sequence(report) == EXPECTED
            ids = [re.search(r"notification (\S+#\d+)", r.body.decode()).group(1) for r in slack.requests]
            assert ids == [n["id"] for n in report["notifications"]]  # each once, in order
            mail_ids = [m["Message-ID"] for m in smtp.messages()]  # derived from the notification id
            assert len(mail_ids) == len(set(mail_ids)) == len(EXPECTED)
