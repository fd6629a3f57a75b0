"""The OpenAPI 3 description of the daemon's HTTP API, served at GET /openapi.json.

Written by hand, next to the handlers, and kept true by tests: every route the app
registers must be described here and every path here must be registered
(tests/api/test_openapi.py), and schemathesis calls every operation of a running daemon
and checks status codes, content types and bodies against this document. A module that
adds routes adds their description to :data:`PATHS` (push sources are added per config).
"""

from __future__ import annotations

from typing import Any

from monitor import __version__
from monitor.names import LABELS, LEVELS

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERRORS = {
    400: "invalid parameter or body (the message names it)",
    401: "missing or wrong bearer token, or a bad signature",
    403: "read-only API (no token configured), a role too low, or a cross-site request",
    404: "no such incident, post, silence or route",
    405: "method not allowed on this path",
    409: "not possible in the current state",
    410: "link already used",
    413: "body over server.max_body_bytes",
    415: "mutations must send Content-Type: application/json",
    421: "Host not served here (DNS rebinding refused)",
    422: "no item in the body was a valid event",
    503: "starting or stopping, or the intake cannot take events now (Retry-After)",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ref("Error"), ERRORS[c]) for c in codes}


_READ = (421, 503)
_MUTATION = (400, 401, 403, 413, 415, 421, 503)
_BY = {"by": {"type": "string", "maxLength": 200, "description": "who acts (shared token only; a person's "
                                                                "token names them)"}}


def _op(op_id: str, summary: str, responses: dict[str, Any], *, tag: str, auth: bool = False,
        params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None,
        body_required: bool = False, description: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": responses}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": {JSON: {"schema": body}}}
    op["security"] = [{"bearer": []}] if auth else []
    return op


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _object(required: list[str], **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:  # OpenAPI 3.0: a required list is never empty
        out["required"] = required
    return out


_STR, _INT, _BOOL, _OBJ = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "object"}
_TS = _nullable("string", format="date-time")
_INCIDENT_REF = _path_param("id", "the incident's handle (h...) from GET /incidents, or its readable id")
_SIGNED = "Authenticated by the caller's signature, not the API token."

SCHEMAS: dict[str, Any] = {
    "Error": _object(["error"], error={**_STR, "description": "what was refused and how to fix it"},
                     parameter={**_STR, "description": "the query parameter at fault"},
                     allowed={"type": "array", "items": _STR, "description": "the values it accepts"}),
    "Incident": _object(
        ["id", "brand", "category", "level", "status", "opened_at", "level_since", "acked_at", "acked_by",
         "ack_due_at", "escalation_step", "resolved_at", "resolved_by", "trigger"],
        id=_STR, brand=_STR, category=_nullable("string"), level=_STR, status={"type": "string",
                                                                                "enum": ["open", "resolved"]},
        opened_at=_TS, level_since=_TS, acked_at=_TS, acked_by=_nullable("string"), ack_due_at=_TS,
        escalation_step=_INT, resolved_at=_TS, resolved_by=_nullable("string"), trigger=_STR,
        handle={**_STR, "description": "unguessable name for URLs"}, url=_STR),
    "Health": _object(["status", "time", "sources", "outbox", "open_incidents", "components", "problems"],
                      status={"type": "string", "enum": ["ok", "unhealthy"]}, time=_STR, sources=_OBJ,
                      outbox=_object(["pending", "failed"], pending=_INT, failed=_INT), open_incidents=_INT,
                      model=_nullable("string"), components=_OBJ, problems={"type": "array", "items": _STR}),
    "Relabelled": _object(["key", "label", "reevaluated"], key=_STR, label=_STR,
                          reevaluated={"type": "array", "items": _STR}),
    "Reloaded": _object(["reloaded"], reloaded=_BOOL, error=_STR),
    "Silence": _object(["id", "brand", "starts_at", "ends_at", "created_by", "reason", "include_red", "active"],
                       id=_STR, brand=_STR, level=_nullable("string"), category=_nullable("string"),
                       story=_nullable("string"), incident_id=_nullable("string"), starts_at=_TS, ends_at=_TS,
                       created_by=_STR, reason=_STR, include_red=_BOOL, expired_at=_TS, active=_BOOL),
    "AuditEntry": _object(["ts", "actor", "channel", "action", "incident_id", "detail"], ts=_STR, actor=_STR,
                          channel=_STR, action=_STR, incident_id=_nullable("string"), detail=_OBJ),
    "Task": _object(
        ["id", "incident_id", "level", "kind", "role", "text", "owners", "level_at", "due_at", "done", "done_at",
         "done_by", "overdue", "outcome", "reminded_at"],
        id=_STR, incident_id=_STR, level=_STR, kind=_STR, role=_STR, text=_STR,
        owners={"type": "array", "items": _STR}, level_at=_STR, due_at=_STR, done=_BOOL, done_at=_TS,
        done_by=_nullable("string"), overdue=_BOOL, outcome=_STR, reminded_at=_TS),
    "Statement": _object(
        ["incident_id", "state", "approved", "text", "version", "level", "author", "edited_at", "approved_by",
         "approved_at", "numbers", "versions"],
        incident_id=_STR, state={"type": "string", "enum": ["draft", "edited", "approved"]}, approved=_BOOL,
        text=_STR, version=_INT, level=_STR, author=_STR, edited_at=_STR, approved_by=_nullable("string"),
        approved_at=_TS, numbers=_OBJ, versions={"type": "array", "items": _OBJ}),
    "PushResult": _object(["accepted", "rejected", "errors"], accepted=_INT, rejected=_INT,
                          errors={"type": "array", "items": _object(["index", "reason"], index=_INT,
                                                                     reason=_STR)}),
}

