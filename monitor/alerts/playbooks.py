"""Playbooks: what each role does at each crisis level, attached to every alert.

One YAML file per level (``red.yaml``), optionally per level and category
(``red-quality.yaml`` wins over ``red.yaml`` for quality incidents). Loading validates
everything up front, statement placeholders included, so a typo is a ``monitor check``
error and never a broken message in the middle of a crisis.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.durations import Duration, format_duration
from monitor.errors import ConfigError, Problem
from monitor.models import LEVELS, Alert, format_ts
from monitor.yamlio import load_yaml, pydantic_problems

PLACEHOLDERS = {
    "brand": "brand id",
    "brand_name": "brand display name",
    "level": "alert level",
    "category": "incident category (or 'general')",
    "date": "date the alert fired (YYYY-MM-DD, UTC)",
    "time": "time the alert fired (HH:MM UTC)",
    "reason": "why the alert fired, one line",
    "incident_id": "incident id",
    "owner": "the playbook owner",
    "negative_posts": "negative matching posts in the window when the alert fired",
    "platforms": "the platforms carrying them, with counts (e.g. weibo 31, x 12)",
    "reposts": "reposts of those posts",
    "story": "the lead story, shortened (its most reposted post)",
}


def live_numbers(evidence: Any) -> dict[str, str]:
    """The placeholders an alert's evidence fills: the numbers behind the level, and the story."""
    if evidence is None:
        return {"negative_posts": "0", "platforms": "", "reposts": "0", "story": ""}
    stories = evidence.detail.get("stories") if isinstance(evidence.detail, dict) else None
    lead = stories[0] if isinstance(stories, list) and stories and isinstance(stories[0], dict) else {}
    story = " ".join(str(lead.get("text") or "").split())
    return {"negative_posts": str(evidence.negative_posts),
            "platforms": ", ".join(f"{k} {v}" for k, v in sorted(evidence.platforms.items(), key=lambda kv: -kv[1])),
            "reposts": str(evidence.reposts), "story": story[:140] + ("…" if len(story) > 140 else "")}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleTask(_Strict):
    role: str
    task: str
    deadline: Duration


class MediaContact(_Strict):
    outlet: str
    contact: str = ""
    note: str = ""


class FollowUp(_Strict):
    after: Duration
    action: str


class Playbook(_Strict):
    """The response plan for one level (and optionally one category)."""

    id: str = ""
    level: str
    category: str | None = None
    title: str
    owner: str
    ack_deadline: Duration = Field(description="unacknowledged this long -> escalate to the next contacts")
    summary: str = ""
    escalation_contacts: list[str] = Field(default_factory=list, description="who is told when ack is overdue")
    escalation_steps: list[list[str]] = Field(default_factory=list, description="who is told at each escalation "
                                              "step: the first list at step 1, the second at step 2, ... (the last "
                                              "list for any later step); empty: escalation_contacts at every step")
    tasks: list[RoleTask] = Field(min_length=1)
    statement: str = Field(description="holding-statement template; {placeholders} filled from the alert")
    media_list: list[MediaContact] = Field(default_factory=list)
    follow_up: list[FollowUp] = Field(default_factory=list)

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {v!r}")
        return v

    @field_validator("statement")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        except ValueError as exc:
            raise ValueError(f"statement template is malformed: {exc} (write literal braces as {{{{ }}}})") from None
        unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
        if unknown:
            raise ValueError(
                f"statement uses unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
                f"known: {', '.join('{' + k + '}' for k in PLACEHOLDERS)}"
            )
        return v

    def contacts_for(self, step: int) -> list[str]:
        """Who is told at escalation ``step`` (0, before any escalation: those step 1 will tell)."""
        if not self.escalation_steps:
            return list(self.escalation_contacts)
        return list(self.escalation_steps[min(max(step, 1), len(self.escalation_steps)) - 1])

    def render(self, alert: Alert) -> RenderedPlaybook:
        """Fill the template and turn relative deadlines into times for this alert."""
        values = {
            "brand": alert.brand,
            "brand_name": alert.brand_name,
            "level": alert.level,
            "category": alert.category or "general",
            "date": alert.ts.strftime("%Y-%m-%d"),
            "time": alert.ts.strftime("%H:%M UTC"),
            "reason": alert.reason,
            "incident_id": alert.incident_id,
            "owner": self.owner,
            **live_numbers(alert.evidence),
        }
        return RenderedPlaybook(
            id=self.id,
            title=self.title,
            level=self.level,
            owner=self.owner,
            ack_deadline=self.ack_deadline,
            ack_due=alert.ts + self.ack_deadline,
            summary=self.summary,
            escalation_contacts=tuple(self.contacts_for(alert.escalation_step)),
            tasks=tuple(
                RenderedTask(t.role, t.task, t.deadline, alert.ts + t.deadline) for t in self.tasks
            ),
            statement=self.statement.format_map(values).strip(),
            media_list=tuple(self.media_list),
            follow_up=tuple(RenderedFollowUp(f.after, f.action, alert.ts + f.after)  # in the order they fall due
                            for f in sorted(self.follow_up, key=lambda f: f.after)),
        )


