"""Trending-list parsers on documented response shapes (no I/O)."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.errors import SourceError
from monitor.sources.trendlists import baidu_hot, google_trends, weibo_hot
from tests.sources.conftest import FIXTURES, fixture_json


def raw(name: str) -> bytes:
    return (FIXTURES / "trends" / name).read_bytes()


def test_google_keeps_every_news_item_of_an_item() -> None:
    skipped: Counter[str] = Counter()
    entries = google_trends(raw("google_trends.xml"), "google_trends", skipped)
    assert [(e.word, e.rank) for e in entries] == [("acme recall", 1), ("super bowl halftime", 2),
                                                    ("weather tomorrow", 3)]
    assert skipped == Counter({"trend item without title": 1})
    first = entries[0].extra
    assert first["traffic"] == "200,000+" and first["started"] == "2026-03-01T06:10:00Z"
    assert [n["source"] for n in first["news"]] == ["Reuters", "The Verge"]  # both, not just the last
    assert first["news"][1]["title"] == "What K5 owners should do & how to get a refund"


def test_google_old_namespace_and_markup_in_titles() -> None:
    entries = google_trends(raw("google_trends_old.xml"), "google_trends", Counter())
    assert [e.word for e in entries] == ["Acme"]
    assert entries[0].extra["news"][0]["title"] == "Acme K5 recall widens to UK"


def test_google_errors() -> None:
    with pytest.raises(SourceError) as exc:
        google_trends(b"<rss><channel><item><title>x</title></channel></rss>", "google_trends", Counter())
    assert str(exc.value) == "google_trends: Google Trends feed is not well-formed XML (line 1, column 39)"
    with pytest.raises(SourceError) as exc:
        google_trends(b"<!DOCTYPE html><html><body>Before you continue to Google</body></html>", "g", Counter())
    assert exc.value.retryable and "HTML page instead of the RSS feed" in str(exc.value)
    with pytest.raises(SourceError) as exc:
        google_trends(b"<feed><entry/></feed>", "google_trends", Counter())
    assert str(exc.value) == "google_trends: response shape changed: expected rss.channel to be an element, got null"


def test_weibo_ranks_and_leaves_ads_out() -> None:
    skipped: Counter[str] = Counter()
    entries = weibo_hot(fixture_json("trends", "weibo.json"), "weibo_hot", skipped)
    assert [(e.word, e.rank) for e in entries] == [("Acme耳机电池鼓包", 1), ("春节档票房", 2), ("天气预报", 5)]
    assert skipped == Counter({"hot-search item without word": 1})
    assert entries[0].extra["heat"] == 1893456 and entries[0].extra["label"] == "沸"
    assert entries[0].extra["url"] == "https://s.weibo.com/weibo?q=%23Acme%E8%80%B3%E6%9C%BA%E7%94%B5%E6%B1%A0%E9%BC%93%E5%8C%85%23"


def test_weibo_errors() -> None:
    with pytest.raises(SourceError) as exc:
        weibo_hot(fixture_json("trends", "weibo_changed.json"), "weibo_hot", Counter())
    assert str(exc.value) == ("weibo_hot: response shape changed: expected data.realtime to be a list, "
                              "got missing (no field 'realtime' in data)")
    with pytest.raises(SourceError) as exc:
        weibo_hot(fixture_json("trends", "weibo_refused.json"), "weibo_hot", Counter())
    assert str(exc.value) == "weibo_hot: Weibo refused the hot-search request: 请先登录" and exc.value.retryable


@pytest.mark.parametrize("name", ["baidu_nested.json", "baidu_flat.json"])
def test_baidu_both_shapes(name: str) -> None:
    entries = baidu_hot(fixture_json("trends", name), "baidu_hot", Counter())
    assert entries[0].word == "Acme耳机召回" and entries[0].rank == 1
    assert entries[0].extra["heat"] == 4955963
    assert entries[-1].word == "春分"
    assert all(e.word not in ("置顶推广", "置顶新闻") for e in entries)  # pinned promotions are not ranks


def test_baidu_nested_details() -> None:
    skipped: Counter[str] = Counter()
    entries = baidu_hot(fixture_json("trends", "baidu_nested.json"), "baidu_hot", skipped)
    assert [(e.word, e.rank) for e in entries] == [("Acme耳机召回", 1), ("中星19号卫星成功发射", 2), ("春分", 3)]
    assert skipped == Counter({"hot-list item without word": 1})
    assert entries[0].extra["description"] == "Acme宣布召回K5耳机 & 全额退款"


def test_baidu_changed_shape() -> None:
    with pytest.raises(SourceError) as exc:
        baidu_hot(fixture_json("trends", "baidu_changed.json"), "baidu_hot", Counter())
    assert str(exc.value) == "baidu_hot: response shape changed: expected data.cards[0].content to be a list, got dict"
