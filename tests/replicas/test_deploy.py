"""deploy/compose.scale.yaml: the whole scale-out shape, health-checked, on a config that validates."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.config import load_config
from tests.support import ROOT


def test_compose_scale_has_every_part_health_checked() -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "compose.scale.yaml").read_text())
    services = doc["services"]
    assert set(services) == {"postgres", "redis", "replica-1", "replica-2", "worker-1", "worker-2"}
    assert all("healthcheck" in s for s in services.values())
    for name in ("replica-1", "replica-2"):
        assert services[name]["command"][:2] == ["monitor", "run"]
        assert services[name]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                "redis": {"condition": "service_healthy"}}
    assert services["replica-1"]["environment"]["MONITOR_REPLICA_ID"] == "replica-1"
    assert services["worker-2"]["command"][:2] == ["monitor", "worker"]


def test_the_scale_config_validates(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "monitor.scale.yaml").read_text().replace("/app/", f"{ROOT}/")
    (tmp_path / "m.yaml").write_text(text)
    env = {"MONITOR_PG_DSN": "postgresql://monitor:pw@postgres:5432/monitor", "MONITOR_REDIS_URL": "redis://r:6379/0",
           "MONITOR_REPLICA_ID": "replica-1", "MONITOR_API_TOKEN": "x" * 32}
    cfg = load_config(tmp_path / "m.yaml", env=env).config
    assert cfg.store.backend == "postgres" and cfg.store.dsn == env["MONITOR_PG_DSN"]
    assert cfg.bus is not None and cfg.bus.url == "redis://r:6379/0"
    assert cfg.replica.id == "replica-1" and cfg.replica.lease_ttl.total_seconds() == 20
