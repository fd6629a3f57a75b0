"""`monitor init DIR`: a deployment to start from: monitor.yaml, keywords, playbooks, .env.example."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from monitor.cli.common import InputError
from monitor.defaults import HERE, bundled

ENV_EXAMPLE = """\
# Environment for `monitor run` (docker run --env-file .env, or compose's env_file).
# Copy to .env and fill in; never commit the real one.
MONITOR_API_TOKEN=          # required when the server listens beyond loopback: openssl rand -hex 32
# MONITOR_HOST=0.0.0.0      # overrides server.host (the container image sets it)
# MONITOR_PORT=8080         # overrides server.port
# MONITOR_DATA_DIR=/data    # where a relative store.path goes (the container image sets it)
# SLACK_WEBHOOK_URL=https://hooks.slack.com/services/...
# SMTP_HOST=smtp.acme.example
# SMTP_USER=monitor
# SMTP_PASSWORD=
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="scaffold a deployment: monitor.yaml, keywords, playbooks, .env.example",
                       description="Write a commented monitor.yaml, the bundled keyword rules and playbooks to edit, "
                                   "and a .env.example into DIR. Existing files are kept unless --force.")
    p.add_argument("dir", type=Path, help="directory to write (created when missing)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target: Path = args.dir
    plan = {target / "monitor.yaml": HERE / "deployment.yaml", target / "keywords.yaml": bundled("keywords.yaml"),
            target / ".env.example": None}
    plan.update({target / "playbooks" / p.name: p for p in sorted(bundled("playbooks").glob("*.yaml"))})
    existing = [p for p in plan if p.exists()]
    if existing and not args.force:
        raise InputError("not overwritten (use --force, or pick an empty directory): "
                         + ", ".join(str(p) for p in existing))
    for dst, src in plan.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src is None:
            dst.write_text(ENV_EXAMPLE, encoding="utf-8")
        else:
            shutil.copyfile(src, dst)
        print(f"wrote {dst}")
    print(f"next: cd {target} && monitor brands add 'Your Brand' --alias ...; monitor check --config monitor.yaml")
    return 0
