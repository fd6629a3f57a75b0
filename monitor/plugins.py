"""A tiny plugin registry shared by sources and notifiers.

A plugin is one file: a ``kind`` name, a pydantic ``Config`` (``extra="forbid"``,
defaults written once), a class and a docstring. The registry maps kind -> class so the
config loader can validate ``{kind: rss, ...}`` against the right model and list what a
build knows (``monitor sources list``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class PluginConfig(BaseModel):
    """Base of every plugin config: strict, so a misspelt key is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="which plugin this is (see `monitor sources list`)")
    name: str = Field(default="", description="unique name in logs, metrics and alerts (default: the kind)")

    def display_name(self) -> str:
        return self.name or self.kind


class Registry(Generic[T]):
    """kind -> plugin class, filled by importing the family's modules on first use."""

    def __init__(self, family: str, modules: Iterable[str]) -> None:
        self.family = family
        self._modules = list(modules)
        self._classes: dict[str, type[T]] = {}
        self._loaded = False

    def register(self, cls: type[T]) -> type[T]:
        kind = getattr(cls, "kind", None)
        if not kind:
            raise TypeError(f"{cls.__name__} has no kind")
        if kind in self._classes and self._classes[kind] is not cls:
            raise TypeError(f"{self.family} kind {kind!r} registered twice")
        self._classes[kind] = cls
        return cls

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in self._modules:
                importlib.import_module(name)

    def get(self, kind: str) -> type[T] | None:
        """The class for ``kind``; only its own module is imported when the module is named after the kind
        (a drill's replay source does not pay for importing every source)."""
        cls = self._classes.get(kind)
        if cls is None and not self._loaded:
            own = next((m for m in self._modules if m.rpartition(".")[2] == kind), None)
            if own is not None:
                importlib.import_module(own)
                cls = self._classes.get(kind)
        if cls is None:
            self._load()
            cls = self._classes.get(kind)
        return cls

    def kinds(self) -> list[str]:
        self._load()
        return sorted(self._classes)

    def items(self) -> list[tuple[str, type[T]]]:
        self._load()
        return sorted(self._classes.items())


def describe(cls: Any) -> str:
    """First line of a plugin's docstring, for listings."""
    doc = (cls.__doc__ or "").strip().splitlines()
    return doc[0].strip() if doc else ""


C = TypeVar("C", bound=PluginConfig)


class Plugin(Generic[C]):
    """Base of sources and notifiers: the class-level contract every plugin states, and its typed config.

    A plugin names its config model once, as the type argument: ``class RssSource(FeedSource[RssConfig])``.
    That sets ``Config`` (the model the loader validates ``{kind: rss, ...}`` against) and types
    ``config`` / ``cfg`` as ``RssConfig``, so no plugin repeats a cast. A class that sets ``Config``
    itself must name a subclass of its type argument.
    """

    kind: ClassVar[str]
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    config: C

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = config_argument(cls)
        if model is None:
            return
        if "Config" not in cls.__dict__:
            cls.Config = model
        elif not issubclass(cls.Config, model):
            raise TypeError(f"{cls.__name__}.Config {cls.Config.__name__} is not a {model.__name__}")

    @property
    def cfg(self) -> C:
        """The plugin's own config model (an alias of ``config`` kept for the plugins' bodies)."""
        return self.config


def config_argument(cls: type) -> type[PluginConfig] | None:
    """The concrete config model ``cls`` was parametrised with (``Source[RssConfig]`` -> RssConfig), if any."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        for arg in get_args(base):
            if isinstance(arg, type) and issubclass(arg, PluginConfig):
                return arg
    return None
