"""``tasks:`` in monitor.yaml: who holds each playbook role, how each person is reminded, who approves.

Playbook roles are the names the playbooks use (``PR``, ``Legal``, ``Tech``, ``Regional teams``);
they are matched without regard to case or spacing. A person is reminded of an overdue task
through their own notifier (by name, from ``notifiers:``), so an e-mail notifier whose ``to:`` is
one person, or a Slack notifier aimed at a person's channel, reaches exactly that person.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from monitor.durations import Duration
from monitor.errors import Problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Strict):
    """One member of the crisis team."""

    notifier: str | None = Field(default=None, description="the notifier (by name) that reminds this person of "
                                 "their overdue tasks; none: overdue tasks are only shown, never sent")
    contact: str = Field(default="", description="how to reach them, shown beside their tasks (e.g. @alice, "
                         "+86 ...)")


def role_key(role: str) -> str:
    """``Regional teams``, ``regional  teams`` and ``REGIONAL TEAMS`` are one role."""
    return " ".join(role.split()).casefold()


class TasksConfig(_Strict):
    """The playbook as a checklist: role -> people, reminders and statement approval."""

    people: dict[str, Person] = Field(default_factory=dict, description="the crisis team by name, e.g. "
                                      "{alice: {notifier: slack-alice}}")
    roles: dict[str, list[str]] = Field(default_factory=dict, description="playbook role -> the people who own "
                                        "its tasks, e.g. {PR: [alice], Legal: [bob]}")
    approvers: list[str] = Field(default_factory=lambda: ["Legal"], description="playbook roles whose people may "
                                 "approve the holding statement (API admins always may)")
    media_role: str = Field(default="PR", description="the role that briefs the playbook's media list")
    media_deadline: Duration = Field(default=timedelta(hours=2), description="each media-list contact is "
                                     "briefed within this of the level being reached")
    follow_up_role: str = Field(default="PR", description="the role that owns the 3-7-21 follow-ups")
    check_interval: Duration = Field(default=timedelta(minutes=1), description="how often the daemon looks for "
                                     "overdue tasks to remind their owners of")
    reminders: bool = Field(default=True, description="false: overdue tasks are shown, never sent")

    @field_validator("roles")
    @classmethod
    def _known_people(cls, roles: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        people = info.data.get("people")
        if people is None:
            return roles  # people itself is invalid: reported there
        for role, names in roles.items():
            unknown = [n for n in names if n not in people]
            if unknown:
                raise ValueError(f"role {role!r} names unknown people {', '.join(map(repr, unknown))}; "
                                 f"add them under tasks.people (known: {', '.join(people) or 'none'})")
        keys = [role_key(r) for r in roles]
        twice = sorted({r for r in roles if keys.count(role_key(r)) > 1})
        if twice:
            raise ValueError(f"roles {', '.join(map(repr, twice))} are the same role (case and spacing "
                             f"do not count); list them once")
        return roles

    def owners(self, role: str) -> list[str]:
        """The people holding ``role`` (in config order); empty when nobody does."""
        key = role_key(role)
        return next((list(names) for r, names in self.roles.items() if role_key(r) == key), [])

    def may_approve(self, person: str) -> bool:
        return any(person in self.owners(role) for role in self.approvers)


def task_problems(cfg: TasksConfig, notifier_names: set[str], file: str, place: Any) -> list[Problem]:
    """What the model alone cannot check: each person's notifier must be configured."""
    out = []
    for name, person in cfg.people.items():
        if person.notifier is not None and person.notifier not in notifier_names:
            out.append(Problem(file, place(("tasks", "people", name, "notifier")),
                               f"unknown notifier {person.notifier!r} (configured: "
                               f"{', '.join(sorted(notifier_names)) or 'none'}); name one from notifiers:"))
    return out


def role_summary(cfg: TasksConfig, playbooks: Any) -> dict[str, Any]:
    """Who holds each role the playbooks name (for ``monitor check``); roles nobody holds are listed."""
    roles = {t.role for pb in playbooks.all() for t in pb.tasks} | {cfg.media_role, cfg.follow_up_role}
    held = {r: cfg.owners(r) for r in sorted(roles, key=role_key)}
    return {"owners": {r: o for r, o in held.items() if o}, "unassigned": [r for r, o in held.items() if not o],
            "approvers": {r: cfg.owners(r) for r in cfg.approvers}}
