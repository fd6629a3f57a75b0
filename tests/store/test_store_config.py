"""store:/bus:/replica: settings: a postgres store needs a DSN; every problem names its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError
from tests.support import write_config


def test_postgres_without_a_dsn_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        store: {backend: postgres}
        playbooks: @PLAYBOOKS@
        bus: {backend: kafka, url: x}
        replica: {lease_ttl: 4s, renew_interval: 3s}
        """)
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    text = str(exc.value)
    assert "backend postgres needs dsn (e.g. dsn: ${MONITOR_PG_DSN})" in text
    assert "bus" in text and "'redis'" in text
    assert "renew_interval (0:00:03) must be at most half of lease_ttl (0:00:04)" in text


def test_dsn_comes_from_the_environment(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        store: {backend: postgres, dsn: "${MONITOR_PG_DSN}"}
        playbooks: @PLAYBOOKS@
        """)
    loaded = load_config(cfg, env={"MONITOR_PG_DSN": "postgresql://m@db:5432/m"})
    assert loaded.config.store.dsn == "postgresql://m@db:5432/m" and loaded.config.bus is None


def test_incident_commands_use_the_configured_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from monitor.cli import main
    from monitor.models import Incident
    from monitor.store.postgres import PostgresStore
    from tests.servers import pg_schema

    t = datetime(2026, 3, 1, 8, tzinfo=UTC)
    with pg_schema() as dsn:
        store = PostgresStore(dsn)
        store.save_incident("acme", Incident(id="acme-20260301-1", brand="acme", category=None, level="red",
                                             status="open", opened_at=t, level_since=t, last_signal_at=t))
        store.close()
        cfg = write_config(tmp_path, f"""\
            store: {{backend: postgres, dsn: "{dsn}"}}
            playbooks: @PLAYBOOKS@
            """)
        assert main(["incidents", "list", "--json", "--config", str(cfg)]) == 0
    assert '"id": "acme-20260301-1"' in capsys.readouterr().out
