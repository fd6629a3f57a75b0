"""The window's bookkeeping and judgement, pinned: voices, evictions at the edge, late posts, reposts and news
leaving the window, floors, the baseline test, trend context, the benchmark, and the evidence it builds."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.baseline import HOURS, Baselines, Series, hour_of, nb_sf, nb_threshold
from monitor.alerts.levels import EngineConfig, PostSignal, QuoteSignal, TrendSignal, Window, describe_thresholds
from monitor.alerts.stories import Stories, shingles
from monitor.alerts.why import evidence_lines
from monitor.models import Example

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def m(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def sig(i: int, at: datetime, *, source: str = "x", author: str | None = None, reposts: int = 0,
        kind: str = "social", outlet: str | None = None, text: str | None = None,
        rules: tuple[str, ...] = ("acme-service",)) -> PostSignal:
    ex = Example(source=source, id=f"p{i}", ts=at, text=text or f"complaint number {i} about the Acme kettle lid",
                 author=author, kind=kind, outlet=outlet, reposts=reposts, rules=rules, terms=("kettle",))
    return PostSignal(at, f"{source}:p{i}", source, kind, outlet, reposts, "service", rules, ("kettle",), ex)


def window(**cfg: object) -> Window:
    return Window(EngineConfig.model_validate({"detection": "fixed", **cfg}), brand="acme")


# -- bookkeeping -------------------------------------------------------------------------------
def test_voices_count_authors_once_and_anonymous_posts_each() -> None:
    w = window()
    assert w.add_post(sig(1, m(0), author="ann")) is True
    assert w.add_post(sig(2, m(1), author="ann")) is False
    assert w.add_post(sig(3, m(2))) is True and w.add_post(sig(4, m(3))) is True
    assert w.per_platform == {"x": 3} and w.post_counts == {"x": 4}
    w.add_post(sig(5, m(4), author="ann", source="reddit"))
    assert w.per_platform == {"x": 3, "reddit": 1}
    capped = window(per_author=2)
    for i in range(3):
        capped.add_post(sig(i, m(i), author="ann"))
    assert capped.per_platform == {"x": 2} and capped.post_counts == {"x": 3}


def test_eviction_at_the_exact_window_edge_and_counts_falling_to_one() -> None:
    w = window()
    w.add_post(sig(1, m(0), author="ann", reposts=7))
    w.add_post(sig(2, m(30), author="ann", reposts=5))
    w.add_post(sig(3, m(40), author="bob", reposts=1, kind="news", outlet="daily.example"))
    assert w.next_expiry() == m(60)
    w.evict(m(59.999))
    assert len(w.posts) == 3 and w.reposts == 13
    w.evict(m(60))  # ts + window == now: out
    assert [p.key for p in w.posts] == ["x:p2", "x:p3"]
    assert w.per_platform == {"x": 2}  # ann's second post keeps her voice
    assert w.reposts == 6 and w.news == 1 and w.news_outlets() == {"daily.example": 1}
    assert w.next_expiry() == m(90)
    w.evict(m(90))
    assert w.per_platform == {"x": 1} and w.post_counts == {"x": 1} and w.reposts == 1  # one left, still counted
    w.evict(m(100))
    assert w.per_platform == {} and w.post_counts == {} and w.reposts == 0 and w.news == 0
    assert w.news_outlets() == {} and w.empty() and w.next_expiry() is None


def test_late_posts_are_inserted_in_order_and_evicted_in_order() -> None:
    w = window()
    for i, t in enumerate([0, 20, 10, 5, 30]):
        w.add_post(sig(i, m(t), reposts=i))
    assert [p.ts for p in w.posts] == [m(0), m(5), m(10), m(20), m(30)]
    w.evict(m(66))
    assert [p.ts for p in w.posts] == [m(10), m(20), m(30)]
    assert w.reposts == 2 + 1 + 4 and w.per_platform == {"x": 3}


def test_one_outlet_twice_is_two_articles_from_one_outlet_until_one_leaves() -> None:
    w = window()
    w.add_post(sig(1, m(0), kind="news", outlet="o.example", text="Acme recalls kettles"))
    w.add_post(sig(2, m(5), kind="news", outlet="o.example", text="Acme shares fall after recall"))
    w.add_post(sig(3, m(6), kind="news", source="rss", text="Regulator opens Acme inquiry"))
    assert w.news == 3 and w.news_outlets() == {"o.example": 2, "rss": 1}
    w.evict(m(60))
    assert w.news == 2 and w.news_outlets() == {"o.example": 1, "rss": 1}
    w.evict(m(66))
    assert w.news == 0 and w.news_outlets() == {}


def test_remove_post_leaves_the_short_windows_too() -> None:
    w = Window(EngineConfig(), brand="acme", baselines=Baselines())
    for i in range(3):
        w.add_post(sig(i, m(50 + i), author=f"a{i}", reposts=2))
    assert w._tail(m(55))[timedelta(minutes=10)] == ({"x": 3}, 6)
    assert w.remove_post("x:p1")
    assert w._tail(m(55))[timedelta(minutes=10)] == ({"x": 2}, 4)
    assert w._tail(m(61))[timedelta(minutes=10)] == ({"x": 1}, 2)  # p0 at 50 left at 60
    assert w._tail(m(56))[timedelta(minutes=15)] == ({"x": 2}, 4)  # the past: scanned, not slid


def test_remove_post_by_key() -> None:
    w = window()
    w.add_post(sig(1, m(0), reposts=4, kind="news", outlet="o.example"))
    w.add_post(sig(2, m(1), reposts=3))
    assert w.remove_post("x:p1") is True and w.remove_post("x:p1") is False
    assert w.reposts == 3 and w.news == 0 and w.per_platform == {"x": 1}


def test_trends_and_quotes_leave_the_window_too() -> None:
    w = window()
    w.add_trend(TrendSignal(m(0), "t1", "weibo_hot", "Acme leak", 3, True))
    w.add_quote(QuoteSignal(m(10), "q1", "market", "ACME", 90.0, 100.0))
    assert w.next_expiry() == m(60)
    w.evict(m(60))
    assert not w.trends and len(w.quotes) == 1 and w.next_expiry() == m(70)


# -- the manual's floors (fixed detection) ------------------------------------------------------
def test_blue_floor_is_more_than_ten_voices_on_one_platform() -> None:
    w = window()
    for i in range(10):
        w.add_post(sig(i, m(i)))
    w.add_post(sig(99, m(10), source="reddit"))
    assert w.assess(m(11)) == [] and w.holding is False
    w.add_post(sig(10, m(11)))
    assert w.assess(m(11)) == [("blue", "blue.platform_posts")] and w.holding is True
    assert w.level_now() == "blue"


def test_triggers_is_a_query_and_judge_records_the_outcome() -> None:
    w = window()
    for i in range(11):
        w.add_post(sig(i, m(i)))
    assert w.triggers() == [("blue", "blue.platform_posts")] and w.level_now() == "blue"
    assert w.holding is False and w.now is None  # asking changed nothing the engine reads
    assert w.assess(m(11)) == [("blue", "blue.platform_posts")]
    assert w.holding is True and w.now == m(11)


def test_yellow_reposts_floor_and_news_pickup() -> None:
    w = window()
    w.add_post(sig(1, m(0), reposts=50))
    assert w.assess(m(1)) == []
    w.add_post(sig(2, m(1), reposts=1, source="reddit"))
    assert w.assess(m(1)) == [("yellow", "yellow.reposts")]
    w.add_post(sig(3, m(2), kind="news", outlet="daily.example"))
    assert w.assess(m(2)) == [("yellow", "yellow.reposts"), ("yellow", "yellow.news")]
    media = window(yellow={"media_outlets": ["Blog.Example"]})
    media.add_post(sig(4, m(0), outlet="blog.example"))
    assert media.assess(m(0)) == [("yellow", "yellow.news")]
    off = window(yellow={"news_pickup": False})
    off.add_post(sig(5, m(0), kind="news"))
    assert off.assess(m(0)) == []


def test_trending_is_red_only_with_negative_context() -> None:
    w = window()
    w.add_trend(TrendSignal(m(0), "t1", "weibo_hot", "Acme launch", 1, False))
    assert w.assess(m(0)) == []  # a launch: no complaint in sight
    for i in range(11):
        w.add_post(sig(i, m(i)))
    assert w.assess(m(11))[0] == ("red", "red.trending")  # complaints surprising at the time: red after all
    marked = window()
    marked.add_trend(TrendSignal(m(0), "t2", "weibo_hot", "Acme leak", 1, True))
    assert marked.assess(m(0)) == [("red", "red.trending")]
    assert window(red={"trending": False}).assess(m(0)) == []


@pytest.mark.parametrize(("price", "direction", "fires"), [
    (95.0, "any", False), (94.9, "any", True), (105.1, "any", True), (105.1, "down", False), (94.9, "up", False),
    (105.1, "up", True), (94.9, "down", True)])
def test_stock_threshold_is_strictly_more_than_the_move(price: float, direction: str, fires: bool) -> None:
    w = window(red={"stock_direction": direction})
    w.add_quote(QuoteSignal(m(0), "q", "market", "ACME", price, 100.0))
    assert (("red", "red.stock") in w.assess(m(0))) is fires


def test_stock_move_is_net_of_the_benchmark_while_its_quote_is_fresh() -> None:
    bench = {"SPX": QuoteSignal(m(0), "b", "market", "SPX", 94.0, 100.0)}
    w = Window(EngineConfig.model_validate({"detection": "fixed", "brands": {"acme": {"benchmark": "$spx"}}}),
               brand="acme", bench=bench.get)
    w.add_quote(QuoteSignal(m(1), "q", "market", "ACME", 93.5, 100.0))
    assert w.assess(m(1)) == []  # -6.5% against a -6% market: -0.5% net
    w.evict(m(60.5))  # the benchmark's quote is an hour old: the raw move counts again
    assert w.assess(m(60.5)) == [("red", "red.stock")]
    f = w.evaluate()
    assert f is not None and f.evidence.observed == -6.5 and "benchmark" not in f.evidence.detail


# -- the baseline ------------------------------------------------------------------------------
def test_negative_binomial_tail() -> None:
    assert nb_sf(0, 3.0, 8) == 1.0 and nb_sf(3, 0.0, 8) == 0.0
    assert nb_sf(1, 1.0, 1e9) == pytest.approx(1 - math.exp(-1), rel=1e-6)  # Poisson limit
    assert nb_sf(2, 1.0, 1e9) == pytest.approx(1 - 2 * math.exp(-1), rel=1e-6)
    assert nb_sf(30, 10.0, 1.0) > nb_sf(30, 10.0, 100.0)  # over-dispersion fattens the tail
    thr = nb_threshold(10.0, 8.0, 1e-4)
    assert nb_sf(thr, 10.0, 8.0) < 1e-4 <= nb_sf(thr - 1, 10.0, 8.0)
    assert nb_threshold(0.0, 8.0, 1e-4) == 1


def test_series_ring_learns_hours_and_forgets_after_four_weeks() -> None:
    h0 = hour_of(T0)
    s = Series(first=h0, last=h0)
    s.add(h0, 3)
    s.add(h0 + 2, 5)
    assert [s.counts[(h0 + i) % HOURS] for i in range(3)] == [3, 0, 5]
    s.add(h0 - 1)  # before the series began: ignored
    assert s.counts[(h0 - 1) % HOURS] == 0
    s.add(h0 + 1, 2)  # a late signal for an hour already held
    assert s.counts[(h0 + 1) % HOURS] == 2
    assert s.history_hours(h0 + 3) == 3 and s.history_hours(h0 + 1) == 1
    s.roll(h0 + HOURS + 1)
    assert s.counts[h0 % HOURS] == 0 and s.counts[(h0 + 1) % HOURS] == 0  # four weeks on: zeroed
    assert s.counts[(h0 + 2) % HOURS] == 5  # still inside the last four weeks
    back = Series.from_text(s.to_text())
    assert (back.first, back.last, list(back.counts)) == (s.first, s.last, list(s.counts))


def test_expectation_moves_from_recent_hours_to_hour_of_day_to_hour_of_week() -> None:
    h0 = hour_of(T0) - hour_of(T0) % 168  # a week boundary
    s = Series(first=h0, last=h0)
    for h in range(h0, h0 + 3 * 168):
        s.add(h, 10 if (h - h0) % 24 == 12 else 2)
    s.add(h0 + 3 * 168 - 24 + 12, 500)  # yesterday's burst does not move the median
    young = Series(first=h0, last=h0)
    for h in range(h0, h0 + 5):
        young.add(h, 4)
    assert young.expected(h0 + 5) == (4.0, "recent hours")
    day = Series(first=h0, last=h0)
    for h in range(h0, h0 + 30):
        day.add(h, 10 if (h - h0) % 24 in (11, 12, 13) else 2)
    assert day.expected(h0 + 24 + 12) == (10.0, "hour of day")
    assert s.expected(h0 + 3 * 168 + 12) == (10.0, "hour of week")
    assert s.expected(h0 + 3 * 168 + 3) == (2.0, "hour of week")


def test_baselines_wait_for_warmup_and_judge_surprise() -> None:
    b = Baselines()
    start = T0 - timedelta(hours=8)
    assert b.test("acme|x|neg", T0, 5, timedelta(hours=1), r=8, p_value=1e-4, warmup=timedelta(hours=6)) is None
    b.add("acme|*|all", start)  # the brand has been watched for eight hours
    for k in range(8):
        b.add("acme|x|neg", start + timedelta(hours=k, minutes=5), 3)
    assert b.get("acme|x|neg").first == hour_of(start)  # type: ignore[union-attr]
    calm = b.test("acme|x|neg", T0, 5, timedelta(hours=1), r=8, p_value=1e-4, warmup=timedelta(hours=6))
    assert calm is not None and not calm.surprising and calm.expected == 3.0 and calm.basis == "recent hours"
    hot = b.test("acme|x|neg", T0, 30, timedelta(minutes=10), r=8, p_value=1e-4, warmup=timedelta(hours=6))
    assert hot is not None and hot.surprising and hot.expected == pytest.approx(0.5)
    data = hot.as_data()
    assert data["observed"] == 30 and data["ratio"] == 60.0 and data["window_minutes"] == 10 and data["tail_p"] < 1e-4
    assert b.test("acme|x|neg", T0, 5, timedelta(hours=1), r=8, p_value=1e-4, warmup=timedelta(hours=9)) is None
    assert 0 < b.size_bytes("acme") <= 100_000 and b.size_bytes("zeta") == 0


def test_adaptive_window_needs_floor_and_surprise_and_says_so() -> None:
    b = _steady_baseline()
    w = Window(EngineConfig(), brand="acme", baselines=b)
    _busy_background(w)
    assert w.assess(m(56)) == []
    for i in range(16, 30):  # fourteen more in five minutes
        w.add_post(sig(i, m(56) + timedelta(seconds=20 * (i - 16)), author=f"u{i}", reposts=max(0, i - 26)))
    w.evict(m(61))
    assert w.assess(m(61)) == [("blue", "blue.platform_posts")]
    f = w.evaluate()
    assert f is not None and f.evidence.observed == 29  # the window's true count of voices after eviction
    test = f.evidence.detail["test"]
    assert test["window_minutes"] == 10 and test["observed"] >= test["surprising_at"] and test["expected"] == 2.5
    assert "in the last 10 min against 2.5 expected from recent hours" in f.reason
    assert w.next_expiry() == m(62.5)  # fired by the 10-minute window: re-judged as its oldest post leaves
    assert f.evidence.detail["detection"] == "both" and f.evidence.detail["voices"] == {"x": 29}
    # examples: most reposted first; top rules counted
    assert [e.reposts for e in f.evidence.examples] == [3, 2, 1]
    assert f.evidence.rules == {"acme-service": 29}
    lines = evidence_lines(f.evidence.detail)
    assert lines[0].startswith("Test: ") and "expected from recent hours" in lines[0]
    assert any(line.startswith("Top stories: ") for line in lines)
    # the same burst under fixed detection: the floor alone, no test
    fixed = Window(EngineConfig(detection="fixed"), brand="acme", baselines=b)
    for p in w.posts:
        fixed.add_post(p)
    ff = fixed.evaluate()
    assert ff is not None and "test" not in ff.evidence.detail and ff.reason.endswith("(threshold: more than 10)")


def test_evidence_lists_news_first_and_voices_against_posts() -> None:
    w = window(examples=2, blue={"platform_posts": 2})
    w.add_post(sig(1, m(0), author="ann", reposts=9, text="the lid of my Acme kettle snapped off"))
    w.add_post(sig(2, m(1), author="ann", reposts=2, text="Acme support hung up on me twice today"))
    w.add_post(sig(3, m(2), kind="news", outlet="a.example", reposts=2))
    w.add_post(sig(4, m(3), kind="news", outlet="b.example", text="complaint number 3 about the Acme kettle lid"))
    f = w.evaluate()
    assert f is not None and f.trigger == "yellow.news"
    assert [e.id for e in f.evidence.examples] == ["p3", "p4"]
    d = f.evidence.detail
    assert (d["articles"], d["outlets"], d["outlet_names"]) == (2, 2, ["a.example", "b.example"])
    assert f.reason == "yellow: a news outlet picked the story up: a.example (2 articles from 2 outlets)"
    assert d["voices"] == {"x": 3} and d["posts"] == {"x": 4}
    assert d["stories"][0]["articles"] == 2 and d["stories"][0]["posts"] == 2  # the copy folded into p3's story
    blue = w.evaluate("blue.platform_posts")
    assert blue is not None and blue.reason.startswith("blue: 3 negative voices (4 posts) on x")
    assert "Distinct voices by platform: x 3 (4 posts)" in evidence_lines(blue.evidence.detail)


# -- stories -----------------------------------------------------------------------------------
def test_stories_fold_copies_and_near_copies_and_forget_evicted_posts() -> None:
    st = Stories()
    base = "Acme recalls 40,000 kettles after reports of electric shocks in three countries"
    a = sig(1, m(0), text=base)
    b = sig(2, m(1), text=base + " https://t.co/x @someone")  # links and handles are noise
    c = sig(3, m(2), text="LONDON (Wire) - " + base)
    d = sig(4, m(3), text="my toaster from Acme burnt the bread again, cheap plastic")
    for p in (a, b, c, d):
        st.add(p)
    born = st.refresh()
    assert [s.id for s in born] == ["x:p1", "x:p4"]
    top = st.top(5)
    assert [s.posts for s in top] == [3, 1] and top[0].representative().key == "x:p1"
    st.remove(a)
    assert st.top(5)[0].posts == 2 and st.story_of["x:p2"].id == "x:p1"
    e = sig(5, m(4), text=base)
    st.add(e)
    assert st.refresh() == [] and st.story_of["x:p5"].posts == 3
    for p in (b, c, e, d):
        st.remove(p)
    assert st.stories == {} and st.top(3) == []
    assert shingles("Acme") == {b"acme"} and shingles("") == {b""}


def test_describe_thresholds_in_words() -> None:
    assert describe_thresholds(EngineConfig()) == [
        "blue: one platform carries more than 10 negative matching posts in 1h (voices: at most 1 per author)",
        "yellow: negative matching posts reach more than 50 reposts across platforms in 1h, or a news outlet "
        "publishes one",
        "red: the brand enters a trending list with negative context, or its stock moves more than 5% (any) against "
        "the previous close (net of its benchmark index when one is set)",
        "detection: both (adaptive: improbable at p < 0.0001 under the brand's seasonal baseline, in 1h or 10m, 15m)",
    ]
    custom = EngineConfig.model_validate({
        "window": "30m", "per_author": 2, "detection": "fixed", "blue": {"platform_posts": 4},
        "yellow": {"reposts": 9, "news_pickup": False}, "red": {"trending": False, "stock_move_pct": 2.5,
                                                                "stock_direction": "down"},
        "baseline": {"p_value": 0.001, "short_windows": []}})
    assert describe_thresholds(custom) == [
        "blue: one platform carries more than 4 negative matching posts in 30m (voices: at most 2 per author)",
        "yellow: negative matching posts reach more than 9 reposts across platforms in 30m",
        "red: its stock moves more than 2.5% (down) against the previous close (net of its benchmark index when one "
        "is set)",
        "detection: fixed (adaptive: improbable at p < 0.001 under the brand's seasonal baseline, in 30m)",
    ]


def test_empty_means_no_signal_of_any_kind() -> None:
    w = window()
    assert w.empty()
    w.add_trend(TrendSignal(m(0), "t", "weibo_hot", "Acme", 1, False))
    assert not w.empty()
    q = window()
    q.add_quote(QuoteSignal(m(0), "q", "market", "ACME", 99.0, 100.0))
    assert not q.empty()


def test_other_triggers_holding_are_listed_as_also() -> None:
    w = window()
    w.add_trend(TrendSignal(m(0), "t", "weibo_hot", "Acme leak", 1, True))
    w.add_post(sig(1, m(0), kind="news", outlet="o.example"))
    f = w.evaluate()
    assert f is not None and f.trigger == "red.trending" and f.evidence.detail["also"] == ["yellow.news"]
    f2 = w.evaluate("yellow.news")
    assert f2 is not None and f2.trigger == "yellow.news" and f2.evidence.detail["also"] == ["red.trending"]
    only = window()
    only.add_post(sig(2, m(0), kind="news"))
    f3 = only.evaluate()
    assert f3 is not None and "also" not in f3.evidence.detail


def test_short_windows_are_visited_only_when_they_can_change_a_level() -> None:
    hour_end = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    b = Baselines()
    quiet = Window(EngineConfig(), brand="acme", baselines=b)
    for i in range(10):  # at the floor, not above it: short windows cannot matter under 'both'
        quiet.add_post(sig(i, m(30 + i), author=f"a{i}"))
    quiet.assess(m(40))
    assert quiet.next_expiry() == m(90)
    quiet.add_post(sig(10, m(41), author="a10"))  # above the floor: the hour's end re-judges (no baseline yet)
    quiet.assess(m(41))
    assert quiet.next_expiry() == hour_end
    reposts = Window(EngineConfig(), brand="acme", baselines=b)
    reposts.add_post(sig(1, m(40), reposts=50))
    reposts.assess(m(40))
    assert reposts.next_expiry() == m(100)  # 50 reposts is not more than 50
    reposts.add_post(sig(2, m(41), reposts=1))
    reposts.assess(m(41))
    assert reposts.next_expiry() == hour_end
    adaptive = Window(EngineConfig(detection="adaptive"), brand="acme", baselines=b)
    adaptive.add_post(sig(1, m(40)))
    adaptive.assess(m(40))
    assert adaptive.next_expiry() == hour_end
    fixed = Window(EngineConfig(detection="fixed"), brand="acme", baselines=b)
    for i in range(12):
        fixed.add_post(sig(i, m(40 + i), author=f"a{i}"))
    fixed.assess(m(52))
    assert fixed.next_expiry() == m(100)


def test_an_author_still_in_the_window_is_not_counted_again_when_she_posts_again() -> None:
    w = window()
    for i, t in enumerate([0, 10, 20]):
        w.add_post(sig(i, m(t), author="ann"))
    w.evict(m(60))  # her first post leaves; two remain
    assert w.per_platform == {"x": 1} and w.post_counts == {"x": 2}
    assert w.add_post(sig(3, m(61), author="ann")) is False  # still one voice
    assert w.per_platform == {"x": 1} and w.post_counts == {"x": 3}
    w.evict(m(80.5))  # down to her last post: the voice stays until it leaves too
    assert w.per_platform == {"x": 1} and w.post_counts == {"x": 1}
    assert w.add_post(sig(4, m(81), author="ann")) is False and w.per_platform == {"x": 1}
    w.evict(m(121))
    assert w.per_platform == {"x": 1} and w.post_counts == {"x": 1}
    w.evict(m(141))
    assert w.per_platform == {} and w.empty()
    assert w.add_post(sig(5, m(142), author="ann")) is True  # back after leaving: a voice again


def test_a_calm_window_has_no_level() -> None:
    w = window()
    assert w.level_now() is None and w.evaluate() is None and w.assess(m(0)) == []
    w.add_post(sig(1, m(0)))
    assert w.level_now() is None and w.holding is False


def test_quotes_leave_at_the_exact_window_edge() -> None:
    w = window()
    w.add_quote(QuoteSignal(m(0), "q1", "market", "ACME", 90.0, 100.0))
    w.evict(m(59.999))
    assert len(w.quotes) == 1
    w.evict(m(60))
    assert not w.quotes and w.empty() and w.assess(m(60)) == []


def test_the_benchmark_is_read_only_when_configured_and_fresh_and_is_shown_in_the_evidence() -> None:
    asked: list[str] = []

    def bench(symbol: str) -> QuoteSignal:
        asked.append(symbol)
        return QuoteSignal(m(0), "b", "market", "SPX", 97.0, 100.0)  # the market: -3%

    plain = Window(EngineConfig.model_validate({"detection": "fixed"}), brand="acme", bench=bench)
    plain.add_quote(QuoteSignal(m(1), "q", "market", "ACME", 94.0, 100.0))
    assert plain.assess(m(1)) == [("red", "red.stock")] and asked == []  # no benchmark set: the raw -6%
    w = Window(EngineConfig.model_validate({"detection": "fixed", "brands": {"acme": {"benchmark": "$spx"}}}),
               brand="acme", bench=bench)
    w.add_quote(QuoteSignal(m(1), "q", "market", "ACME", 91.0, 100.0))  # -9% against -3%: -6% net
    assert w.assess(m(1)) == [("red", "red.stock")] and asked
    f = w.evaluate()
    assert f is not None and f.evidence.observed == -9.0
    assert f.evidence.detail["benchmark"] == {"symbol": "SPX", "change_pct": -3.0, "ts": m(0)}
    assert f.reason == ("red: ACME moved -9.0% against the previous close (-6.0% net of SPX -3.0%) "
                        "(threshold: more than 5%)")
    assert w.assess(m(60)) == [("red", "red.stock")]  # the market's quote is a window old now: stale
    f = w.evaluate()
    assert f is not None and "benchmark" not in f.evidence.detail


def test_a_short_window_burst_stops_firing_as_time_passes_without_new_posts() -> None:
    b = _steady_baseline()
    w = Window(EngineConfig(), brand="acme", baselines=b)
    _busy_background(w)
    for i in range(16, 30):  # fourteen more in five minutes: the 10-minute window fires
        w.add_post(sig(i, m(56) + timedelta(seconds=20 * (i - 16)), author=f"u{i}"))
    assert w.assess(m(61)) == [("blue", "blue.platform_posts")]
    f = w.evaluate()
    assert f is not None and f.evidence.detail["detection"] == "both"
    assert f.evidence.detail["test"] == {"observed": 15, "expected": 2.5, "ratio": 6.0, "tail_p": 1.31e-05,
                                         "surprising_at": 14, "window_minutes": 10, "basis": "recent hours",
                                         "history_hours": 9}
    per_brand = Window(EngineConfig.model_validate({"brands": {"acme": {"detection": "fixed"}}}), brand="acme",
                       baselines=b)
    for p in w.posts:
        per_brand.add_post(p)
    pf = per_brand.evaluate()  # the brand's own setting wins over the engine's
    assert pf is not None and pf.evidence.detail["detection"] == "fixed" and "test" not in pf.evidence.detail
    # nine minutes later, same hour, nothing added or evicted: the burst has left the short windows
    assert w.assess(m(70)) == [] and w.level_now() is None


def test_late_signals_land_in_time_order_and_keep_arrival_order_among_equal_times() -> None:
    w = window()
    for i, t in enumerate([10, 20, 30, 40]):
        w.add_post(sig(i, m(t)))
    w.add_post(sig(4, m(35)))  # late, between the last two
    w.add_post(sig(5, m(0)))  # late, older than everything
    w.add_post(sig(6, m(20)))  # late, at a time already there: after the one that came first
    assert [p.key for p in w.posts] == ["x:p5", "x:p0", "x:p1", "x:p6", "x:p2", "x:p4", "x:p3"]
    w.evict(m(60))
    assert [p.key for p in w.posts] == ["x:p0", "x:p1", "x:p6", "x:p2", "x:p4", "x:p3"]
    q = window()
    q.add_quote(QuoteSignal(m(10), "q1", "market", "ACME", 99.0, 100.0))
    q.add_quote(QuoteSignal(m(5), "q0", "market", "ACME", 90.0, 100.0))  # late: not the latest quote
    assert [x.key for x in q.quotes] == ["q0", "q1"] and q.assess(m(10)) == []


def test_a_reload_keeps_the_signals_in_the_short_windows_and_the_stories() -> None:
    w = Window(EngineConfig(), brand="acme", baselines=Baselines())
    for i in range(3):
        w.add_post(sig(i, m(50 + i), author=f"a{i}", reposts=2, text="Acme kettle lid melts on the stove, again"))
    w.reconfigure(EngineConfig.model_validate({"stories": {"similarity": 0.8, "num_perm": 64}}))  # a reload
    assert w._tail(m(55))[timedelta(minutes=10)] == ({"x": 3}, 6)
    assert (w.stories.threshold, w.stories.num_perm) == (0.8, 64)
    assert [s.posts for s in w.stories.top(3)] == [3]  # the three copies are still one story


# -- time passing alone: the hour's expectation and the short windows' edges -------------------------------
def _steady_baseline(per_hour: int = 15) -> Baselines:
    """Eight hours of ``per_hour`` negative posts on x before T0: 'recent hours' expects that many an hour."""
    b = Baselines()
    start = T0 - timedelta(hours=8)
    for k in range(8):
        for j in range(per_hour):
            b.add("acme|x|neg", start + timedelta(hours=k, minutes=j * 60 / per_hour))
    return b


def _busy_background(w: Window) -> None:
    for i in range(16):  # 16 voices an hour (one every 3.5 minutes from T0): busy as usual
        w.add_post(sig(i, T0 + timedelta(minutes=i * 3.5), author=f"u{i}"))


def test_a_judgement_does_not_outlive_the_hour_whose_expectation_it_used() -> None:
    # yesterday 09:00-11:00 was busy (30 an hour), 11:00-13:00 quiet (1 an hour): by hour of day (+-1 hour),
    # today's 10:00 hour expects 30 and today's 11:00 hour expects 1
    b = Baselines()
    day_before = T0 - timedelta(hours=30)  # learning since yesterday 04:00
    b.add("acme|x|neg", day_before)
    for hour, n in ((9, 30), (10, 30), (11, 1), (12, 1)):
        b.add("acme|x|neg", day_before.replace(hour=hour, minute=30), n)
    w = Window(EngineConfig(), brand="acme", baselines=b)
    for i in range(20):  # twenty voices from 10:05 to 10:58, none of them leaving the hour-long window by 11:01
        w.add_post(sig(i, m(5 + i * 2.8), author=f"u{i}"))
    w.evict(m(59))
    assert w.assess(m(59)) == []  # 20 in an hour that expects 30: usual
    assert not w._fires_short()  # the main window judged: only the hour's change can make a new visit look again
    w.evict(m(60.5))  # the clock crosses into 11:00 and nothing is added or evicted
    assert w.assess(m(60.5)) == [("blue", "blue.platform_posts")]  # the same 20 against an hour that expects 1
    f = w.evaluate()
    assert f is not None and f.evidence.detail["test"]["expected"] == 1.0
    assert f.evidence.detail["test"]["window_minutes"] == 60


def test_a_short_window_count_one_short_of_its_threshold_is_not_surprising() -> None:
    # the baseline expects 15 an hour: 2.5 in ten minutes, surprising from 14 on (13 in a nine-minute window)
    w = Window(EngineConfig(), brand="acme", baselines=_steady_baseline())
    _busy_background(w)
    for i in range(16, 28):  # twelve more between 10:56 and 10:59:40
        w.add_post(sig(i, m(56) + timedelta(seconds=20 * (i - 16)), author=f"u{i}"))
    w.evict(m(61))
    assert w._tail(m(61))[timedelta(minutes=10)][0] == {"x": 13}  # 10:52:30 and the twelve
    assert w.assess(m(61)) == []  # 28 voices pass the floor, but 13 in ten minutes is below 14 and 28 below 51
    w.add_post(sig(28, m(60), author="u28"))
    assert w.assess(m(61)) == [("blue", "blue.platform_posts")]
    f = w.evaluate()
    assert f is not None and f.evidence.detail["test"]["observed"] == 14
    assert f.evidence.detail["test"]["surprising_at"] == 14 and f.evidence.detail["test"]["window_minutes"] == 10


def test_a_firing_short_window_is_revisited_as_each_oldest_post_leaves_it_even_with_the_shorter_one_empty() -> None:
    # the baseline expects 15 an hour: surprising from 18 in fifteen minutes, 14 in ten, 51 in the hour
    w = Window(EngineConfig(), brand="acme", baselines=_steady_baseline())
    _busy_background(w)
    for k in range(20):  # twenty more, every 15 s from 10:56:15 to 11:01:00
        w.add_post(sig(16 + k, m(56.25 + 0.25 * k), author=f"b{k}"))
    w.evict(m(71))
    # 11:11: the newest post (11:01) is exactly ten minutes old, so the 10-minute window holds none;
    # the 15-minute window (10:56, 11:11] holds all twenty: it fires
    assert w._tail(m(71))[timedelta(minutes=10)][0] == {} and w._tail(m(71))[timedelta(minutes=15)][0] == {"x": 20}
    assert w.assess(m(71)) == [("blue", "blue.platform_posts")]
    f = w.evaluate()
    assert f is not None and f.evidence.detail["test"]["window_minutes"] == 15
    assert w.next_expiry() == m(71.25)  # when 10:56:15 leaves the 15-minute window (an empty one adds nothing)
    w.evict(m(71.25))
    # 11:11:15: 10:56:15 is exactly fifteen minutes old and out; nineteen left, still surprising
    assert w.assess(m(71.25)) == [("blue", "blue.platform_posts")]
    assert w.next_expiry() == m(71.5)  # the next oldest, not the one that has just left (that would be now)
    w.evict(m(71.5))
    assert w.assess(m(71.5)) == [("blue", "blue.platform_posts")]  # eighteen: the threshold itself
    w.evict(m(71.75))
    assert w.assess(m(71.75)) == []  # seventeen: calm again
    assert w.next_expiry() == m(74)  # no short window fires: the next visit is when 10:14 leaves the hour


def test_a_repost_burst_in_a_short_window_is_revisited_when_its_oldest_post_leaves_it() -> None:
    # eight hours of 60 reposts an hour (4 negative posts an hour) before 10:00: ten minutes expect 10 reposts
    b = Baselines()
    for k in range(8):
        hour = T0 - timedelta(hours=8 - k)
        b.add("acme|x|neg", hour + timedelta(minutes=30), 4)
        for j in range(6):
            b.add("acme|*|reposts", hour + timedelta(minutes=10 * j + 1), 10)
    w = Window(EngineConfig(), brand="acme", baselines=b)
    for i in range(3):  # 15 reposts over the hour: usual
        w.add_post(sig(i, m(5 + 15 * i), author=f"u{i}", reposts=5))
    for k in range(3):  # 99 reposts between 10:45 and 10:47: surprising in ten minutes, not in the hour
        w.add_post(sig(10 + k, m(45 + k), author=f"b{k}", reposts=33))
    w.evict(m(50))
    assert w.assess(m(50)) == [("yellow", "yellow.reposts")] and w.blue() is None
    f = w.evaluate()
    assert f is not None and f.evidence.detail["test"]["window_minutes"] == 10
    assert w.next_expiry() == m(55)  # 10:45's 33 reposts leave the ten minutes then, not at the hour's end
    w.evict(m(55))
    assert w.assess(m(55)) == []  # 66 reposts in ten minutes: calm again
    assert w.next_expiry() == m(60)  # nothing short fires: the next hour's expectation is the next change


def test_asking_between_a_change_and_the_next_assessment_does_not_change_that_assessment() -> None:
    # triggers() is a query: a window asked between a post's arrival and the next assessment judges later
    # moments exactly like one nobody asked
    asked, untouched = (Window(EngineConfig(), brand="acme", baselines=_steady_baseline()) for _ in range(2))
    for w in (asked, untouched):
        for i in range(14):  # fourteen voices between 10:30 and 10:34:20: surprising in ten minutes (from 14)
            w.add_post(sig(i, m(30) + timedelta(seconds=20 * i), author=f"u{i}"))
        w.evict(m(35))
    assert asked.triggers() == [("blue", "blue.platform_posts")]  # fired by the 10-minute window
    for w in (asked, untouched):
        w.evict(m(45))  # the same hour, nothing leaves the hour-long window; the ten minutes are empty now
        assert w.assess(m(45)) == []  # and 14 is below 18 in fifteen minutes and 51 in the hour


def test_a_one_minute_short_window_is_judged_against_one_minute_of_expectation() -> None:
    # 15 an hour expected: 0.25 in a minute, surprising from 5 (from 6 in two minutes)
    w = Window(EngineConfig.model_validate({"baseline": {"short_windows": ["1m"]}}), brand="acme",
               baselines=_steady_baseline())
    for i in range(8):  # eight voices spread over the first half hour
        w.add_post(sig(i, m(5 * i), author=f"u{i}"))
    for k in range(5):  # five more within 40 seconds
        w.add_post(sig(8 + k, m(50) + timedelta(seconds=10 * k), author=f"b{k}"))
    w.evict(m(50.75))
    assert w.assess(m(50.75)) == [("blue", "blue.platform_posts")]  # 13 voices pass the floor, 5 in a minute
    f = w.evaluate()
    assert f is not None and f.evidence.detail["test"]["window_minutes"] == 1
    assert f.evidence.detail["test"]["surprising_at"] == 5


def test_a_reload_that_leaves_the_story_settings_alone_keeps_each_storys_id() -> None:
    # a story is known by its first post's key (a silence can name it), also after that post has left
    w = window(blue={"platform_posts": 2})
    for i in range(3):
        w.add_post(sig(i, m(10 * i), author=f"a{i}", text="Acme kettle lid melts on the stove, again"))
    assert [(s.id, s.posts) for s in w.stories.top(3)] == [("x:p0", 3)]
    w.evict(m(60))  # the first post leaves; its story goes on under its name
    assert [(s.id, s.posts) for s in w.stories.top(3)] == [("x:p0", 2)]
    w.reconfigure(EngineConfig.model_validate({"detection": "fixed", "blue": {"platform_posts": 1}}))
    assert [(s.id, s.posts) for s in w.stories.top(3)] == [("x:p0", 2)]
    f = w.evaluate()
    assert f is not None and [s["id"] for s in f.evidence.detail["stories"]] == ["x:p0"]
