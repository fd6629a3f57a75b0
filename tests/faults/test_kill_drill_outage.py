"""A drill whose channel is down says so: the deliveries left pending are counted in the report
and on the terminal, and ``monitor drill --notify`` exits 3; run again with the channel back,
they go out and it exits 0."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from monitor.cli import main
from tests.alerts.notifiers.fakes import free_port
from tests.support import ROOT, write_config

FEED = ROOT / "examples" / "acme-48h.jsonl"


class Slack(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_undelivered_notifications_are_reported_and_fail_the_drill(tmp_path: Path, capsys) -> None:
    port = free_port()  # nothing listens yet: Slack is down
    cfg = write_config(tmp_path, f"""\
        store: {{path: unused.db}}
        keywords: {ROOT / 'keywords.yaml'}
        playbooks: @PLAYBOOKS@
        runtime: {{drain_timeout: 1s}}
        dispatch: {{retry_base: 1s, retry_max: 1s}}
        notifiers:
          - {{kind: slack, name: pr-slack, url: "http://127.0.0.1:{port}/services/x", timeout: 2s}}
        """)
    out = tmp_path / "report"
    args = ["drill", str(FEED), "--config", str(cfg), "--report", str(out), "--notify", "--no-color"]
    assert main(args) == 3
    err = capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["deliveries"] == {"sent": 0, "pending": 11, "failed": 0, "undelivered": 11,
                                    "per_notifier": {"pr-slack": {"sent": 0, "pending": 11, "failed": 0}}}
    assert "drill: deliveries: 0 sent, 11 still pending, 0 failed" in err
    assert "pr-slack: 11 pending, 0 failed" in err and "exit status 3" in err

    Slack.received = []
    server = ThreadingHTTPServer(("127.0.0.1", port), Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert main(args) == 0  # Slack is back: the same drill again delivers what waited
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert "drill: deliveries: 11 sent, 0 still pending, 0 failed" in err
    assert len(Slack.received) == 11
    assert json.loads((out / "report.json").read_text())["deliveries"]["undelivered"] == 0


def test_a_dry_drill_says_nothing_about_deliveries(tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    assert main(["drill", str(FEED), "--report", str(out), "--no-color"]) == 0
    assert "deliveries:" not in capsys.readouterr().err
    assert json.loads((out / "report.json").read_text())["deliveries"]["undelivered"] == 0
