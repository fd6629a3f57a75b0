"""monitor.yaml: the daemon's whole configuration, typed and validated without I/O.

Loading never connects anywhere: it parses YAML, expands ``${ENV}`` secrets, validates
every section (each source and notifier against its own plugin's model), compiles the
keyword rules and loads the playbooks, and reports EVERY problem it finds with its
file and place. A bad config refuses to start; on reload the daemon keeps the last good
one.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.alerts.dispatch import DispatchConfig
from monitor.alerts.levels import EngineConfig
from monitor.alerts.notifiers.base import NOTIFIERS, NotifierConfig
from monitor.alerts.playbooks import PlaybookSet, load_playbooks
from monitor.bus.settings import BusConfig
from monitor.console.settings import ConsoleConfig
from monitor.defaults import bundled, resolve
from monitor.defaults.environment import environment_overrides
from monitor.drills.settings import DrillsConfig, drill_problems
from monitor.durations import Duration, parse_duration
from monitor.errors import ConfigError, Problem
from monitor.models import TRANSITIONS
from monitor.names import ROUTING_LEVELS
from monitor.nlp.sentiment import SentimentConfig
from monitor.plugins import PluginConfig, Registry
from monitor.replicas.settings import ReplicaConfig
from monitor.safejson import JsonLimits
from monitor.sources.base import SOURCES, SourceConfig
from monitor.tasks.settings import TasksConfig, task_problems
from monitor.timezones import ZoneName
from monitor.yamlio import Located, expand_env, load_yaml, parse_yaml, pydantic_problems

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_KEYWORDS = bundled("keywords.yaml")
BUNDLED_PLAYBOOKS = bundled("playbooks")
BUNDLED_FEED = bundled("examples/acme-48h.jsonl")


def _whole_number(value: Any) -> Any:
    """``port: yes`` is YAML for true; true is not port 1."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"must be a whole number, got {value!r} (write e.g. 8080)")
    return value


