"""Every HTTP-polling source kind against the same faults, from one table.

A local channel on 127.0.0.1 answers 429 with Retry-After, 500, malformed JSON/XML, a changed shape
and no answer in time. For each kind: a transient fault is retried and the poll recovers (Retry-After
honoured, on the source's clock); a lasting one fails the poll with a SourceError naming the source,
the source turns unhealthy, and the next good answer makes it healthy again; a Retry-After beyond
``max_wait`` fails the poll with ``retry_after`` for the scheduler; malformed items are skipped and
counted. The kind-specific parsing stays in each source's own test file.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from monitor.errors import SourceError
from monitor.health import HealthTracker
from monitor.sources.base import SOURCES
from monitor.sources.http import HttpSource
from tests.sources.conftest import (
    NOW,
    FakeChannel,
    FakeClock,
    clocked_source,
    fixture_json,
    fixture_text,
    json_reply,
    text_reply,
)

Make = Callable[[], web.StreamResponse | Callable[[web.Request], Any]]


def js(kind: str, name: str) -> Make:
    return lambda: json_reply(fixture_json(kind, name))


def xml(kind: str, name: str, content_type: str = "application/rss+xml") -> Make:
    return lambda: text_reply(fixture_text(kind, name), content_type=content_type)


def paged(kind: str, param: str, pages: dict[str, str], default: str) -> Make:
    def handler(request: web.Request) -> web.Response:
        return json_reply(fixture_json(kind, pages.get(request.query.get(param, ""), default)))

    return lambda: handler


def jwt(name: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    exp = int((NOW + timedelta(hours=2)).timestamp())
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part({'sub': name, 'exp': exp})}.sig"


def bluesky_session() -> web.Response:
    return json_reply({"did": "did:plc:monitor", "handle": "acme-monitor.bsky.social", "accessJwt": jwt("a1"),
                       "refreshJwt": jwt("r1"), "active": True})


BROKEN_JSON = lambda: text_reply('{"data": [{"id": 1,', content_type="application/json")  # noqa: E731
# bytes no parser can read (a bozo feed that still yields entries is used, with the problem counted: see the
# ``skipping`` answers of the feed kinds; a feed cut off before its first entry is an empty, counted poll)
BROKEN_XML = lambda: web.Response(body=bytes(range(256)) * 8, content_type="application/rss+xml")  # noqa: E731
BOZO = xml("rss", "bozo.xml")
NOT_A_FEED = xml("rss", "not_a_feed.html", "text/html")


@dataclass(frozen=True)
class Case:
    """One kind: its settings, the request the faults hit, and answers to it."""

    kind: str
    settings: dict[str, Any]
    path: str
    good: Make  # a valid answer (at least one event)
    shape: Make  # a valid document of the wrong shape
    broken: Make = BROKEN_JSON  # not even the document format
    skipping: Make | None = None  # a valid answer with a malformed item in it
    routes: dict[tuple[str, str], Make] = field(default_factory=dict)  # what else the kind asks for
    full_url: bool = False  # settings name the whole URL (feeds) instead of a base_url

    def __str__(self) -> str:
        return self.kind


APP = "1234567890"


def appstore(page: int) -> str:
    return f"/cn/rss/customerreviews/page={page}/id={APP}/sortby=mostrecent/json"


CASES = [
    Case("appstore", {"apps": [APP], "countries": ["cn"]}, appstore(1), js("appstore", "cn_page1.json"),
         js("appstore", "changed_shape.json"), routes={("GET", appstore(2)): js("appstore", "empty.json")}),
    Case("bluesky", {"identifier": "acme-monitor.bsky.social", "app_password": "abcd-efgh-ijkl-mnop", "query": "acme"},
         "/xrpc/app.bsky.feed.searchPosts", js("bluesky", "search_later.json"),
         lambda: json_reply({"cursor": "1", "feed": []}),
         skipping=paged("bluesky", "cursor", {"25": "search_page2.json"}, "search_page1.json"),
         routes={("POST", "/xrpc/com.atproto.server.createSession"): bluesky_session}),
    Case("gdelt", {"query": '"acme" (earbuds OR K5)'}, "/api/v2/doc/doc", js("gdelt", "artlist_next.json"),
         js("gdelt", "changed_shape.json"), skipping=js("gdelt", "artlist.json")),
    Case("github", {"query": '"acme sdk" OR acme-cli', "per_page": 2}, "/search/issues",
         js("github", "search_next.json"), js("github", "changed_shape.json"),
         skipping=paged("github", "page", {"1": "search_page1.json"}, "search_page2.json")),
    Case("google_news", {"query": '"Acme" battery', "when": "1d"}, "/rss/search", xml("google_news", "search.xml"),
         NOT_A_FEED, BROKEN_XML, skipping=BOZO),
    Case("hackernews", {"query": "acme", "page_size": 2}, "/api/v1/search_by_date", js("hackernews", "later.json"),
         lambda: json_reply({"results": [], "nbPages": 0}),
         skipping=paged("hackernews", "page", {"1": "page1.json"}, "page0.json")),
    Case("market", {"symbols": ["acme"]}, "/v8/finance/chart/ACME", js("market", "chart_acme.json"),
         js("market", "changed_shape.json")),
    Case("mastodon", {"hashtags": ["#acme"]}, "/api/v1/timelines/tag/acme", js("mastodon", "tag_first.json"),
         lambda: json_reply({"statuses": []}), skipping=js("mastodon", "tag_first.json")),
    Case("reddit", {"query": "acme"}, "/search.json", js("reddit", "search_later.json"),
         lambda: json_reply({"kind": "Listing", "data": {"children": {"t3_x": {}}}}),
         skipping=js("reddit", "search_page1.json")),
    Case("rss", {"url": "/feed.xml"}, "/feed.xml", xml("rss", "feed1.xml"), NOT_A_FEED, BROKEN_XML, skipping=BOZO,
         full_url=True),
    Case("stackexchange", {"query": "acme sdk"}, "/2.3/search/advanced", js("stackexchange", "search_page2.json"),
         js("stackexchange", "changed_shape.json")),
    Case("trends", {"provider": "weibo"}, "/ajax/side/hotSearch", js("trends", "weibo.json"),
         js("trends", "weibo_changed.json")),
    Case("x", {"bearer_token": "AAAA-test-token", "query": "(acme OR #acme) -is:retweet"}, "/2/tweets/search/recent",
         js("x", "next.json"), js("x", "changed_shape.json")),
    Case("youtube", {"channel_id": "UCacme00000000000000000"}, "/feeds/videos.xml",
         xml("youtube", "videos.xml", "application/atom+xml"), NOT_A_FEED, BROKEN_XML, skipping=BOZO),
]
BY_KIND = {c.kind: c for c in CASES}

FEED = "{url} is not an RSS, Atom or JSON feed (text/html): Before you continue We use cookies & data to deliver " \
       "our services.; check the feed URL"
SHAPE = "response shape changed: expected "
# what a changed shape says, exactly: the field that moved, so the fix is obvious from the log
SHAPE_MESSAGES = {
    "appstore": SHAPE + "feed.entry to be a list, got str",
    "bluesky": SHAPE + "posts to be a list, got missing (no field 'posts' in the response)",
    "gdelt": SHAPE + "articles to be a list, got missing (no field 'articles' in the response)",
    "github": SHAPE + "items to be a list, got dict",
    "google_news": FEED.format(url="{url}/rss/search?q=%22Acme%22+battery+when:1d&hl=en-US&gl=US&ceid=US:en"),
    "hackernews": SHAPE + "hits to be a list, got missing (no field 'hits' in the response)",
    "market": SHAPE + "chart.result[0].meta.regularMarketPrice to be a positive number, got null",
    "mastodon": SHAPE + "the response to be a list, got dict",
    "reddit": SHAPE + "data.children to be a list, got dict",
    "rss": FEED.format(url="{url}/feed.xml"),
    "stackexchange": SHAPE + "items to be a list, got missing (no field 'items' in the response)",
    "trends": SHAPE + "data.realtime to be a list, got missing (no field 'realtime' in data)",
    "x": SHAPE + "meta to be an object (dict), got missing (no field 'meta' in the response)",
    "youtube": FEED.format(url="{url}/feeds/videos.xml?channel_id=UCacme00000000000000000"),
}

FAULT_SETTINGS = {"max_retries": 1, "failure_threshold": 1, "timeout": 0.3}


def source_for(case: Case, channel: FakeChannel, session: aiohttp.ClientSession, **extra: Any) -> tuple[Any, FakeClock]:
    for (method, path), make in case.routes.items():
        channel.script(path, make(), method=method)
    settings = {**case.settings, **extra}
    cls = SOURCES.get(case.kind)
    if case.full_url:
        settings["url"] = channel.url + settings["url"]
        return _clocked_without_base(cls, channel, session, settings)
    return clocked_source(cls, channel, session, **settings)


def _clocked_without_base(cls: type, channel: FakeChannel, session: aiohttp.ClientSession,
                          settings: dict[str, Any]) -> tuple[Any, FakeClock]:
    from tests.sources.conftest import context, make_source

    clock = FakeClock(NOW)
    return make_source(cls, context(clock, session, clock.sleep), **settings), clock


def tracker(source: Any) -> HealthTracker:
    health = HealthTracker()
    cfg = source.config
    health.register(source.name, source.kind, cfg.silence_limit(), cfg.failure_threshold, NOW)
    return health


async def poll(source: Any, health: HealthTracker) -> Any:
    """One scheduled poll as the service records it."""
    try:
        batch = await source.poll(None)
    except SourceError as exc:
        health.failure(source.name, str(exc), NOW)
        raise
    health.success(source.name, len(batch.events), batch.skipped, NOW)
    return batch


def slow(seconds: float) -> Make:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(seconds)
        return text_reply("too late")

    return lambda: handler


FAULTS: dict[str, Callable[[Case], Make]] = {
    "500": lambda c: lambda: text_reply("<html><body>Internal Server Error</body></html>", 500, "text/html"),
    "malformed": lambda c: c.broken,
    "changed shape": lambda c: c.shape,
    "timeout": lambda c: slow(1.0),
}


def test_the_table_covers_every_polled_http_kind() -> None:
    polled = {k for k, cls in SOURCES.items() if issubclass(cls, HttpSource) and not cls.streaming}
    assert set(BY_KIND) == polled == set(SHAPE_MESSAGES)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_429_with_retry_after_is_honoured_then_the_poll_goes_through(case: Case, channel: FakeChannel,
                                                                          session: aiohttp.ClientSession) -> None:
    channel.script(case.path, text_reply("Too Many Requests", 429, headers={"Retry-After": "7"}), case.good())
    source, clock = source_for(case, channel, session)
    batch = await source.poll(None)
    assert batch.events, "the answer after the 429 was used"
    assert len(channel.requests(case.path)) == 2
    assert clock.t - NOW >= timedelta(seconds=6.5), clock.sleeps  # waited as asked, on the source's clock


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_5xx_is_retried_and_the_poll_goes_through(case: Case, channel: FakeChannel,
                                                          session: aiohttp.ClientSession) -> None:
    channel.script(case.path, text_reply("bad gateway", 502), case.good())
    source, _ = source_for(case, channel, session)
    assert (await source.poll(None)).events
    assert len(channel.requests(case.path)) == 2


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_lasting_fault_fails_the_poll_then_the_source_recovers(case: Case, fault: str, channel: FakeChannel,
                                                                       session: aiohttp.ClientSession) -> None:
    channel.script(case.path, FAULTS[fault](case)())
    source, _ = source_for(case, channel, session, **FAULT_SETTINGS)
    health = tracker(source)
    with pytest.raises(SourceError) as exc:
        await poll(source, health)
    assert str(exc.value).startswith(f"{source.name}: ")  # the message names the source
    if fault in ("500", "timeout"):
        assert exc.value.retryable
    if fault == "changed shape":  # a code change is needed, not a retry
        assert str(exc.value) == f"{source.name}: " + SHAPE_MESSAGES[case.kind].format(url=channel.url)
        assert not exc.value.retryable
    assert not health.healthy(NOW)
    assert health.snapshot(NOW)[source.name]["consecutive_failures"] == 1
    channel.script(case.path, case.good())
    batch = await poll(source, health)
    assert batch.events and health.healthy(NOW)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_retry_after_beyond_max_wait_fails_the_poll_with_the_wait(case: Case, channel: FakeChannel,
                                                                          session: aiohttp.ClientSession) -> None:
    channel.script(case.path, text_reply("Too Many Requests", 429, headers={"Retry-After": "900"}))
    source, clock = source_for(case, channel, session, max_wait="60s")
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert exc.value.retryable and exc.value.retry_after == 900.0  # the scheduler's next run waits for it
    assert len(channel.requests(case.path)) == 1 and not any(w >= 60 for w in clock.sleeps)


@pytest.mark.parametrize("case", [c for c in CASES if c.skipping is not None], ids=str)
async def test_a_malformed_item_is_skipped_and_counted(case: Case, channel: FakeChannel,
                                                       session: aiohttp.ClientSession) -> None:
    assert case.skipping is not None
    channel.script(case.path, case.skipping())
    source, _ = source_for(case, channel, session)
    health = tracker(source)
    batch = await poll(source, health)
    assert batch.events and sum(batch.skipped.values()) >= 1
    assert health.snapshot(NOW)[source.name]["skipped"] == dict(batch.skipped)
    assert health.healthy(NOW)  # a bad item never fails the source