_LIST = {"type": "array", "items": _ref("Incident")}
_HTML = {"description": "an HTML page", "content": {"text/html": {"schema": _STR}}}

PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {"get": _op("healthz", "Health of sources, store, notifiers and tasks", {
        "200": _json(_ref("Health"), "healthy"),
        "503": _json({"anyOf": [_ref("Health"), _ref("Error")]}, "unhealthy (every problem listed), or starting"),
        **_errors(421)}, tag="operations")},
    "/metrics": {"get": _op("metrics", "Prometheus metrics (text exposition 0.0.4)", {
        "200": {"description": "metrics", "content": {"text/plain": {"schema": _STR}}}, **_errors(*_READ)},
        tag="operations")},
    "/openapi.json": {"get": _op("openapi", "This document", {
        "200": _json(_OBJ, "the OpenAPI document"), **_errors(421)}, tag="operations")},
    "/-/reload": {"post": _op("reload", "Re-read the config file (as SIGHUP)", {
        "200": _json(_ref("Reloaded"), "reloaded"),
        "409": _json(_ref("Reloaded"), "invalid new config (the last good one stays) or no config file"),
        **_errors(*_MUTATION)}, tag="operations", auth=True, body=_object([], **_BY))},
    "/incidents": {"get": _op("listIncidents", "Incidents, newest first", {
        "200": _json(_LIST, "incidents"), **_errors(400, *_READ)}, tag="incidents", params=[
            _query("status", {"type": "string", "enum": ["open", "resolved", "all"], "default": "all"},
                   "which incidents"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "at most this many"),
        ])},
    "/incidents/{id}": {"get": _op("getIncident", "One incident", {
        "200": _json(_ref("Incident"), "the incident"), **_errors(404, *_READ)}, tag="incidents",
        params=[_INCIDENT_REF])},
    "/incidents/{id}/ack": {"post": _op("acknowledgeIncident", "Acknowledge: stops reminders and escalation", {
        "200": _json(_ref("Incident"), "acknowledged"), **_errors(404, 409, *_MUTATION)}, tag="incidents",
        auth=True, params=[_INCIDENT_REF], body=_object([], **_BY))},
    "/incidents/{id}/resolve": {"post": _op("resolveIncident", "Resolve by hand (the all-clear is sent)", {
        "200": _json(_ref("Incident"), "resolved"), **_errors(404, 409, *_MUTATION)}, tag="incidents",
        auth=True, params=[_INCIDENT_REF], body=_object([], **_BY))},
    "/posts/{key}/relabel": {"post": _op("relabelPost", "Correct a post's sentiment; open incidents are re-judged", {
        "200": _json(_ref("Relabelled"), "relabelled"), **_errors(404, *_MUTATION)}, tag="incidents", auth=True,
        params=[_path_param("key", "the post's key, source:id")], body_required=True,
        body=_object(["label"], label={"type": "string", "enum": list(LABELS)},
                     note={"type": "string", "maxLength": 2000}, **_BY))},
    "/silences": {
        "get": _op("listSilences", "Silences (all, or only the active ones)", {
            "200": _json({"type": "array", "items": _ref("Silence")}, "silences"), **_errors(400, *_READ)},
            tag="silences", params=[_query("active", {"type": "string", "enum": ["0", "1", "true", "false"]},
                                           "1 or true: only active silences")]),
        "post": _op("addSilence", "Silence a brand's alerts for a while", {
            "201": _json(_ref("Silence"), "added"), **_errors(*_MUTATION)}, tag="silences", auth=True,
            body_required=True, body=_object(
                ["brand", "for", "reason"], brand={**_STR, "minLength": 1}, reason={**_STR, "minLength": 1},
                **{"for": {**_STR, "pattern": "^[1-9][0-9]{0,2}[smhd]$", "description": "a duration such as 2h"}},
                level={"type": "string", "enum": list(LEVELS)}, category=_STR, story=_STR,
                include_red={**_BOOL, "description": "also hide red alerts (executives must decide)"}, **_BY))},
    "/silences/{id}/expire": {"post": _op("expireSilence", "End a silence now", {
        "200": _json(_ref("Silence"), "expired"), **_errors(404, *_MUTATION)}, tag="silences", auth=True,
        params=[_path_param("id", "the silence's id")], body=_object([], **_BY))},
    "/audit": {"get": _op("auditLog", "Every human action: who, through which channel, when, what", {
        "200": _json({"type": "array", "items": _ref("AuditEntry")}, "the audit log"), **_errors(400, *_READ)},
        tag="silences", params=[_query("incident", {"type": "string", "maxLength": 200}, "one incident's entries")])},
    "/tasks": {"get": _op("listTasks", "The playbook's tasks of every incident (or one), with deadlines", {
        "200": _json({"type": "array", "items": _ref("Task")}, "tasks"), **_errors(*_READ)}, tag="tasks",
        params=[_query("incident", _STR, "one incident's tasks (handle or id)"),
                _query("overdue", _STR, "1 or true: only tasks past their deadline and not done")])},
    "/incidents/{id}/tasks": {"get": _op("incidentTasks", "One incident's tasks", {
        "200": _json({"type": "array", "items": _ref("Task")}, "tasks"), **_errors(404, *_READ)}, tag="tasks",
        params=[_INCIDENT_REF, _query("overdue", _STR, "1 or true: only overdue tasks")])},
    "/tasks/{id}/done": {"post": _op("taskDone", "Tick a task (or untick it with done: false)", {
        "200": _json(_ref("Task"), "the task"), **_errors(404, 409, *_MUTATION)}, tag="tasks", auth=True,
        params=[_path_param("id", "the task's id")], body=_object([], done=_BOOL, **_BY))},
    "/incidents/{id}/statement": {
        "get": _op("getStatement", "The holding statement: draft, edited or approved", {
            "200": _json(_ref("Statement"), "the statement"), **_errors(400, 404, 409, *_READ)}, tag="tasks",
            params=[_INCIDENT_REF]),
        "put": _op("editStatement", "Replace the statement's text (clears an approval)", {
            "200": _json(_ref("Statement"), "the new version"), **_errors(404, 409, *_MUTATION)}, tag="tasks",
            auth=True, params=[_INCIDENT_REF], body_required=True, body=_object(["text"], text=_STR, **_BY))},
    "/incidents/{id}/statement/approve": {"post": _op("approveStatement", "Approve the current text (approver role)", {
        "200": _json(_ref("Statement"), "approved"), **_errors(404, 409, *_MUTATION)}, tag="tasks", auth=True,
        params=[_INCIDENT_REF], body=_object([], version={**_INT, "description": "the version you read"}, **_BY))},
    "/slack/interactivity": {"post": _op("slackInteractivity", "Slack button clicks (signed, X-Slack-Signature)", {
        "200": {"description": "handled"}, **_errors(400, 401, 404, 413)}, tag="callbacks",
        description=_SIGNED)},
    "/pagerduty/webhook": {"post": _op("pagerdutyWebhook", "PagerDuty v3 webhook events (X-PagerDuty-Signature)", {
        "200": _json(_OBJ, "handled or ignored"), **_errors(400, 401, 404, 413)}, tag="callbacks",
        description=_SIGNED)},
    "/feishu/card": {"post": _op("feishuCard", "Feishu card button callbacks (X-Lark-Signature)", {
        "200": _json(_OBJ, "handled"), **_errors(400, 401, 404, 413)}, tag="callbacks", description=_SIGNED)},
    "/act/{token}": {
        "get": _op("confirmEmailAction", "An e-mail action link: a page that asks to confirm", {
            "200": _HTML, "403": _HTML, "404": _HTML, "410": _HTML}, tag="callbacks",
            params=[_path_param("token", "the signed link")], description="The link is its own credential."),
        "post": _op("emailAction", "An e-mail action link, confirmed: acts once", {
            "200": _HTML, "403": _HTML, "404": _HTML, "409": _HTML, "410": _HTML}, tag="callbacks",
            params=[_path_param("token", "the signed link")], description="The link is its own credential.")},
}


