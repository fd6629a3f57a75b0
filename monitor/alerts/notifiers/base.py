"""What a notifier is.

A notifier delivers one :class:`~monitor.models.Alert` to one channel. ``send`` either
returns (delivered) or raises :class:`~monitor.errors.NotifyError` saying whether a retry
can help (Alertmanager's ``Notify(...) (retry bool, err error)``); the outbox does the
retrying, so notifiers stay simple and stateless.

Routing lives in the config every notifier shares: which levels and transitions it
takes, and at which escalation step it joins (0 = from the start; 1 = once the first
acknowledgement deadline has passed, and so on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import Field

from monitor.durations import Duration
from monitor.models import Alert
from monitor.names import LEVELS
from monitor.plugins import Plugin, PluginConfig, Registry

if TYPE_CHECKING:
    import aiohttp

    from monitor.clock import Clock

class NotifierConfig(PluginConfig):
    """Settings every notifier has."""

    levels: list[str] = Field(default_factory=lambda: list(LEVELS),
                              description="levels it receives; add 'system' to an explicit list for blind-spot "
                                          "alerts (the default list gets them)")
    transitions: list[str] | None = Field(default=None, description="transitions it receives (default: all)")
    brands: list[str] | None = Field(default=None, description="brand ids it receives (default: all)")
    escalation_step: int = Field(
        default=0, ge=0, description="joins once this many acknowledgement deadlines have passed"
    )
    timeout: Duration = Field(default=timedelta(seconds=10), description="per-delivery timeout")


def _system_clock() -> Clock:
    from monitor.clock import SystemClock

    return SystemClock()


@dataclass
class NotifierContext:
    clock: Clock
    session: aiohttp.ClientSession | None = None
    color: bool | None = None  # terminal: None = auto (colour when a TTY)
    store: Any = None  # the Store, for notifiers that keep per-incident state (slack_app threads)
    instance: str = ""  # this install's (or drill run's) random id: delivery ids unique across installs
    # the real time, for what the receiving system judges by it (an e-mail's Date header): in a drill
    # ``clock`` is virtual, and a mail dated months ago sorts wrong and looks like spam
    wall_clock: Clock = field(default_factory=_system_clock)


NC = TypeVar("NC", bound=NotifierConfig)


class Notifier(Plugin[NC]):
    """A channel to the team: ``class FooNotifier(Notifier[FooConfig])`` sets ``kind``, implements ``send``."""

    kind: ClassVar[str]
    Config: ClassVar[type[NotifierConfig]] = NotifierConfig

    def __init__(self, config: NC, ctx: NotifierContext) -> None:
        self.config = config
        self.ctx = ctx

    @property
    def name(self) -> str:
        return self.config.display_name()

    def wants(self, alert: Alert) -> bool:
        """Routing: does this alert go to this notifier?"""
        cfg = self.config
        # system alerts (blind spot, recovered) reach a notifier whose levels are the default or list "system"
        if alert.level not in cfg.levels and (alert.level in LEVELS or "levels" in cfg.model_fields_set):
            return False
        if cfg.transitions is not None and alert.transition not in cfg.transitions:
            return False
        if cfg.brands is not None and alert.brand not in cfg.brands:
            return False
        return alert.escalation_step >= cfg.escalation_step

    async def send(self, alert: Alert) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release anything the notifier opened itself."""


NOTIFIERS: Registry[Notifier] = Registry(
    "notifier",
    [
        "monitor.alerts.notifiers.terminal",
        "monitor.alerts.notifiers.slack",
        "monitor.alerts.notifiers.email",
        "monitor.alerts.notifiers.webhook",
        "monitor.alerts.notifiers.teams",
        "monitor.alerts.notifiers.feishu",
        "monitor.alerts.notifiers.dingtalk",
        "monitor.alerts.notifiers.wecom",
        "monitor.alerts.notifiers.slack_app",
        "monitor.alerts.notifiers.pagerduty",
        "monitor.alerts.notifiers.feishu_app",
    ],
)
register_notifier = NOTIFIERS.register
