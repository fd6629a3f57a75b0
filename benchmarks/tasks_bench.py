"""The checklist at scale: recording each level's tasks, listing them, and one reminder check.

Opens N red incidents on a SQLite store (each records 14 tasks and a statement draft, as the
engine's alert hook does), then times listing every task, listing the overdue ones, one
incident's tasks, and a reminder check that queues one reminder per overdue owned task
(and a second check, which finds nothing left to send).

    python benchmarks/tasks_bench.py --incidents 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.alerts.playbooks import load_playbooks
from monitor.models import Alert, Evidence, Incident
from monitor.store import Store
from monitor.tasks import TaskBook, TasksConfig
from monitor.tasks.reminders import remind
from monitor.tasks.track import record

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, tzinfo=UTC)
TEAM = TasksConfig.model_validate({"people": {"alice": {"notifier": "a"}, "bob": {"notifier": "b"}},
                                   "roles": {"PR": ["alice"], "Legal": ["bob"]}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--incidents", type=int, default=1000)
    args = ap.parse_args()
    playbooks = load_playbooks(ROOT / "playbooks")
    evidence = Evidence(trigger="red.trending", rule="trending", observed=1, threshold=0, window_minutes=60,
                        platforms={"weibo": 9}, reposts=60, negative_posts=9)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        for i in range(args.incidents):
            at = T0 + timedelta(minutes=i)
            inc = Incident(id=f"acme-{i}", brand="acme", category=None, level="red", status="open", opened_at=at,
                           level_since=at, last_signal_at=at)
            store.save_incident(f"acme/{i}", inc)
            alert = Alert(id=f"acme-{i}#1", incident_id=inc.id, brand="acme", brand_name="Acme", category=None,
                          level="red", transition="opened", ts=at, reason="trending", evidence=evidence)
            alert = dataclasses.replace(alert, playbook=playbooks.get("red").render(alert))
            with store.transaction():
                record(store, alert, TEAM)
        recorded = time.perf_counter() - started
        book = TaskBook(store, TEAM)
        now = T0 + timedelta(minutes=args.incidents) + timedelta(hours=1, minutes=30)
        timings = {}
        for name, fn in (("list all", lambda: book.tasks(now)), ("list overdue", lambda: book.tasks(now, overdue=True)),
                         ("one incident", lambda: book.tasks(now, "acme-0")),
                         ("reminder check", lambda: remind(store, TEAM, {"a", "b"}, {"acme": "Acme"}, now)),
                         ("second check", lambda: remind(store, TEAM, {"a", "b"}, {"acme": "Acme"}, now))):
            t = time.perf_counter()
            n = len(fn())
            timings[name] = (time.perf_counter() - t, n)
        store.close()
    tasks = args.incidents * 14
    print(f"recorded {tasks} tasks of {args.incidents} incidents in {recorded:.2f} s "
          f"({recorded / args.incidents * 1000:.2f} ms per level reached)")
    for name, (secs, n) in timings.items():
        print(f"{name:<15} {secs * 1000:9.1f} ms  ({n} items)")


if __name__ == "__main__":
    main()
