"""Issue 10's scenarios, seeded, through the real engine on SQLite: exact notification sequences,
and the same sequence when the engine restarts in the middle (state rebuilt from the store)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios import generator as g
from tests.scenarios.generator import T0, Item
from tests.scenarios.runner import Runner

DAY6_BURST = T0 + timedelta(days=6, hours=15, minutes=7)  # a Sunday afternoon, after six days of history
WARMUP = [("opened", "blue"), ("overdue", "blue"), ("overdue", "blue"), ("resolved", "blue")]


def both(tmp_path: Path, items: list[Item], restart_at: datetime, tail: bool = True, **cfg: Any) -> Runner:
    """Play once straight through and once with a restart at ``restart_at``; they must agree exactly."""
    straight = Runner(tmp_path / "straight.db", **cfg).play(items, tail=tail)
    restarted = Runner(tmp_path / "restarted.db", **cfg).play(items, restart_at=restart_at, tail=tail)
    assert restarted.timeline() == straight.timeline()
    assert [a.id for a in restarted.alerts] == [a.id for a in straight.alerts]
    return straight


def pairs(r: Runner) -> list[tuple[str, str]]:
    return [(a.transition, a.level) for a in r.alerts]


def test_busy_brand_steady_week_opens_at_most_one_incident_per_three_days(tmp_path: Path) -> None:
    items = g.busy_week()
    assert 2300 < len(items) < 2900  # ~15 an hour, 6 to 24 by time of day
    r = both(tmp_path, items, T0 + timedelta(days=3, hours=11))
    # only the first hours, before the baseline has learnt anything, fall back to the manual's floor
    assert pairs(r) == WARMUP
    assert r.alerts[0].ts < T0 + timedelta(hours=6)
    incidents = {a.incident_id for a in r.alerts}
    assert len(incidents) <= 7 / 3


def test_same_week_under_fixed_detection_pages_all_day(tmp_path: Path) -> None:
    """The contrast that motivates baselines: the manual's floor alone opens incident after incident."""
    r = Runner(tmp_path / "fixed.db", detection="fixed").play(g.busy_week())
    assert len({a.incident_id for a in r.alerts}) >= 5


def test_tenfold_burst_on_busy_brand_is_told_within_15_minutes(tmp_path: Path) -> None:
    items = g.busy_week() + g.burst(DAY6_BURST, count=200, minutes=50)
    r = both(tmp_path, items, DAY6_BURST + timedelta(minutes=4))
    assert pairs(r) == [*WARMUP, ("opened", "blue"), ("overdue", "blue"), ("overdue", "blue"), ("resolved", "blue")]
    opened = r.alerts[4]
    assert DAY6_BURST < opened.ts <= DAY6_BURST + timedelta(minutes=15)
    ev = opened.evidence
    assert ev is not None and ev.trigger == "blue.platform_posts"
    test = ev.detail["test"]
    assert test["window_minutes"] in (10, 15) and test["basis"] == "hour of day"
    assert test["observed"] > 3 * test["expected"] and test["tail_p"] < 1e-4
    assert "expected for this hour of day" in opened.reason and "in the last" in opened.reason
    assert ev.detail["stories"][0]["posts"] >= 1 and ev.detail["voices"]["x"] == ev.observed


def test_burst_inside_an_open_incident_is_announced_as_updated(tmp_path: Path) -> None:
    news = g.scored(DAY6_BURST - timedelta(minutes=37), "n1", "Acme faces questions over kettle leaks", kind="news",
                    outlet="daily.example", source="rss", author="desk")
    items = [*g.busy_week(), news, *g.burst(DAY6_BURST, count=110, minutes=50)]
    r = both(tmp_path, items, DAY6_BURST + timedelta(minutes=3))
    assert pairs(r) == [*WARMUP, ("opened", "yellow"), ("overdue", "yellow"), ("updated", "yellow"),
                        ("overdue", "yellow"), ("repeated", "yellow"), ("resolved", "yellow")]
    upd = r.alerts[6]
    assert DAY6_BURST < upd.ts <= DAY6_BURST + timedelta(minutes=15)
    assert upd.reason.startswith("yellow: burst inside the open incident: ")
    burst = upd.evidence.detail["burst"] if upd.evidence else {}
    assert burst["platform"] == "x" and burst["observed"] >= burst["surprising_at"] > burst["expected"]


def test_quiet_brand_crossing_the_manuals_ten_opens_blue_as_today(tmp_path: Path) -> None:
    start = T0 + timedelta(days=2, hours=10)
    posts = [g.scored(start + timedelta(minutes=2 * i), f"c{i}", f"Acme kettle leaks, day ruined {i}", author=f"a{i}")
             for i in range(11)]
    r = both(tmp_path, g.quiet_history() + posts, start + timedelta(minutes=9))
    assert pairs(r) == [("opened", "blue"), ("overdue", "blue"), ("overdue", "blue"), ("resolved", "blue")]
    assert r.alerts[0].ts == start + timedelta(minutes=20)  # the eleventh voice
    assert r.alerts[0].reason.startswith("blue: 11 negative posts on x in 60 min (threshold: more than 10)")


def test_positive_launch_on_hot_lists_is_never_red(tmp_path: Path) -> None:
    start = T0 + timedelta(days=2, hours=9)
    r = both(tmp_path, g.quiet_history() + g.positive_launch(start), start + timedelta(minutes=33))
    assert r.alerts == []


