"""A live drill with people: the scenario plays on a scaled clock inside a running daemon, every message
reaches the (fake) Slack marked DRILL, a scripted responder clicks the real buttons — on time, late,
never — and the scorecard reports exactly that. Drill and real incidents stay apart."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from monitor.clock import ScaledClock, SystemClock
from monitor.config import load_config
from monitor.drills import history, live
from monitor.drills.compose import compose
from monitor.drills.runner import run_live_drill
from monitor.drills.scenario import load_scenario
from monitor.models import Post
from monitor.service import Service
from monitor.sources.base import Batch
from monitor.store import Store
from monitor.tasks.store import TaskStore
from tests.alerts.notifiers.slackfake import FakeSlack, block_actions
from tests.interact.conftest import TOKEN, daemon_config, sign
from tests.support import ROOT, WordScorer

SPEED = 1800.0  # a drill minute every 1/30 s: the 30-minute yellow deadline passes in one real second
YELLOW_DELAY_MIN = 45  # drill minutes the responder waits before acknowledging yellow (deadline 30 min)
PR_LATE_MIN = 75  # drill minutes before yellow's PR task (due within 1 h) is ticked


def checklist(level: str) -> str:
    """The drill's PR task of ``level``, as the console's checklist shows it (the drill's own task tracker)."""
    drill = live.LIVE["drill-q1"]
    return next(t.id for t in TaskStore(drill.rt.store).tasks() if t.level == level and t.role == "PR"
                and t.kind == "role")


class Responder:
    """Watches the fake Slack for DRILL alerts and clicks the real buttons: blue at once, yellow late, red never."""

    def __init__(self, slack: FakeSlack, base: str, http: aiohttp.ClientSession) -> None:
        self.slack, self.base, self.http = slack, base, http
        self.seen: dict[str, str] = {}  # level -> incident
        self.clicked: dict[str, float] = {}  # level -> wall time of the click

    def roots(self) -> list[tuple[str, str]]:
        out = []
        for c in self.slack.calls:
            if c.method not in ("chat.postMessage", "chat.update") or c.args.get("thread_ts"):
                continue
            text = str(c.args.get("text", ""))
            if "[DRILL]" not in text or "open, unacknowledged" not in text:
                continue
            blocks = c.args.get("blocks")
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            incident = next(e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"])
            out.append((text.split(" ", 1)[0].lower(), incident))
        return out

    async def click(self, level: str, incident: str) -> None:
        body = urlencode({"payload": json.dumps(block_actions("ack", incident, f"{level}-responder"))}).encode()
        self.clicked[level] = time.time()
        signed = sign(body, int(time.time()))  # this daemon runs on the SystemClock
        async with self.http.post(self.base + "/slack/interactivity", data=body, headers=signed) as r:
            assert r.status == 200

    async def tick(self, level: str) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.http.post(f"{self.base}/tasks/{checklist(level)}/done", json={"by": "pr-lead"},
                                  headers=headers) as r:
            assert r.status == 200, await r.text()

    async def run(self, stop: asyncio.Event) -> None:
        pending: list[asyncio.Task[None]] = []
        while not stop.is_set():
            for level, incident in self.roots():
                if level in self.seen:
                    continue
                self.seen[level] = incident
                if level == "blue":
                    pending.append(asyncio.create_task(self.click(level, incident)))
                    pending.append(asyncio.create_task(self.tick("blue")))
                elif level == "yellow":
                    async def late(inc: str = incident) -> None:
                        await asyncio.sleep(YELLOW_DELAY_MIN * 60 / SPEED)
                        await self.click("yellow", inc)

                    async def late_task() -> None:
                        await asyncio.sleep(PR_LATE_MIN * 60 / SPEED)
                        await self.tick("yellow")
                    pending += [asyncio.create_task(late()), asyncio.create_task(late_task())]
            await asyncio.sleep(0.01)
        await asyncio.gather(*pending)


def real_burst(now: datetime) -> list[Post]:
    return [Post(ts=now - timedelta(seconds=30 - i), source="x", id=f"real-{i}", text="Acme kettle broken, awful",
                 author=f"r{i}") for i in range(12)]


async def test_live_drill_with_a_scripted_responder(tmp_path: Path) -> None:
    feed = tmp_path / "drill.jsonl"
    compose(load_scenario(ROOT / "examples" / "scenarios" / "data-leak.yaml"),
            datetime(2026, 3, 7, 2, 30, tzinfo=UTC), feed, seed=1, generate_hours=4, baseline_posts=60)
    async with FakeSlack() as slack:
        cfg = daemon_config(tmp_path, slack.api_url)
        svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
        await svc.start()
        assert svc.rt is not None
        try:
            async with aiohttp.ClientSession() as http:
                responder = Responder(slack, f"http://127.0.0.1:{svc.port}", http)
                stop = asyncio.Event()
                watching = asyncio.create_task(responder.run(stop))
                drill = asyncio.create_task(run_live_drill(load_config(cfg), feed, report_dir=tmp_path / "report",
                                                           speed=SPEED, scorer=WordScorer(), drill_id="drill-q1"))
                while "blue" not in responder.clicked:  # mid-drill, a real crisis reaches the daemon
                    await asyncio.sleep(0.01)
                await svc.rt.pipeline.process("x", Batch(events=list(real_burst(datetime.now(UTC)))))
                report = await asyncio.wait_for(drill, timeout=120)
                stop.set()
                await watching
        finally:
            daemon_store = svc.rt.store.path
            await svc.shutdown()
    card = report["scorecard"]
    acks = {a["level"]: a for a in card["acknowledgements"]["items"]}
    assert {k: a["status"] for k, a in acks.items()} == {"blue": "on_time", "yellow": "late", "red": "missed"}
    assert (card["acknowledgements"]["on_time"], card["acknowledgements"]["late"],
            card["acknowledgements"]["missed"]) == (1, 1, 1)
    assert acks["blue"]["acked_by"] == "blue-responder" and acks["yellow"]["acked_by"] == "yellow-responder"
    assert YELLOW_DELAY_MIN - 1 <= acks["yellow"]["minutes_to_ack"] <= YELLOW_DELAY_MIN + 15
    # role tasks from the drill's task tracker: blue's PR task ticked at once, yellow's late, the rest never
    tasks = card["tasks"]
    assert tasks["source"] == "task tracker"
    done = {(t["level"], t["role"]): t["status"] for t in tasks["items"] if t["status"] != "missed"}
    assert done == {("blue", "PR"): "on_time", ("yellow", "PR"): "late"}
    assert (tasks["on_time"], tasks["late"], tasks["missed"]) == (1, 1, len(tasks["items"]) - 2)
    assert {t["level"] for t in tasks["items"]} == {"blue", "yellow", "red"} and len(tasks["items"]) > 5
    # the unacknowledged yellow and red were escalated; every overdue notification is counted
    overdue = [n for n in report["notifications"] if n["transition"] == "overdue"]
    assert {n["level"] for n in overdue} == {"yellow", "red"} and card["escalations"] == len(overdue)
    assert card["unanswered_hours"]  # red waited past its deadline with nobody acknowledging
    assert [r["level"] for r in card["levels"] if r["detected"]] == ["blue", "yellow", "red"]
    # every drill message said DRILL; the real incident's did not
    drill_posts = [c for c in slack.posts() if "drill-" in json.dumps(c.args)]
    assert drill_posts and all("[DRILL]" in c.args["text"] for c in drill_posts)
    real_posts = [c for c in slack.posts() if "drill-" not in json.dumps(c.args)]
    assert real_posts and not any("DRILL" in json.dumps(c.args) for c in real_posts)
    # the stores stay apart: drill incidents only in the drill's store, the real one only in the daemon's
    home, state = Store(daemon_store), Store(tmp_path / "report" / "drill-state.db")
    try:
        real_ids = [i.id for i in home.list_incidents(limit=100)]
        drill_ids = [i.id for i in state.list_incidents(limit=100)]
        assert real_ids and not any(i.startswith("drill-") for i in real_ids)
        assert drill_ids and all(i.startswith("drill-") for i in drill_ids)
        assert history.scorecard_for(home, "drill-q1") == card  # the console's history reads it back
        assert [d["drill_id"] for d in history.list_drills(home, "data-leak")] == ["drill-q1"]
    finally:
        home.close()
        state.close()


def test_scaled_clock_runs_at_its_speed_and_maps_wall_moments() -> None:
    class Wall:
        def __init__(self) -> None:
            self.t = datetime(2026, 1, 1, tzinfo=UTC)

        def now(self) -> datetime:
            return self.t

        async def sleep(self, seconds: float) -> None:
            self.t += timedelta(seconds=seconds)

    wall = Wall()
    start = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)
    clock = ScaledClock(start, 60.0, wall)  # type: ignore[arg-type]
    wall.t += timedelta(seconds=30)
    assert clock.now() == start + timedelta(minutes=30)
    asyncio.run(clock.sleep(600))  # ten drill minutes are ten real seconds
    assert wall.t == datetime(2026, 1, 1, 0, 0, 40, tzinfo=UTC)
    assert clock.at_wall(datetime(2026, 1, 1, 0, 1, tzinfo=UTC)) == start + timedelta(hours=1)


async def test_an_ack_from_the_command_line_reaches_a_drill_in_another_process(tmp_path: Path, capsys) -> None:
    """`monitor incidents ack drill-...` finds the running drill through the daemon's store and queues the
    action in the drill's store; the drill does it at the drill time it was asked."""
    from monitor.cli import main

    feed = tmp_path / "drill.jsonl"
    compose(load_scenario(ROOT / "examples" / "scenarios" / "viral-service-complaint.yaml"),
            datetime(2026, 3, 7, 2, 30, tzinfo=UTC), feed, seed=2, generate_hours=4, baseline_posts=40)
    cfg = daemon_config(tmp_path, "http://127.0.0.1:9/api/")
    drill = asyncio.create_task(run_live_drill(load_config(cfg), feed, report_dir=tmp_path / "report", speed=SPEED,
                                               notify=False, scorer=WordScorer(), drill_id="drill-cli"))
    while not (live.LIVE.get("drill-cli") and live.LIVE["drill-cli"].rt.engine.incidents):
        assert not drill.done(), drill
        await asyncio.sleep(0.01)
    (incident,) = [i.id for i in live.LIVE["drill-cli"].rt.engine.incidents.values()]
    held = live.LIVE.pop("drill-cli")  # as seen from another process: only the daemon store's registration
    try:
        assert main(["incidents", "ack", incident, "--config", str(cfg), "--by", "carol"]) == 0
    finally:
        live.LIVE["drill-cli"] = held
    assert f"ack of drill incident {incident} handed to drill drill-cli" in capsys.readouterr().out
    report = await asyncio.wait_for(drill, timeout=120)
    (first, *_) = report["scorecard"]["acknowledgements"]["items"]
    assert (first["incident_id"], first["acked_by"]) == (incident, "carol")  # on time or late: the CLI is slow here
    assert first["status"] in ("on_time", "late") and first["minutes_to_ack"] is not None
    assert any(a.startswith(f"ack {incident} by carol: Acknowledged by carol") for a in report["drill_actions"])
    home = Store(tmp_path / "state.db")
    try:
        assert live.running(home) == {}  # the registration is gone with the drill
        assert home.get_incident(incident) is None
    finally:
        home.close()