def push_path(name: str) -> dict[str, Any]:
    """A webhook source's intake, described for its configured path."""
    return {"post": _op(f"push_{name}", f"Push events to source {name!r} (the event format)", {
        "202": _json(_ref("PushResult"), "accepted (bad items reported)"),
        "422": _json(_ref("PushResult"), "no item was a valid event"),
        **_errors(400, 401, 413, 503)}, tag="push", body_required=True,
        body={"oneOf": [_OBJ, {"type": "array", "items": _OBJ}]}, description="One JSON object, a JSON array of "
        "objects, or JSON lines (the event format). Authenticated by the source's bearer token or HMAC "
        "signature, not the API token.")}


def document(service: Any = None) -> dict[str, Any]:
    """The whole description; ``service`` adds its push sources' paths."""
    paths = dict(PATHS)
    rt = getattr(service, "rt", None)
    for source in (rt.sources.values() if rt is not None else ()):
        path = getattr(source.config, "path", None)
        if source.routes() and isinstance(path, str):
            paths[path] = push_path(source.name)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Brand Monitor", "version": __version__,
                 "description": "The daemon's HTTP API. Reads are open on the bind address; mutations need "
                                "`Authorization: Bearer <server.api_token>` (or a person's token) and "
                                "`Content-Type: application/json`. Every error is `{\"error\": \"...\"}`."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