@dataclass(frozen=True, slots=True)
class RenderedTask:
    role: str
    task: str
    deadline: timedelta
    due: datetime

    def describe(self) -> str:
        return f"{self.role}: {self.task} — within {format_duration(self.deadline)} (by {format_ts(self.due)})"


@dataclass(frozen=True, slots=True)
class RenderedFollowUp:
    after: timedelta
    action: str
    due: datetime

    def describe(self) -> str:
        return f"+{format_duration(self.after)} ({self.due:%Y-%m-%d}): {self.action}"


@dataclass(frozen=True, slots=True)
class RenderedPlaybook:
    """A playbook filled in for one alert: what notifiers render."""

    id: str
    title: str
    level: str
    owner: str
    ack_deadline: timedelta
    ack_due: datetime
    summary: str
    escalation_contacts: tuple[str, ...]
    tasks: tuple[RenderedTask, ...]
    statement: str
    media_list: tuple[MediaContact, ...]
    follow_up: tuple[RenderedFollowUp, ...]


class PlaybookSet:
    """All playbooks of a directory, resolved by (level, category)."""

    def __init__(self, playbooks: dict[tuple[str, str | None], Playbook], directory: str = "") -> None:
        self._by_key = playbooks
        self.directory = directory

    def __len__(self) -> int:
        return len(self._by_key)

    def all(self) -> list[Playbook]:
        return list(self._by_key.values())

    def get(self, level: str, category: str | None = None) -> Playbook:
        """``red-quality`` wins over ``red``; every level has at least its plain playbook."""
        if category is not None and (level, category) in self._by_key:
            return self._by_key[(level, category)]
        return self._by_key[(level, None)]


def load_playbooks(directory: str | Path) -> PlaybookSet:
    """Load and validate ``<dir>/*.yaml``; raises ConfigError listing every problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    found: dict[tuple[str, str | None], Playbook] = {}
    if not directory.is_dir():
        raise ConfigError([Problem(str(directory), "", "playbook directory not found")])
    for path in sorted(directory.glob("*.y*ml")):
        stem = path.stem
        level, _, category = stem.partition("-")
        name = str(path)
        if level not in LEVELS:
            problems.append(Problem(name, "", f"file name must be <level>.yaml or <level>-<category>.yaml "
                                              f"with level one of {', '.join(LEVELS)}"))
            continue
        try:
            doc = load_yaml(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        data = doc.data
        if not isinstance(data, dict):
            problems.append(Problem(name, "", "a playbook must be a YAML mapping"))
            continue
        data = {"id": stem, "level": level, "category": category or None, **data}
        try:
            pb = Playbook.model_validate(data)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, doc))
            continue
        if pb.level != level or (pb.category or "") != category:
            problems.append(Problem(name, doc.place(("level",)), f"level/category ({pb.level}/{pb.category}) "
                                    f"disagree with the file name {path.name}"))
            continue
        found[(level, category or None)] = pb
    for level in LEVELS:
        if (level, None) not in found and not any(p.file.endswith(f"{level}.yaml") for p in problems):
            problems.append(Problem(str(directory / f"{level}.yaml"), "", f"missing: every level needs a playbook "
                                                                          f"({level}.yaml)"))
    if problems:
        raise ConfigError(problems)
    return PlaybookSet(found, str(directory))
