"""Plugin[C]: the config model named once as the type argument sets Config and types cfg."""

from __future__ import annotations

from typing import ClassVar

import pytest

from monitor.clock import SystemClock
from monitor.plugins import Plugin, PluginConfig, config_argument
from monitor.sources.base import Source, SourceConfig, SourceContext


class FooConfig(SourceConfig):
    kind: str = "foo"
    depth: int = 2


class BarConfig(SourceConfig):
    kind: str = "bar"


class FooSource(Source[FooConfig]):
    """Foo."""

    kind: ClassVar[str] = "foo"


def test_the_type_argument_becomes_the_config_model_and_cfg_is_typed() -> None:
    assert FooSource.Config is FooConfig and config_argument(FooSource) is FooConfig
    src = FooSource(FooConfig(depth=5), SourceContext(clock=SystemClock()))
    assert src.cfg is src.config and src.cfg.depth == 5


def test_a_subclass_inherits_the_model_or_narrows_it() -> None:
    class Deeper(FooSource):
        pass

    class DeeperConfig(FooConfig):
        extra_depth: int = 1

    class Narrowed(FooSource):
        Config = DeeperConfig

    assert Deeper.Config is FooConfig and config_argument(Deeper) is None  # inherited, not re-declared
    assert Narrowed.Config is DeeperConfig


def test_a_config_that_contradicts_the_type_argument_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match=r"Wrong\.Config BarConfig is not a FooConfig"):
        class Wrong(Source[FooConfig]):
            Config = BarConfig


def test_an_unparametrised_family_base_keeps_the_family_default() -> None:
    assert Source.Config is SourceConfig and Plugin.Config is PluginConfig
