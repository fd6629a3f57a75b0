"""The incidents table, written once for both backends.

Its SQL is portable (``?`` placeholders, ``ON CONFLICT ... excluded``), so it runs through
each store's ``query``/``execute``, which adapt placeholders to the backend.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from monitor.models import Incident
from monitor.store.codec import dumps, loads, to_epoch

_INCIDENT_FIELDS = tuple(f.name for f in fields(Incident))


def incident_data(incident: Incident) -> dict[str, Any]:
    """``dataclasses.asdict(incident)`` without its deep copy (which costs more than the write): the fields are
    plain values, datetimes and a list of strings, so the JSON is the same. Written at every batch."""
    return {name: getattr(incident, name) for name in _INCIDENT_FIELDS}


class IncidentRows:
    """Mixin: needs ``query(sql, args)`` and ``execute(sql, args)``."""

    def query(self, sql: str, args: Any = ()) -> list[Any]: ...  # pragma: no cover - provided by the store
    def execute(self, sql: str, args: Any = ()) -> int: ...  # pragma: no cover - provided by the store

    def save_incident(self, scope: str, incident: Incident, evidence: Any = None) -> None:
        self.execute("INSERT INTO incidents(id, scope, brand, status, opened, data, evidence) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status=excluded.status, "
                     "data=excluded.data, evidence=COALESCE(excluded.evidence, incidents.evidence)",
                     (incident.id, scope, incident.brand, incident.status, to_epoch(incident.opened_at),
                      dumps(incident_data(incident)), None if evidence is None else dumps(evidence)))

    @staticmethod
    def _incident(row: Any) -> tuple[str, Incident]:
        return row[0], Incident(**loads(row[1]))

    def open_incidents(self) -> dict[str, Incident]:
        """scope -> open incident."""
        return dict(self._incident(r) for r in self.query(
            "SELECT scope, data FROM incidents WHERE status='open' ORDER BY opened"))

    def get_incident(self, incident_id: str) -> tuple[str, Incident] | None:
        rows = self.query("SELECT scope, data FROM incidents WHERE id=?", (incident_id,))
        return self._incident(rows[0]) if rows else None

    def incident_evidence(self, incident_id: str) -> Any:
        rows = self.query("SELECT evidence FROM incidents WHERE id=?", (incident_id,))
        return loads(rows[0][0]) if rows and rows[0][0] else None

    def list_incidents(self, status: str | None = None, limit: int = 100) -> list[Incident]:
        sql, args = "SELECT scope, data FROM incidents", []
        if status:
            sql, args = sql + " WHERE status=?", [status]
        rows = self.query(sql + " ORDER BY opened DESC LIMIT ?", [*args, limit])
        return [self._incident(r)[1] for r in rows]

    def incident_id_taken(self, incident_id: str) -> bool:
        return bool(self.query("SELECT 1 FROM incidents WHERE id=?", (incident_id,)))


_ = json  # codec helpers are shared with the stores