def test_positive_trend_during_an_open_incident_is_a_note(tmp_path: Path) -> None:
    start = T0 + timedelta(days=2, hours=9)
    news = g.scored(start - timedelta(minutes=5), "n1", "Acme kettle recall rumours", kind="news", outlet="d.example",
                    source="rss")
    r = both(tmp_path, [*g.quiet_history(), news, *g.positive_launch(start)], start + timedelta(minutes=12))
    assert pairs(r)[:2] == [("opened", "yellow"), ("updated", "yellow")]
    assert "red" not in {lvl for _, lvl in pairs(r)}
    assert r.alerts[1].reason == ("yellow: note: the brand is trending without negative context: "
                                  "\u201cAcme 新品发布\u201d on weibo_hot (#3); not a red alert")
    notes = [a for a in r.alerts if "note:" in a.reason]
    assert len(notes) == 2  # one per trend word, not one per trend entry


def test_negative_trend_is_red(tmp_path: Path) -> None:
    r = both(tmp_path, [g.trend(T0 + timedelta(hours=1), "Acme kettle leak", negative=True)], T0 + timedelta(hours=2))
    assert pairs(r)[0] == ("opened", "red")
    assert r.alerts[0].evidence and r.alerts[0].evidence.detail["trend"]["negative_context"].startswith("its words")


def test_one_angry_author_is_not_an_incident_but_twelve_voices_are(tmp_path: Path) -> None:
    start = T0 + timedelta(days=2, hours=10)
    angry = g.burst(start, count=25, minutes=30, one_author=True, name="angry")
    assert Runner(tmp_path / "one.db").play(g.quiet_history() + angry).alerts == []
    twelve = g.burst(start, count=12, minutes=30, name="twelve")
    r = both(tmp_path, g.quiet_history() + twelve, start + timedelta(minutes=10))
    assert pairs(r) == [("opened", "blue"), ("overdue", "blue"), ("overdue", "blue"), ("resolved", "blue")]
    assert r.alerts[0].evidence and r.alerts[0].evidence.observed == 11
    # the per-author cap is configurable: three posts each from nine authors pass the floor again
    trio = [g.scored(start + timedelta(minutes=i), f"t{i}", f"Acme broke {i}", author=f"u{i % 9}") for i in range(27)]
    assert Runner(tmp_path / "cap1.db").play(g.quiet_history() + trio).alerts == []
    capped = Runner(tmp_path / "cap3.db", per_author=3).play(g.quiet_history() + trio)
    assert pairs(capped)[0] == ("opened", "blue")


def test_one_syndicated_article_is_one_story_and_one_media_pickup(tmp_path: Path) -> None:
    start = T0 + timedelta(days=2, hours=10)
    wire = g.syndicated(start, outlets=20)
    other = g.scored(start + timedelta(minutes=50), "scoop", "Former Acme engineer says shock risk was known in 2024",
                     kind="news", outlet="investigates.example", source="rss", category="safety")
    r = both(tmp_path, g.quiet_history() + wire, start + timedelta(minutes=21), tail=False)
    assert pairs(r) == [("opened", "yellow"), ("overdue", "yellow")]
    assert r.alerts[0].reason == "yellow: a news outlet picked the story up: news0.example"
    w = r.engine.windows["acme"]
    stories = w.stories.top(3)
    assert len(stories) == 1 and stories[0].articles(w.is_news) == 20 and len(stories[0].outlets(w.is_news)) == 20
    # a different story while the incident is open is told; its evidence counts every article and outlet
    r2 = both(tmp_path / "b", g.quiet_history() + wire + [other], start + timedelta(minutes=45))
    upd = [a for a in r2.alerts if a.transition == "updated"]
    assert len(upd) == 1 and upd[0].reason.startswith("yellow: new media story: investigates.example: ")
    assert upd[0].reason.endswith("(21 articles from 21 outlets in the window)")
    ev = upd[0].evidence
    assert ev is not None and ev.detail["articles"] == 21 and ev.detail["outlets"] == 21
    assert ev.detail["stories"][0]["articles"] == 20 and ev.detail["stories"][0]["outlets"] == 20


def test_one_poll_of_fifteen_articles_is_counted_whole(tmp_path: Path) -> None:
    at = T0 + timedelta(hours=9)
    poll = [g.scored(at, f"a{i}", f"Story {i}: Acme {w} under scrutiny", kind="news", outlet=f"o{i}.example",
                     source="rss") for i, w in enumerate(["kettles", "toasters", "ovens", "fridges", "irons", "fans",
                                                          "heaters", "blenders", "mixers", "grills", "lamps",
                                                          "radios", "phones", "clocks", "scales"])]
    r = both(tmp_path, poll, at + timedelta(minutes=1))
    assert r.alerts[0].evidence and r.alerts[0].evidence.observed == 15
    assert r.alerts[0].reason.endswith("(15 articles from 15 outlets)")


@pytest.mark.parametrize(("bench_move", "expected"), [(-5.6, []), (-0.3, [("opened", "red")])])
def test_stock_move_is_judged_against_the_benchmark(tmp_path: Path, bench_move: float,
                                                    expected: list[tuple[str, str]]) -> None:
    items = [g.quote(T0 + timedelta(hours=14), "SPX", bench_move),
             g.quote(T0 + timedelta(hours=14, minutes=1), "ACME", -6.2, brands=("acme",))]
    r = both(tmp_path, items, T0 + timedelta(hours=14, minutes=1), brands={"acme": {"benchmark": "SPX"}})
    assert pairs(r)[:1] == expected
    if expected:
        assert r.alerts[0].reason == ("red: ACME moved -6.2% against the previous close (-5.9% net of SPX -0.3%) "
                                      "(threshold: more than 5%)")
    # without a benchmark the same drop is red
    plain = Runner(tmp_path / "plain.db").play(items)
    assert pairs(plain)[0] == ("opened", "red")
