"""Every registered source kind keeps the plugin contract (DESIGN.md "Habits").

Written over the registry, so a kind added later is checked without touching this file.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from monitor.plugins import PluginConfig, config_argument, describe
from monitor.sources.base import SOURCES, Source, SourceConfig
from monitor.sources.http import HttpSource, HttpSourceConfig

KINDS = SOURCES.kinds()
BASE_FIELDS = set(SourceConfig.model_fields) | set(PluginConfig.model_fields)
SECRET_WORDS = ("token", "secret", "password")


def own_fields(config: type[BaseModel], base: type[BaseModel]) -> dict[str, Any]:
    return {name: f for name, f in config.model_fields.items() if name not in base.model_fields}


def mentions_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(mentions_secret(arg) for arg in typing.get_args(annotation))


def test_registry_is_populated() -> None:
    for kind in ("replay", "rss", "google_news", "youtube", "reddit", "hackernews", "mastodon", "bluesky"):
        assert kind in KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_kind_class_and_config_agree(kind: str) -> None:
    cls = SOURCES.get(kind)
    assert cls is not None and issubclass(cls, Source)
    assert cls.kind == kind
    assert issubclass(cls.Config, SourceConfig)
    assert cls.Config.model_fields["kind"].default == kind
    # the config model is named once, as the type argument (Source[FooConfig]), and that sets Config
    assert config_argument(cls) is cls.Config, f"{kind}: declare the class as ...Source[{cls.Config.__name__}]"


@pytest.mark.parametrize("kind", KINDS)
def test_docstring_gives_a_one_line_description(kind: str) -> None:
    cls = SOURCES.get(kind)
    assert cls.__doc__ and cls.__doc__.strip(), f"{kind}: class has no docstring"
    line = describe(cls)
    assert 10 <= len(line) <= 120, f"{kind}: first docstring line should be a one-line summary: {line!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_config_is_strict(kind: str) -> None:
    config = SOURCES.get(kind).Config
    assert config.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError) as info:
        config.model_validate({"kind": kind, "bogus_setting": 1})
    extra = [e for e in info.value.errors() if e["type"] == "extra_forbidden"]
    assert extra == [{"type": "extra_forbidden", "loc": ("bogus_setting",), "msg": "Extra inputs are not permitted",
                      "input": 1, "url": extra[0]["url"]}]


@pytest.mark.parametrize("kind", KINDS)
def test_every_own_field_is_documented(kind: str) -> None:
    config = SOURCES.get(kind).Config
    undocumented = [name for name, f in config.model_fields.items()
                    if name not in BASE_FIELDS and not (f.description and f.description.strip())]
    assert undocumented == [], f"{kind}: fields without a description: {undocumented}"


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_make_sense(kind: str) -> None:
    config = SOURCES.get(kind).Config
    defaults = config.model_construct()
    assert defaults.interval.total_seconds() > 0
    assert defaults.silence_limit() >= defaults.interval, f"{kind}: blind-spot period shorter than the poll interval"
    config.model_json_schema()  # `monitor sources show` needs it


@pytest.mark.parametrize("kind", KINDS)
def test_polled_or_streaming(kind: str) -> None:
    cls = SOURCES.get(kind)
    if cls.streaming:
        assert cls.stream is not Source.stream, f"{kind}: streaming source without stream()"
    else:
        assert cls.poll is not Source.poll, f"{kind}: polled source without poll()"


@pytest.mark.parametrize("kind", [k for k in KINDS if issubclass(SOURCES.get(k), HttpSource)])
def test_http_sources_are_pointable_and_polite(kind: str) -> None:
    cls = SOURCES.get(kind)
    assert issubclass(cls.Config, HttpSourceConfig)
    fields = cls.Config.model_fields
    if "base_url" in fields:
        assert isinstance(fields["base_url"].default, str) and fields["base_url"].default.startswith("https://")
    else:  # a feed names its whole URL
        assert "url" in fields and fields["url"].is_required(), f"{kind}: no base_url: tests cannot point it elsewhere"
    assert cls.requests_per_minute > 0 and cls.burst >= 1


@pytest.mark.parametrize("kind", KINDS)
def test_secrets_are_secret(kind: str) -> None:
    config = SOURCES.get(kind).Config
    leaky = [name for name, f in own_fields(config, SourceConfig).items()
             if any(w in name for w in SECRET_WORDS) and not mentions_secret(f.annotation)]
    assert leaky == [], f"{kind}: secrets typed as plain str (use SecretStr so they never print): {leaky}"
