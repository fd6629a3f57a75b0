"""`monitor incidents ...`: the lifecycle by hand, through the engine, from another process's view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerts.dispatch import Outbox
from monitor.alerts.engine import Engine
from monitor.cli import main
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.models import Post, RuleMatch, ScoredPost, Sentiment
from monitor.store import Store
from tests.support import write_config

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def open_incident(tmp_path: Path, monkeypatch) -> tuple[Path, str, list[str]]:
    """A daemon's store with an open blue incident, 11 negative posts from a few minutes ago.

    Fixed dates: the command reads its clock at the edge (``SystemClock`` in monitor.cli.incidents), here
    replaced by a clock standing at NOW, so nothing depends on the real date.
    """
    monkeypatch.setattr("monitor.cli.incidents.SystemClock", lambda: VirtualClock(NOW))
    cfg = write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        notifiers:
          - {kind: webhook, name: hook, url: "http://127.0.0.1:9/hook"}
        """)
    loaded = load_config(cfg)
    store = Store(loaded.config.store.path)
    engine = Engine(loaded.config.engine, loaded.playbooks, store, Outbox(store, []).enqueue, {"acme": "Acme"})
    engine.load()
    start = NOW - timedelta(minutes=15)
    keys = []
    with engine.batch():
        for i in range(11):
            post = Post(ts=start + timedelta(minutes=i), source="reddit", id=f"p{i}", text=f"Acme broken {i}")
            sp = ScoredPost(post, [RuleMatch("acme-any", "acme", "general", ("Acme",))],
                            Sentiment("negative", 0.9, "m"))
            store.save_post(post.key, post.ts, "reddit", ["acme"], "negative", 0.9, "m",
                            {"type": "post", "ts": post.ts.isoformat(), "source": "reddit", "id": post.id,
                             "text": post.text}, [{"rule_id": "acme-any", "brand": "acme", "category": "general"}])
            engine.advance(post.ts)
            engine.on_post(sp)
            keys.append(post.key)
    (inc,) = store.open_incidents().values()
    store.close()
    return cfg, inc.id, keys


def test_list_ack_and_resolve(open_incident, capsys) -> None:
    cfg, inc_id, _ = open_incident
    assert main(["incidents", "list", "--config", str(cfg), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == inc_id and row["status"] == "open" and row["level"] == "blue"
    assert main(["incidents", "ack", inc_id, "--by", "dana", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"{inc_id} acknowledged by dana" in out
    assert "1 notification(s) queued; the daemon delivers them" in out
    assert main(["incidents", "ack", inc_id, "--by", "sam", "--config", str(cfg)]) == 1
    assert f"incident {inc_id} was already acknowledged by dana" in capsys.readouterr().err
    assert main(["incidents", "resolve", inc_id, "--by", "dana", "--config", str(cfg)]) == 0
    store = Store(cfg.parent / "state.db")
    transitions = [n["transition"] for n in store.notifications()]
    assert transitions[-2:] == ["acknowledged", "resolved"]
    assert store.deliveries_for(store.notifications()[-1]["id"])[0]["status"] == "pending"  # for the daemon


def test_relabel_reevaluates_the_open_incident(open_incident, capsys) -> None:
    cfg, _, keys = open_incident
    assert main(["incidents", "relabel", keys[0], "neutral", "--by", "analyst", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"key": keys[0], "label": "neutral", "reevaluated": ["acme"]}
    store = Store(cfg.parent / "state.db")
    assert store.get_post(keys[0])["human_label"] == "neutral"
    assert store.generation() == 1  # the daemon reloads its windows
    assert main(["incidents", "relabel", "reddit:nope", "neutral", "--config", str(cfg)]) == 1
    assert "no stored post 'reddit:nope'" in capsys.readouterr().err
