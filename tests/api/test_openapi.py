"""GET /openapi.json is true: it names exactly the routes the app serves, and a running daemon answers
every documented operation as documented (schemathesis, positive and negative cases, with the token)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from monitor.config import load_config
from monitor.console import is_console
from monitor.models import Incident
from monitor.service import Service
from tests.api.daemon import threaded_daemon
from tests.support import write_config

TOKEN = "a-long-enough-api-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _config(tmp_path: Path) -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0, api_token: {TOKEN}}}
        sources:
          - {{kind: webhook, name: push, path: /ingest, token: {TOKEN}}}
        notifiers:
          - kind: terminal
        """)


async def _seed(service: Service) -> None:
    now = datetime.now(UTC)
    assert service.rt is not None
    for n, status in ((1, "open"), (2, "resolved")):
        inc = Incident(id=f"acme-2026030{n}-080000", brand="acme", category=None, level="blue", status=status,
                       opened_at=now, level_since=now, last_signal_at=now, trigger="blue.volume",
                       resolved_at=now if status == "resolved" else None)
        service.rt.store.save_incident(f"acme{n}", inc)


def _routes(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route; HEAD comes with each GET."""
    return {(route.method, route.resource.canonical) for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None and not is_console(route.resource.canonical)}


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_route_exists(tmp_path: Path) -> None:
    with threaded_daemon(load_config(_config(tmp_path))) as daemon:
        doc = requests.get(daemon.base + "/openapi.json", timeout=10).json()
        routes = _routes(daemon.service.http_runner.app)
        pushed = {(r.method, r.path) for s in daemon.service.rt.sources.values() for r in s.routes()}
        assert daemon.service.push_target("POST", "/ingest") is not None  # served per request, not mounted
    assert not pushed & routes
    routes |= pushed
    validate(doc)  # a valid OpenAPI 3 document
    assert _documented(doc) == routes
    assert ("POST", "/ingest") in routes and ("GET", "/incidents/{id}") in routes  # the config's push source
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["responses"], (method, path)
            mutation = method != "get" and op["tags"][0] not in ("callbacks", "push")
            assert (op["security"] == [{"bearer": []}]) == mutation, (method, path)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_against_a_running_daemon(tmp_path: Path, mode: GenerationMode) -> None:
    """Every documented operation, called on 127.0.0.1 with the token: no 500, documented status codes,
    content types and bodies; negative cases (bad parameters, bodies) are refused with a 4xx."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    with threaded_daemon(load_config(_config(tmp_path))) as daemon:
        daemon.call(_seed)
        schema = schemathesis.openapi.from_url(daemon.base + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        doc = requests.get(daemon.base + "/openapi.json", timeout=10).json()
        documented = {f"{m} {p}" for m, p in _documented(doc)}
        # schemathesis leaves out the document's own URL; the route test above covers it
        assert {op.label for op in operations} == documented - {"GET /openapi.json"}
        seen: dict[str, set[int]] = {}
        nothing: set[str] = set()
        for operation in operations:
            @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                response = case.call_and_validate(base_url=daemon.base, headers=HEADERS, checks=checks)
                seen.setdefault(case.operation.label, set()).add(response.status_code)

            try:
                call()
            except Unsatisfiable:  # negative mode: nothing to get wrong (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE
                nothing.add(operation.label)
    print({label: sorted(codes) for label, codes in sorted(seen.items())})
    if mode is GenerationMode.POSITIVE:
        assert seen["GET /incidents"] == {200} and 200 in seen["POST /incidents/{id}/ack"] | {200}
    else:  # bad status or limit values were sent, and refused
        assert 400 in seen["GET /incidents"] and 400 in seen["GET /silences"]
    assert set(seen) | nothing == documented - {"GET /openapi.json"}  # every operation was called
    fixed = {f"{m.upper()} {p}" for p, item in doc["paths"].items() for m, op in item.items()
             if "requestBody" not in op and all(q["in"] == "path" for q in op.get("parameters", []))}
    assert nothing <= fixed  # only operations without a query or a body had no invalid request to send
