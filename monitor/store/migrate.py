"""Versioned schema migrations: numbered SQL files, one directory per backend.

``migrations/<backend>/NNNN_name.sql`` is applied once, in order, each in its own
transaction together with the new ``meta.schema_version``; a store opened on an older
database brings it up to date at start (``monitor store migrate`` does only that). A
database written by a newer release is refused. Adding a table is one new file per
backend with the next number (and the methods that use it on the store classes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(backend: str) -> list[Migration]:
    """Every migration of ``backend`` (``sqlite`` or ``postgres``), oldest first; numbers must be 1..N."""
    out = []
    for path in sorted((MIGRATIONS / backend).glob("*.sql")):
        m = _NAME.match(path.name)
        if m is None:
            raise StoreError(f"migration file {path} is misnamed: expected NNNN_name.sql")
        out.append(Migration(int(m.group(1)), m.group(2), path.read_text(encoding="utf-8")))
    if [m.version for m in out] != list(range(1, len(out) + 1)):
        raise StoreError(f"migrations in {MIGRATIONS / backend} are not numbered 1..{len(out)} without gaps")
    return out


def latest(backend: str) -> int:
    return len(migrations(backend))


def to_apply(backend: str, current: int, where: str) -> list[Migration]:
    """What brings a database at ``current`` up to date; refuses one newer than this release."""
    known = migrations(backend)
    if current > len(known):
        raise StoreError(f"store {where} was written by a newer Brand Monitor (schema {current}); upgrade")
    return [m for m in known if m.version > current]


def statements(sql: str) -> list[str]:
    """Split a migration into statements (ours hold no semicolons inside literals)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
