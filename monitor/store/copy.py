"""``monitor store copy``: move a deployment between backends without losing a row.

Both stores are first brought to the latest schema, so their tables match column for
column; every table of the source (whatever later migrations add) is copied row by row
into the destination, which must be empty, and identity sequences are moved past the
copied ids. Leases are not copied: they belong to running processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.errors import StoreError

SKIP = {"leases"}


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_store(src: Any, dst: Any) -> CopyReport:
    """Copy every row of ``src`` into the empty ``dst`` (both opened, hence migrated)."""
    src_version, dst_version = src.get_meta("schema_version"), dst.get_meta("schema_version")
    if src_version != dst_version:
        raise StoreError(f"schema versions differ ({src.path}: {src_version}, {dst.path}: {dst_version}); "
                         "upgrade both to the same Brand Monitor release first")
    missing = sorted(set(src.tables()) - set(dst.tables()))
    if missing:
        raise StoreError(f"{dst.path} lacks the table(s) {', '.join(missing)}; run `monitor store migrate` on it")
    busy = [t for t in dst.tables() if t not in SKIP and _rows(dst, t, skip_version=True)]
    if busy:
        raise StoreError(f"{dst.path} is not empty (rows in {', '.join(busy)}); copy only into a new database, "
                         "so nothing there is overwritten or mixed")
    report = CopyReport()
    for table in src.tables():
        if table in SKIP:
            continue
        columns, rows = src.dump_table(table)
        data = list(rows)
        if table == "meta":
            data = [r for r in data if r[0] != "schema_version"]
        report.rows[table] = dst.load_table(table, columns, data) if data else 0
    return report


def _rows(store: Any, table: str, skip_version: bool) -> int:
    _cols, rows = store.dump_table(table)
    data = list(rows)
    if table == "meta" and skip_version:
        data = [r for r in data if r[0] != "schema_version"]
    return len(data)


def table_rows(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every copied table, sorted: what a round trip must preserve."""
    out = {}
    for table in store.tables():
        if table in SKIP:
            continue
        _cols, rows = store.dump_table(table)
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out
