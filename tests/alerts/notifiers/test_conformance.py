"""One conformance test over every registered notifier kind: the plugin contract, strict
config with exact error messages, routing through ``wants()``, and failure mapping."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from monitor.alerts.notifiers.base import NOTIFIERS, Notifier, NotifierConfig
from monitor.errors import NotifyError
from monitor.plugins import PluginConfig, config_argument, describe
from monitor.yamlio import parse_yaml, pydantic_problems

from ..conftest import EXAMPLES, JSON, KEYS, red_evidence
from .fakes import free_port

# the smallest valid config of each kind; a new notifier must add itself here
MINIMAL: dict[str, dict[str, Any]] = {
    "terminal": {},
    "slack": {"url": "https://hooks.slack.com/services/T0/B0/x"},
    "webhook": {"url": "https://example.org/hook"},
    "teams": {"url": "https://example.webhook.office.com/x"},
    "feishu": {"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"},
    "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=x"},
    "wecom": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"},
    "email": {"sender": "Brand Monitor <monitor@acme.example>", "to": ["pr@acme.example"]},
    "slack_app": {"token": "xoxb-1-2-x", "channel": "C0CRISIS", "signing_secret": "s"},
    "pagerduty": {"routing_key": "R0UTINGKEY"},
    "feishu_app": {"app_id": "cli_x", "app_secret": "s", "chat_id": "oc_x"},
}
KINDS = NOTIFIERS.kinds()


def _yaml(kind: str, extra: str) -> str:
    lines = ["notifiers:", f"  - kind: {kind}"]
    for key, value in MINIMAL[kind].items():
        lines.append(f"    {key}: {value!r}")  # repr of str and list[str] is valid YAML flow
    return "\n".join([*lines, extra]) + "\n"


def test_every_kind_is_covered_and_the_builtin_ones_are_registered() -> None:
    assert set(KINDS) == set(MINIMAL)
    assert {"terminal", "slack", "email", "webhook", "teams", "feishu", "dingtalk", "wecom", "slack_app",
            "pagerduty", "feishu_app"} <= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_plugin_contract(kind: str) -> None:
    cls = NOTIFIERS.get(kind)
    assert cls is not None and issubclass(cls, Notifier)
    assert cls.kind == kind
    assert describe(cls), f"{cls.__name__} needs a docstring (first line is shown in listings)"
    assert issubclass(cls.Config, NotifierConfig) and cls.Config is not NotifierConfig
    assert cls.Config.model_config.get("extra") == "forbid"
    assert cls.Config.__doc__
    own = set(cls.Config.model_fields) - set(NotifierConfig.model_fields) - set(PluginConfig.model_fields)
    for name in own:
        assert cls.Config.model_fields[name].description, f"{kind}.{name} needs a description"
    cfg = cls.Config.model_validate({"kind": kind, **MINIMAL[kind]})
    assert cfg.kind == kind and cfg.display_name() == kind
    assert config_argument(cls) is cls.Config, f"{kind}: declare the class as ...Notifier[{cls.Config.__name__}]"
    assert cls.Config.model_json_schema()["properties"]["kind"]  # documentable


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_field_is_rejected_with_its_place(kind: str) -> None:
    doc = parse_yaml(_yaml(kind, "    colour: red"), "monitor.yaml")
    cls = NOTIFIERS.get(kind)
    assert cls is not None
    with pytest.raises(ValidationError) as exc:
        cls.Config.model_validate(doc.data["notifiers"][0])
    problems = [str(p) for p in pydantic_problems(exc.value, doc, ("notifiers", 0))]
    assert problems == [f"monitor.yaml: line {3 + len(MINIMAL[kind])} (notifiers[0].colour): unknown field 'colour' "
                        "(check the spelling; see the configuration reference)"]


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_kind_literal_is_rejected(kind: str) -> None:
    cls = NOTIFIERS.get(kind)
    assert cls is not None
    other = "slack" if kind != "slack" else "email"
    with pytest.raises(ValidationError):
        cls.Config.model_validate({**MINIMAL[kind], "kind": other})


@pytest.mark.parametrize("kind", KINDS)
def test_wants_routes_by_level_transition_brand_and_escalation_step(kind: str, make_notifier: Any,
                                                                    make_alert: Any) -> None:
    red = make_alert("red", "escalated")
    yellow = make_alert("yellow", "opened")
    everything = make_notifier(kind, **MINIMAL[kind])
    assert everything.wants(red) and everything.wants(yellow)

    only_red = make_notifier(kind, **MINIMAL[kind], levels=["red"])
    assert only_red.wants(red) and not only_red.wants(yellow)

    openings = make_notifier(kind, **MINIMAL[kind], transitions=["opened"])
    assert openings.wants(yellow) and not openings.wants(red)

    other_brand = make_notifier(kind, **MINIMAL[kind], brands=["globex"])
    assert not other_brand.wants(red)
    assert other_brand.wants(dataclasses.replace(red, brand="globex"))

    second_line = make_notifier(kind, **MINIMAL[kind], escalation_step=1)
    assert not second_line.wants(red)
    assert second_line.wants(dataclasses.replace(red, transition="overdue", escalation_step=1))
    assert second_line.wants(dataclasses.replace(red, transition="overdue", escalation_step=2))


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "terminal"])
async def test_unreachable_channel_is_a_retryable_failure(kind: str, make_notifier: Any, make_alert: Any) -> None:
    port = free_port()  # nothing listens here
    cfg = dict(MINIMAL[kind])
    if "url" in cfg:
        cfg["url"] = f"http://127.0.0.1:{port}/hook?access_token=x"
    elif kind in ("slack_app", "pagerduty", "feishu_app"):
        cfg["api_url"] = f"http://127.0.0.1:{port}/api/?access_token=x"
    else:
        cfg.update(host="127.0.0.1", port=port, security="none")
    notifier = make_notifier(kind, **cfg, timeout="2s")
    with pytest.raises(NotifyError) as exc:
        await notifier.send(make_alert())
    assert exc.value.retryable
    assert f"'{kind}'" in str(exc.value)
    assert "access_token" not in str(exc.value)  # URLs carry secrets: never echoed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# seed 11 found these: durations beyond timedelta's range broke every blind-spot message
@example(detail={"silent_for": 86400000000000.0}, text="", transition="blind_spot")
@example(detail={"silent_for_minutes": 1440000000000.0}, text="", transition="blind_spot")
@example(detail={"silent_for": float("nan"), "down_for": float("inf")}, text="", transition="recovered")
@example(detail={"silent_for": 10 ** 400, "silent_for_minutes": -(10 ** 400)}, text="", transition="blind_spot")
@given(detail=st.dictionaries(KEYS, JSON, max_size=6), text=st.text(max_size=300),
       transition=st.sampled_from(["opened", "escalated", "repeated", "overdue", "acknowledged", "resolved",
                                   "blind_spot", "recovered"]))
def test_every_payload_builds_whatever_the_engine_sends(make_alert: Any, detail: dict[str, Any], text: str,
                                                        transition: str) -> None:
    from monitor.alerts.notifiers.dingtalk import dingtalk_payload
    from monitor.alerts.notifiers.email import EmailConfig, build_message
    from monitor.alerts.notifiers.feishu import FeishuConfig, feishu_payload
    from monitor.alerts.notifiers.httpbase import dumps
    from monitor.alerts.notifiers.slack import SlackConfig, slack_payload
    from monitor.alerts.notifiers.teams import TeamsConfig, teams_payload
    from monitor.alerts.notifiers.webhook import notification_json
    from monitor.alerts.notifiers.wecom import wecom_payload

    ex = dataclasses.replace(EXAMPLES[0], text=text, author=text[:20], url=text[:40])
    alert = make_alert("red", transition, evidence=red_evidence(detail=detail, examples=(ex,)), reason=text[:80])
    payloads = [
        slack_payload(alert, SlackConfig.model_validate({"kind": "slack", **MINIMAL["slack"]})),
        teams_payload(alert, TeamsConfig.model_validate({"kind": "teams", **MINIMAL["teams"]})),
        teams_payload(alert, TeamsConfig.model_validate({"kind": "teams", **MINIMAL["teams"],
                                                         "format": "messagecard"})),
        feishu_payload(alert, FeishuConfig.model_validate({"kind": "feishu", **MINIMAL["feishu"], "secret": "s"}), 1),
        dingtalk_payload(alert), wecom_payload(alert), notification_json(alert),
    ]
    for p in payloads:
        assert dumps(p)
    msg = build_message(alert, EmailConfig.model_validate({"kind": "email", **MINIMAL["email"]}), "now")
    assert msg.as_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_level_routing_decides_about_system_alerts(kind: str, make_notifier: Any, blind_spot_alert: Any) -> None:
    assert make_notifier(kind, **MINIMAL[kind]).wants(blind_spot_alert)  # the default list gets them
    assert not make_notifier(kind, **MINIMAL[kind], levels=["red"]).wants(blind_spot_alert)
    assert make_notifier(kind, **MINIMAL[kind], levels=["red", "system"]).wants(blind_spot_alert)
