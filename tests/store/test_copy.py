"""`monitor store copy`: SQLite -> PostgreSQL -> SQLite keeps every row of every table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.models import Incident
from monitor.store import Store, open_url
from monitor.store.copy import table_rows
from monitor.store.migrate import latest
from tests.servers import pg_schema

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


def _populate(s: Store) -> None:
    with s.transaction():
        s.mark_seen([(f"news:{i}", T + timedelta(minutes=i)) for i in range(50)])
        s.set_cursor("news", {"etag": "W/\"x\"", "since": T}, T)
        s.set_meta("engine_now", repr(T.timestamp()))
        for i in range(20):
            s.save_post(f"news:{i}", T, "news", ["acme"], "negative", 0.5 + i / 100, "m", {"text": f"电池 {i}"},
                        [{"rule_id": "r"}])
            s.add_signal("acme", "acme", T + timedelta(seconds=i), "post", f"news:{i}", {"w": i * 1.5})
        inc = Incident(id="acme-1", brand="acme", category="quality", level="yellow", status="open", opened_at=T,
                       level_since=T, last_signal_at=T, triggers=["news"])
        s.save_incident("acme/quality", inc, evidence={"posts": ["news:1"]})
    s.save_relabel("news:3", "neutral", "ana", T, None)
    for i in range(5):
        s.add_notification({"id": f"acme-1#{i}", "incident_id": "acme-1", "transition": "opened", "brand": "acme",
                            "level": "yellow"}, T, ["slack", "mail"])
    s.mark_delivered("acme-1#0", "slack", T)
    s.mark_failed("acme-1#0", "mail", "550 nope", None)
    s.acquire_lease("engine", "r1", 60)


def test_copy_round_trips_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = Store(tmp_path / "old.db")
    _populate(src)
    before = table_rows(src)
    src.close()
    assert sum(len(v) for v in before.values()) > 100
    with pg_schema() as dsn:
        assert main(["store", "copy", "--from", f"sqlite:{tmp_path / 'old.db'}", "--to", f"postgres:{dsn}"]) == 0
        out = capsys.readouterr().out
        assert "  notifications  5 row(s)" in out and "  deliveries     10 row(s)" in out
        pg = open_url(f"postgres:{dsn}")
        try:
            assert table_rows(pg) == before
            assert pg.leases() == {}  # leases belong to processes, not to the data
            assert [i.id for i in pg.list_incidents("open")] == ["acme-1"]
            assert pg.incident_evidence("acme-1") == {"posts": ["news:1"]}
            # the sequences moved past the copied ids: new rows go after them
            assert pg.add_notification({"id": "acme-1#9", "transition": "updated"}, T, ["slack"])
            assert pg.notifications()[-1]["seq"] == 6
            pg.add_signal("acme", "acme", T, "post", "new", {})
            assert [r[4] for r in pg.signals_since(T) if r[2] == T] == ["news:0", "new"]  # ordered by ts, id
        finally:
            pg.close()
        assert main(["store", "copy", "--from", f"postgres:{dsn}", "--to", f"sqlite:{tmp_path / 'back.db'}"]) == 0
    back = Store(tmp_path / "back.db")
    after = table_rows(back)
    back.close()
    assert after["notifications"][:5] == before["notifications"]
    assert {k: v for k, v in after.items() if k not in ("notifications", "deliveries", "signals")} == {
        k: v for k, v in before.items() if k not in ("notifications", "deliveries", "signals")}


def test_copy_refuses_a_destination_with_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate(Store(tmp_path / "a.db"))
    Store(tmp_path / "b.db").mark_seen([("x", T)])
    assert main(["store", "copy", "--from", f"sqlite:{tmp_path / 'a.db'}", "--to", f"sqlite:{tmp_path / 'b.db'}"]) == 1
    assert capsys.readouterr().err == (f"error: {tmp_path / 'b.db'} is not empty (rows in seen); copy only into a new "
                                       "database, so nothing there is overwritten or mixed\n")


def test_migrate_command_reports_the_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["store", "migrate", "--url", f"sqlite:{tmp_path / 'm.db'}"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'm.db'}: schema version {latest('sqlite')} (up to date)\n"
    assert main(["store", "migrate", "--url", "mysql://x"]) == 1
    assert "expected sqlite:PATH or postgres:DSN" in capsys.readouterr().err
