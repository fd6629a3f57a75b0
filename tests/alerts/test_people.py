"""People's actions on the engine (alerts/people.py): a relabel corrects what the brand's baseline learnt."""

from __future__ import annotations

from pathlib import Path

from monitor.alerts.baseline import hour_of
from monitor.models import ScoredPost
from tests.alerts.test_engine import Harness, minutes, sp


def _store(h: Harness, *items: ScoredPost) -> None:
    for item in items:  # relabel needs the stored post
        p = item.post
        h.store.save_post(p.key, p.ts, p.source, ["acme"], item.sentiment.label, item.sentiment.score, "m",
                          {"type": "post", "ts": p.ts.isoformat().replace("+00:00", "Z"), "source": p.source,
                           "id": p.id, "text": p.text, "reposts": p.reposts},
                          [{"rule_id": "r", "brand": "acme", "category": "quality"}])


def _count(h: Harness, key: str) -> int:
    s = h.engine.baselines.get(key)
    assert s is not None
    return int(s.counts[hour_of(minutes(0)) % len(s.counts)])


def test_relabel_not_negative_takes_the_post_back_from_the_negative_baseline(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    items = [sp(i, minutes(i), reposts=4) for i in range(3)]
    _store(h, *items)
    h.post(*items)
    assert _count(h, "acme|reddit|neg") == 3 and _count(h, "acme|*|reposts") == 12
    with h.engine.batch():
        h.engine.relabel(items[1].post.key, "neutral", "analyst", minutes(5))
    assert _count(h, "acme|reddit|neg") == 2 and _count(h, "acme|*|reposts") == 8
    assert _count(h, "acme|*|all") == 3  # it is still a post about the brand
    # persisted: a restarted engine reads the corrected series back
    h.engine = h.new_engine()
    assert _count(h, "acme|reddit|neg") == 2 and _count(h, "acme|*|reposts") == 8
    # relabelled twice the same way: taken back once only
    with h.engine.batch():
        h.engine.relabel(items[1].post.key, "positive", "analyst", minutes(6))
    assert _count(h, "acme|reddit|neg") == 2
    # and back to negative: learnt once again, the volume series untouched
    with h.engine.batch():
        h.engine.relabel(items[1].post.key, "negative", "analyst", minutes(7))
    assert _count(h, "acme|reddit|neg") == 3 and _count(h, "acme|*|reposts") == 12 and _count(h, "acme|*|all") == 3


def test_relabel_of_a_negative_post_as_negative_changes_no_count(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    items = [sp(i, minutes(i), reposts=1) for i in range(2)]
    _store(h, *items)
    h.post(*items)
    with h.engine.batch():
        h.engine.relabel(items[0].post.key, "negative", "analyst", minutes(3))
    assert _count(h, "acme|reddit|neg") == 2 and _count(h, "acme|*|reposts") == 2 and _count(h, "acme|*|all") == 2


def test_relabel_negative_of_a_post_the_model_called_positive_is_learnt(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    neg = sp(1, minutes(1))
    pos = sp(2, minutes(2), label="positive", reposts=3)
    _store(h, neg, pos)
    h.post(neg, pos)
    assert _count(h, "acme|reddit|neg") == 1 and h.engine.baselines.get("acme|*|reposts") is None
    with h.engine.batch():
        h.engine.relabel(pos.post.key, "negative", "analyst", minutes(4))
    assert _count(h, "acme|reddit|neg") == 2 and _count(h, "acme|*|reposts") == 3 and _count(h, "acme|*|all") == 2


def test_a_second_post_by_the_same_author_was_no_voice_and_is_not_taken_back(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    a, b = sp(1, minutes(1)), sp(2, minutes(2))
    a.post.author = b.post.author = "same"
    _store(h, a, b)
    h.post(a, b)
    assert _count(h, "acme|reddit|neg") == 1  # one voice (per_author 1)
    with h.engine.batch():
        h.engine.relabel(b.post.key, "neutral", "analyst", minutes(3))
    assert _count(h, "acme|reddit|neg") == 1
    with h.engine.batch():
        h.engine.relabel(a.post.key, "neutral", "analyst", minutes(4))
    assert _count(h, "acme|reddit|neg") == 0