Port = Annotated[int, BeforeValidator(_whole_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Strict):
    path: Path = Field(default=Path("monitor.db"), description="SQLite file (relative to "
                      "$MONITOR_DATA_DIR when set, else to the config file)")
    retention: Duration = Field(default=timedelta(days=30), description="forget seen ids and posts older than this")
    backend: Literal["sqlite", "postgres"] = Field(default="sqlite", description="sqlite: one process on one "
                                                   "file; postgres: replicas on one database (issue 14)")
    dsn: str | None = Field(default=None, description="PostgreSQL DSN for backend postgres (${MONITOR_PG_DSN})")

    @model_validator(mode="after")
    def _dsn(self) -> StoreConfig:
        if self.backend == "postgres" and not self.dsn:
            raise ValueError("backend postgres needs dsn (e.g. dsn: ${MONITOR_PG_DSN})")
        return self


class ServerConfig(_Strict):
    enabled: bool = Field(default=True, description="false: no HTTP server (no /healthz, API or push sources)")
    host: str = Field(default="127.0.0.1", description="bind address of /healthz, /metrics and the API")
    port: Port = Field(default=8080, ge=0, le=65535, description="0 picks a free port")
    api_token: str | None = Field(default=None, description="bearer token required by the incident/relabel API; "
                                                            "none: the API is read-only (loopback only)")
    allowed_hosts: list[str] = Field(default_factory=list, description="Host names served besides loopback names "
                                     "and IP literals (e.g. monitor.example.com, .example.com; '*': any)")
    allowed_origins: list[str] = Field(default_factory=list, description="browser origins allowed to call the "
                                       "mutating API besides the same origin (e.g. https://ops.example.com)")
    max_body_bytes: int = Field(default=65_536, ge=1, description="larger API request bodies are refused with 413")
    limits: JsonLimits = Field(default_factory=JsonLimits, description="depth, string and number limits "
                                                                       "on API request bodies")
    console: ConsoleConfig = Field(default_factory=ConsoleConfig, description="the web console at / (sign-in, "
                                   "sessions, single sign-on header); docs/console.md")

    @field_validator("api_token")
    @classmethod
    def _token(cls, v: str | None) -> str | None:
        return v or None  # ${MONITOR_API_TOKEN:-} left empty means no token

    @model_validator(mode="after")
    def _secure(self) -> ServerConfig:
        problem = exposure(self.enabled, self.host, self.api_token)
        if problem:
            raise ValueError(problem)
        return self


def exposure(enabled: Any, host: Any, token: Any) -> str | None:
    """Why a server setting would open the API to the network, or None."""
    from monitor.http_api import is_loopback

    if enabled is False or token or not isinstance(host, str) or is_loopback(host):
        return None
    return (f"server.host {host!r} is not a loopback address and no server.api_token is set, so anyone who can "
            f"reach it could act on incidents; set api_token (api_token: ${{MONITOR_API_TOKEN}}) or bind "
            f"host: 127.0.0.1")


class HealthConfig(_Strict):
    check_interval: Duration = Field(default=timedelta(seconds=30), description="how often source health is judged")
    blind_spot_alerts: bool = Field(default=True, description="notify when a source goes silent or keeps failing")


class RuntimeConfig(_Strict):
    tick: Duration = Field(default=timedelta(seconds=15), description="how often timers (reminders, deadlines, "
                                                                      "all-clear) are checked in live mode")
    user_agent: str = Field(default="BrandMonitor/0.1 (+https://github.com/brand-monitor/brand-monitor)",
                            description="User-Agent sent by every collector")
    drain_timeout: Duration = Field(default=timedelta(seconds=20), description="on SIGTERM, how long to finish "
                                                                               "in-flight work and deliveries")


class Config(_Strict):
    """The root of monitor.yaml."""

    store: StoreConfig = Field(default_factory=StoreConfig)
    keywords: Path = Field(default=Path("keywords.yaml"), description="keyword rules (relative to the config file; "
                           "keywords.yaml falls back to the bundled example rules)")
    playbooks: Path = Field(default=Path("playbooks"), description="playbook directory (relative to the config file; "
                            "playbooks falls back to the bundled playbooks)")
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    dispatch: DispatchConfig = Field(default_factory=DispatchConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    replica: ReplicaConfig = Field(default_factory=ReplicaConfig)
    bus: BusConfig | None = Field(default=None, description="Redis Streams event bus; absent: in-process")
    timezone: ZoneName = Field(default="UTC", description="time zone alerts show times in (UTC is shown beside "
                               "it), e.g. Asia/Shanghai; detection always runs on UTC event time")
    brand_timezones: dict[str, ZoneName] = Field(default_factory=dict, description="a brand's own display zone, "
                                                 "by brand id, e.g. {acme-cn: Asia/Shanghai}")
    drills: DrillsConfig = Field(default_factory=DrillsConfig, description="scheduled drills (docs/scenarios.md)")
    tasks: TasksConfig = Field(default_factory=TasksConfig, description="playbook roles -> people, task reminders, "
                               "statement approvers (monitor.tasks)")


@dataclass
class Loaded:
    """A validated configuration with its compiled parts."""

    config: Config
    rules: Any  # monitor.nlp.keywords.RuleSet
    playbooks: PlaybookSet
    file: str


def _plugins(items: Any, registry: Registry[Any], section: str, doc: Located,
             problems: list[Problem]) -> list[PluginConfig]:
    """Validate each ``{kind: ...}`` item against its plugin's own Config."""
    out: list[PluginConfig] = []
    if items is None:
        return out
    if not isinstance(items, list):
        problems.append(Problem(doc.file, doc.place((section,)), f"'{section}' must be a list of {{kind: ...}} items"))
        return out
    names: dict[str, int] = {}
    routes: dict[str, int] = {}  # HTTP path -> index: push sources (webhook) share the daemon's server
    for i, item in enumerate(items):
        loc = (section, i)
        if not isinstance(item, dict) or "kind" not in item:
            problems.append(Problem(doc.file, doc.place(loc), f"each {registry.family} needs a 'kind' "
                                                              f"(one of: {', '.join(registry.kinds())})"))
            continue
        cls = registry.get(str(item["kind"]))
        if cls is None:
            problems.append(Problem(doc.file, doc.place((*loc, "kind")), f"unknown {registry.family} kind "
                                    f"{item['kind']!r} (known: {', '.join(registry.kinds())})"))
            continue
        try:
            cfg = cls.Config.model_validate(item)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, doc, loc))
            continue
        _semantics(cfg, doc, loc, problems)
        if isinstance(cfg, NotifierConfig):
            _routing(cfg, doc, loc, problems)
        name = cfg.display_name()
        if name in names:
            problems.append(Problem(doc.file, doc.place(loc), f"{registry.family} name {name!r} is used twice "
                                    f"(also {section}[{names[name]}]); give each a distinct 'name'"))
        names[name] = i
        route = getattr(cfg, "path", None)
        if isinstance(route, str):
            if route in routes:
                problems.append(Problem(doc.file, doc.place((*loc, "path")), f"path {route!r} is already served by "
                                        f"{section}[{routes[route]}]; give each push source its own path, "
                                        f"e.g. {route.rstrip('/')}-{i + 1}"))
            routes.setdefault(route, i)
        out.append(cfg)
    return out


