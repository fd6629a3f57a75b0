"""GitHub issues-search collector against a local fake of /search/issues."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.github import GitHubConfig, GitHubSource
from tests.sources.conftest import NOW, FakeChannel, FakeClock, clocked_source, fixture_json, json_reply, text_reply

SEARCH = "/search/issues"


def fx(name: str) -> dict:
    return fixture_json("github", name)


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[GitHubSource, FakeClock]:
    return clocked_source(GitHubSource, channel, session, per_page=2, **{"query": '"acme sdk" OR acme-cli', **cfg})


def by_page(request: web.Request) -> web.Response:
    return json_reply(fx("search_page1.json") if request.query["page"] == "1" else fx("search_page2.json"))


async def test_pages_and_maps_issues(channel, session) -> None:
    channel.script(SEARCH, by_page)
    source, clock = make(channel, session, repos=["acme/acme-sdk", "acme/acme-cli"], include_pull_requests=True)
    batch = await source.poll(None)
    assert [e.id for e in batch.events] == ["3011000412", "3011000077", "3011000413"]
    assert dict(batch.skipped) == {"issue without a readable created_at": 1}
    sent = channel.requests(SEARCH)
    assert [r.query["page"] for r in sent] == ["1", "2"]
    assert sent[0].query["q"] == ('"acme sdk" OR acme-cli repo:acme/acme-sdk repo:acme/acme-cli '
                                  'created:>=2026-02-28T08:00:00Z')
    assert (sent[0].query["sort"], sent[0].query["order"], sent[0].query["per_page"]) == ("created", "asc", "2")
    assert sent[0].headers["Accept"] == "application/vnd.github+json"
    assert "Authorization" not in sent[0].headers
    assert clock.sleeps == [6.0]  # unauthenticated search: 10 requests a minute
    issue = batch.events[0]
    assert issue.title == "Battery drain since 2.3 <Android>"
    assert issue.text.startswith("Since **2.3** the phone gets hot & the battery drops 20%/h.")
    assert "<details>" not in issue.text and "wakelock held" in issue.text
    assert (issue.author, issue.url) == ("kim-dev", "https://github.com/acme/acme-sdk/issues/412")
    assert (issue.kind, issue.replies, issue.likes) == ("forum", 14, 27)
    assert issue.ts == datetime(2026, 3, 1, 7, 10, tzinfo=UTC)
    assert issue.extra["repo"] == "acme/acme-sdk" and issue.extra["labels"] == ["bug"]
    assert batch.events[1].text == "acme-cli login hangs"  # no body: the title stands in
    assert batch.events[2].extra["pull_request"] is True
    assert batch.cursor == {"since": "2026-03-01T07:30:00Z", "ids": {"3011000413": 1772350200.0}}


async def test_second_poll_emits_only_new(channel, session) -> None:
    channel.script(SEARCH, by_page, by_page, json_reply(fx("search_next.json")))
    source, _ = make(channel, session)
    first = await source.poll(None)
    second = await source.poll(first.cursor)
    assert [e.id for e in second.events] == ["3011000415"]
    assert channel.requests(SEARCH)[-1].query["q"].endswith("is:issue created:>=2026-03-01T07:30:00Z")


async def test_token_is_sent_and_raises_the_rate(channel, session) -> None:
    channel.script(SEARCH, by_page)
    source, clock = make(channel, session, token="ghp_0123456789")
    await source.poll(None)
    assert channel.requests(SEARCH)[0].headers["Authorization"] == "Bearer ghp_0123456789"
    assert clock.sleeps == [2.0]  # 30 a minute with a token


async def test_spent_rate_limit_403_is_retryable_until_reset(channel, session) -> None:
    reset = str(int(NOW.timestamp()) + 600)
    channel.script(SEARCH, json_reply(fx("rate_limited.json"), 403,
                                      {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value).startswith("github: GitHub rate limit exceeded: API rate limit exceeded for 203.0.113.7.")
    assert exc.value.retryable and exc.value.retry_after == pytest.approx(600)
    with pytest.raises(SourceError) as exc:  # the channel stays blocked: no request is even sent
        await source.poll(None)
    assert exc.value.retry_after == pytest.approx(600)
    assert len(channel.requests(SEARCH)) == 1


async def test_exhausted_window_on_success_waits_for_reset(channel, session) -> None:
    reset = str(int(NOW.timestamp()) + 30)
    channel.script(SEARCH, json_reply(fx("search_page1.json"), headers={"X-RateLimit-Remaining": "0",
                                                                         "X-RateLimit-Reset": reset}),
                   json_reply(fx("search_page2.json")))
    source, clock = make(channel, session)
    batch = await source.poll(None)
    assert len(batch.events) == 3
    assert clock.sleeps == [pytest.approx(30.0)]


async def test_bad_query_422_is_not_retryable(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("validation_failed.json"), 422))
    source, _ = make(channel, session, repos=["acme/does-not-exist"])
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == (
        "github: GitHub rejected the search query: The listed users and repositories cannot be searched either "
        "because the resources do not exist or you do not have permission to view them.; "
        "check query/repos/orgs in the source's config")
    assert not exc.value.retryable


async def test_html_instead_of_json_is_an_error(channel, session) -> None:
    channel.script(SEARCH, text_reply("<html><body><h1>Unicorn!</h1></body></html>", 200, "text/html"))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert "returned text/html instead of JSON" in str(exc.value) and "Unicorn!" in str(exc.value)


def test_config_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        GitHubConfig(query="a OR b OR c OR d OR e OR f OR g")
    assert exc.value.errors()[0]["msg"] == "Value error, query has 6 AND/OR/NOT operators; GitHub search allows 5"
    with pytest.raises(ValidationError) as exc:
        GitHubConfig(query="x" * 300)
    assert exc.value.errors()[0]["msg"] == "Value error, query is 300 characters; GitHub search allows 256"
    with pytest.raises(ValidationError) as exc:
        GitHubConfig(query="acme", repos=["acme"])
    assert exc.value.errors()[0]["msg"] == "Value error, repository 'acme' is not owner/name"
