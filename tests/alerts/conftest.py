"""Alerts for tests: realistic evidence and a playbook rendered from the repo's playbooks/."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from monitor.alerts.playbooks import PlaybookSet, load_playbooks
from monitor.models import Alert, Evidence, Example

PLAYBOOK_DIR = Path(__file__).resolve().parents[2] / "playbooks"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

EXAMPLES = (
    Example(source="weibo", id="w1", ts=T0 - timedelta(minutes=12), text="ACME 电池 起火了!!! 我的手机充电时冒烟",
            url="https://weibo.com/123/w1", author="小王", reposts=41, score=0.97, rules=("acme-battery-fire",),
            terms=("电池", "起火")),
    Example(source="reddit", id="t3_a", ts=T0 - timedelta(minutes=9),
            text="My Acme X2 battery swelled overnight and the case cracked. Support just closed my ticket.",
            url="https://www.reddit.com/r/gadgets/comments/a", author="u/ember", reposts=12, score=0.94,
            rules=("acme-battery-fire", "acme-service"), terms=("battery", "swelled")),
    Example(source="twitter", id="tw9", ts=T0 - timedelta(minutes=5), text="@Acme why is nobody answering? #AcmeFire",
            url="https://x.com/someone/status/9", author="@someone", reposts=10, score=0.91,
            rules=("acme-service",), terms=("battery",)),
    Example(source="reddit", id="t3_b", ts=T0 - timedelta(minutes=2), text="fourth example, never shown",
            url="https://www.reddit.com/r/gadgets/comments/b", author="u/late", score=0.8),
)


# arbitrary JSON-ish values under the detail keys the renderers read: whatever the engine sends
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
KEYS = st.sampled_from(["word", "rank", "source", "trend", "quote", "price", "prev_close", "symbol", "change_pct",
                        "outlet", "title", "also", "quiet_for", "opened_at", "peak_level", "silent_for",
                        "silent_for_minutes", "down_for", "last_error", "failures", "consecutive_failures",
                        "test", "burst", "voices", "posts", "articles", "outlets", "stories"])


def red_evidence(**changes: Any) -> Evidence:
    ev = Evidence(
        trigger="red.trending", rule="the brand enters a trending list", observed=1, threshold=0,
        window_minutes=60, platforms={"weibo": 9, "reddit": 4, "twitter": 2}, reposts=63, negative_posts=15,
        rules={"acme-battery-fire": 8, "acme-quality": 5, "acme-service": 2}, examples=EXAMPLES,
        detail={"word": "ACME 电池", "rank": 3, "source": "weibo_hot"},
    )
    return dataclasses.replace(ev, **changes)


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    return load_playbooks(PLAYBOOK_DIR)


AlertFactory = Callable[..., Alert]


@pytest.fixture
def make_alert(playbooks: PlaybookSet) -> AlertFactory:
    """``make_alert(level=..., transition=..., evidence=..., **alert_fields)`` -> Alert with its playbook."""

    def make(level: str = "red", transition: str = "escalated", *, with_playbook: bool = True,
             **fields: Any) -> Alert:
        seq = fields.pop("seq", 3)
        base: dict[str, Any] = {
            "id": f"INC-acme-20260301-1#{seq}", "incident_id": "INC-acme-20260301-1", "brand": "acme",
            "brand_name": "Acme", "category": None, "level": level, "transition": transition, "ts": T0,
            "reason": "brand is trending on weibo_hot (#3)", "evidence": red_evidence(),
        }
        base.update(fields)
        alert = Alert(**base)
        if with_playbook and transition not in ("blind_spot", "recovered"):
            alert = dataclasses.replace(alert, playbook=playbooks.get(level, alert.category).render(alert))
        return alert

    return make


@pytest.fixture
def blind_spot_alert() -> Alert:
    """A source-level alert shaped like monitor.health's: brand ``*``, level ``system``."""
    detail = {"source": "weibo_hot", "kind": "weibo_hot", "silent_for_minutes": 45,
              "last_event": "2026-03-01T07:15:00Z", "last_error": None, "consecutive_failures": 0}
    return Alert(id="source-weibo_hot-20260301-080000#1", incident_id="source-weibo_hot-20260301-080000", brand="*",
                 brand_name="all brands", category=None, level="system", transition="blind_spot", ts=T0,
                 reason="no events from weibo_hot for 45m (expected within 30m)",
                 evidence=Evidence(trigger="system.silent", rule="no events from weibo_hot for 45m (expected within "
                                   "30m)", observed=45, threshold=30, window_minutes=0, detail=detail))