POSITIVE_DURATIONS = frozenset({"interval", "window", "tick", "check_interval", "timeout", "tolerance",
                                 "expected_update_period", "repeat_interval", "retry_base"})
"""Duration fields where 0s would spin, divide by zero or never hold anything."""


def _semantics(model: BaseModel, doc: Located, loc: tuple[str | int, ...], problems: list[Problem]) -> None:
    """What types alone let through: 0s where time must pass, infinite or NaN numbers."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = (*loc, name)
        if isinstance(value, BaseModel):
            _semantics(value, doc, here, problems)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _semantics(item, doc, (*here, i), problems)
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(doc.file, doc.place(here), f"must be a finite number, got {value}"))
        elif isinstance(value, timedelta) and not value and name in POSITIVE_DURATIONS:
            problems.append(Problem(doc.file, doc.place(here), "must be longer than 0s (write e.g. 30s, 5m or 1h)"))


def _raw_semantics(data: Any, doc: Located, loc: tuple[str | int, ...], problems: list[Problem]) -> None:
    """The same checks on the raw document, so they are listed even where a sibling field is invalid."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, loc)]
    while stack:
        value, here = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, (*here, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*here, i)) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(doc.file, doc.place(here), f"must be a finite number, got {value}"))
        elif isinstance(value, bool) and here and here[-1] == "port":  # YAML's yes/on is not port 1
            problems.append(Problem(doc.file, doc.place(here), f"must be a whole number, got {value!r} "
                                                               f"(write e.g. 8080)"))
        elif here and here[-1] in POSITIVE_DURATIONS and value is not None:
            try:
                zero = not parse_duration(value)
            except ValueError:
                continue  # reported by the field's own validation
            if zero:
                problems.append(Problem(doc.file, doc.place(here), "must be longer than 0s (write e.g. 30s, 5m or 1h)"))


def _routing(cfg: NotifierConfig, doc: Located, loc: tuple[str | int, ...], problems: list[Problem]) -> None:
    """A misspelt level or transition would silently route nothing: name it and the closest match."""
    for field, known in (("levels", ROUTING_LEVELS), ("transitions", TRANSITIONS)):
        for i, value in enumerate(getattr(cfg, field, None) or []):
            if value not in known:
                close = difflib.get_close_matches(value, known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(Problem(doc.file, doc.place((*loc, field, i)),
                                        f"unknown {field[:-1]} {value!r}; {hint}(known: {', '.join(known)})"))


def _relative(base: Path, p: Path) -> Path:
    p = p.expanduser()
    return p if p.is_absolute() else (base / p)


def _path_field(data: dict[str, Any], key: str, default: str, base_dir: Path) -> Path | None:
    """Relative to the config file, else the bundled default (keywords.yaml, playbooks)."""
    value = data.get(key, default)
    return resolve(value, base_dir, key) if isinstance(value, str) and value else None


def _line_of(problem: Problem) -> tuple[str, int]:
    place = problem.place
    if place.startswith("line "):
        number = place[5:].split(" ", 1)[0].rstrip(",")
        if number.isdigit():
            return problem.file, int(number)
    return problem.file, 0


def validate(data: Any, doc: Located, base_dir: Path, env: dict[str, str] | None = None) -> Loaded:
    """Validate an already-parsed config document; raise ConfigError listing every problem.

    The keyword rules and playbooks are checked even when monitor.yaml itself has
    problems, so one run of ``monitor check`` shows everything there is to fix.
    """
    problems: list[Problem] = []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(doc.file, "", "the configuration must be a YAML mapping")])
    env_problems: list[Problem] = []
    data = expand_env(data, env, doc, env_problems)
    data = environment_overrides(data, os.environ if env is None else env, doc, env_problems)
    sources = _plugins(data.get("sources"), SOURCES, "sources", doc, problems)
    notifiers = _plugins(data.get("notifiers"), NOTIFIERS, "notifiers", doc, problems)
    rest = {k: v for k, v in data.items() if k not in ("sources", "notifiers")}
    config: Config | None = None
    try:
        config = Config.model_validate(rest)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, doc))
    else:
        _semantics(config, doc, (), problems)
        problems.extend(task_problems(config.tasks, {n.display_name() for n in notifiers}, doc.file, doc.place))
    _raw_semantics(data, doc, (), problems)
    server = rest.get("server")
    if isinstance(server, dict):  # also when another server field is invalid: every problem listed
        problem = exposure(server.get("enabled", True), server.get("host", "127.0.0.1"), server.get("api_token"))
        if problem:
            problems.append(Problem(doc.file, doc.place(("server",)), problem))
    problems = list(dict.fromkeys(problems))  # a check that ran on both the raw and the validated value
    # a value left empty by a missing ${VAR} is reported once, as the missing variable
    unset = {p.place for p in env_problems}
    problems = env_problems + [p for p in problems if p.place not in unset]
    keywords = _path_field(rest, "keywords", "keywords.yaml", base_dir)
    playbook_dir = _path_field(rest, "playbooks", "playbooks", base_dir)
    rules = playbooks = None
    if keywords is not None:
        from monitor.nlp.keywords import load_rules

        try:
            rules = load_rules(keywords)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if playbook_dir is not None:
        try:
            playbooks = load_playbooks(playbook_dir)
        except ConfigError as exc:
            problems.extend(exc.problems)
    for src in sources:
        path = getattr(src, "path", None)
        if isinstance(path, Path):
            src.path = resolve(path, base_dir, f"source {src.display_name()}")  # type: ignore[attr-defined]
            if not src.path.is_file():  # type: ignore[attr-defined]
                problems.append(Problem(doc.file, f"source {src.display_name()}",
                                        f"recording {src.path} not found"))  # type: ignore[attr-defined]
    if config is not None:  # scheduled drills: scenario and baseline relative to the config, checked now
        problems.extend(drill_problems(config.drills, base_dir, doc.file, doc.place(("drills",))))
    if rules is not None and isinstance(rest.get("brand_timezones"), dict):
        unknown = [b for b in rest["brand_timezones"] if b not in rules.brands]
        if unknown:
            problems.append(Problem(doc.file, doc.place(("brand_timezones",)), f"unknown brand(s) {', '.join(unknown)}"
                                    f" (brands in {keywords}: {', '.join(rules.brands)})"))
    if rules is not None:
        for n in notifiers:
            unknown = [b for b in (getattr(n, "brands", None) or []) if b not in rules.brands]
            if unknown:
                problems.append(Problem(doc.file, f"notifier {n.display_name()}",
                                        f"unknown brand(s) {', '.join(unknown)} (brands in {keywords}: "
                                        f"{', '.join(rules.brands)})"))
    if problems:
        raise ConfigError(sorted(problems, key=_line_of))
    assert config is not None and playbooks is not None and keywords is not None and playbook_dir is not None
    config = config.model_copy(update={"sources": sources, "notifiers": notifiers})
    data_dir = (os.environ if env is None else env).get("MONITOR_DATA_DIR")
    config.store.path = _relative(Path(data_dir) if data_dir else base_dir, config.store.path)
    config.keywords, config.playbooks = keywords, playbook_dir
    return Loaded(config=config, rules=rules, playbooks=playbooks, file=doc.file)


