"""Display time zones: local beside UTC in alerts; detection unchanged."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.drill import run_drill
from monitor.errors import ConfigError
from monitor.timezones import configure, fmt_local, zones
from tests.support import ROOT

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_formats() -> None:
    assert fmt_local(T) == "2026-03-01 08:00 UTC"
    configure("Asia/Shanghai", {"acme-us": "America/New_York"})
    assert fmt_local(T) == "2026-03-01 16:00 CST (08:00 UTC)"
    assert fmt_local(T, "acme") == "2026-03-01 16:00 CST (08:00 UTC)"
    assert fmt_local(T, "acme-us") == "2026-03-01 03:00 EST (08:00 UTC)"
    assert fmt_local(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == "2026-03-02 04:00 CST (2026-03-01 20:00 UTC)"
    assert fmt_local(datetime(2026, 7, 1, 3, 0, tzinfo=UTC), "acme-us") == \
        "2026-06-30 23:00 EDT (2026-07-01 03:00 UTC)"  # daylight saving comes from the zone database
    assert zones.zone("other").key == "Asia/Shanghai"


def _cfg(tmp_path: Path, body: str) -> Path:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(f"store: {{path: m.db}}\nnotifiers: [{{kind: terminal}}]\n{body}", encoding="utf-8")
    return cfg


def test_config_names_bad_zones_and_unknown_brands(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_cfg(tmp_path, "timezone: Asia/Shanghia\nbrand_timezones: {nobody: UTC, acme: Mars/Base}\n"),
                    env={})
    got = [str(p) for p in info.value.problems]
    f = tmp_path / "monitor.yaml"
    assert any(g.startswith(f"{f}: line 3 (timezone): unknown time zone 'Asia/Shanghia'") for g in got), got
    assert any("(brand_timezones.acme): unknown time zone 'Mars/Base'" in g for g in got)
    assert any(g.endswith("line 4 (brand_timezones): unknown brand(s) nobody (brands in "
                          f"{ROOT / 'keywords.yaml'}: acme)") for g in got), got
    ok = load_config(_cfg(tmp_path, "timezone: Asia/Shanghai\nbrand_timezones: {acme: Europe/Berlin}\n"), env={})
    assert (ok.config.timezone, ok.config.brand_timezones) == ("Asia/Shanghai", {"acme": "Europe/Berlin"})


def _drill(tmp_path: Path, name: str, body: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    feed = tmp_path / "feed.jsonl"
    if not feed.exists():
        lines = (ROOT / "examples" / "acme-48h.jsonl").read_text(encoding="utf-8").splitlines()[:120]
        feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / name).mkdir()
    loaded = load_config(_cfg(tmp_path / name, body), env={})
    report = asyncio.run(run_drill(loaded, feed, report_dir=tmp_path / name / "r", color=False))
    return report, capsys.readouterr().out


def test_alerts_show_local_and_utc_while_detection_stays_utc(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    utc, utc_out = _drill(tmp_path, "utc", "", capsys)
    local, local_out = _drill(tmp_path, "local", "timezone: Asia/Shanghai\n", capsys)
    assert utc["notifications"], "the slice of the recording raises alerts"

    def contract(report: dict) -> list[tuple]:
        return [(n["ts"], n["brand"], n["level"], n["transition"], n["incident_id"]) for n in report["notifications"]]

    assert contract(local) == contract(utc)  # the same decisions at the same (UTC) times
    assert json.dumps(local["notifications"][0]["ts"]).endswith('Z"')
    assert "Fired at" in utc_out and " UTC" in utc_out and "CST" not in utc_out
    fired = [ln for ln in local_out.splitlines() if "Fired at" in ln]
    assert fired and all("CST (" in ln and " UTC)" in ln for ln in fired)