def load_config(path: str | Path, env: dict[str, str] | None = None) -> Loaded:
    """Read and validate monitor.yaml (paths inside are relative to its directory)."""
    path = Path(path)
    doc = load_yaml(path)
    return validate(doc.data, doc, path.resolve().parent, env)


def default_config(feed: Path | None = None, state_dir: Path | None = None, speed: float | None = None,
                   port: int = 0, env: dict[str, str] | None = None) -> Loaded:
    """The embedded default: SQLite, the bundled recorded feed, the offline model, alerts to the terminal."""
    state = state_dir or Path(".")
    data: dict[str, Any] = {
        "store": {"path": str(state / "monitor-demo.db")},
        "keywords": str(BUNDLED_KEYWORDS),
        "playbooks": str(BUNDLED_PLAYBOOKS),
        "sources": [{"kind": "replay", "name": "demo-feed", "path": str(feed or BUNDLED_FEED), "speed": speed}],
        "notifiers": [{"kind": "terminal", "name": "terminal"}],
        "server": {"port": port},
    }
    doc = parse_yaml("{}", "<embedded default>")
    return validate(data, doc, Path.cwd(), env)


def load_for_cli(config: str | Path | None, keywords: str | Path | None = None,
                 env: dict[str, str] | None = None) -> Loaded:
    """What a command runs on: ``--config`` (else ./monitor.yaml, else the embedded default),
    with ``--keywords`` replacing the config's rule file."""
    path = Path(config) if config else (Path("monitor.yaml") if Path("monitor.yaml").is_file() else None)
    if path is None:
        data: dict[str, Any] = {"store": {"path": "monitor.db"}, "keywords": str(BUNDLED_KEYWORDS),
                                "playbooks": str(BUNDLED_PLAYBOOKS),
                                "notifiers": [{"kind": "terminal", "name": "terminal"}]}
        doc, base = parse_yaml("{}", "<embedded default>"), Path.cwd()
    else:
        doc, base = load_yaml(path), path.resolve().parent
        data = doc.data
    if keywords is not None and isinstance(data, dict):
        data = {**data, "keywords": str(Path(keywords).resolve())}
    return validate(data, doc, base, env)
