"""hackernews: Algolia search_by_date, created_at_i cursor, stories and comments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.sources.hackernews import HackerNewsConfig, HackerNewsSource
from tests.sources.conftest import FakeChannel, fixture_json, json_reply, make_source, stored

PATH = "/api/v1/search_by_date"


def by_page(request: web.Request) -> web.Response:
    return json_reply(fixture_json("hackernews", f"page{request.query.get('page', '0')}.json"))


async def test_pages_stories_and_comments(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(PATH, by_page)
    source = make_source(HackerNewsSource, fixed_ctx, base_url=channel.url, query="acme", page_size=2)
    batch = await source.poll(None)
    assert [p.id for p in batch.events] == ["40100001", "40100002", "40099990"]
    assert dict(batch.skipped) == {"hit 40099991: created_at_i missing or not a number": 1}
    first = channel.requests(PATH)[0].query
    assert first == {"query": "acme", "tags": "(story,comment)", "hitsPerPage": "2",
                     "numericFilters": "created_at_i>=1772348400", "page": "0"}  # now - 1h lookback
    assert channel.requests(PATH)[1].query["page"] == "1"
    story, comment, ask = batch.events
    assert (story.title, story.text) == ("Acme X2 power banks recalled after fires",) * 2
    assert (story.kind, story.likes, story.replies, story.author) == ("forum", 55, 12, "techwatcher")
    assert story.url == "https://news.ycombinator.com/item?id=40100001"
    assert story.extra == {"link": "https://www.dailytechwire.example/2026/03/01/acme-recall"}
    assert story.ts == datetime(2026, 3, 1, 7, 58, tzinfo=UTC)
    assert comment.text == ("The cells in the Acme X2 are unbranded & the BMS has no thermal cut-off.\n"
                            "I'm not surprised.")
    assert comment.title == "Acme X2 power banks recalled after fires"
    assert comment.extra == {"story_id": 40100001, "parent_id": 40100001}
    assert ask.text == "Has anyone returned an Acme X2 yet? Their form errors out.\nEdit: works now."


async def test_cursor_asks_from_the_newest_minus_overlap_and_skips_what_was_taken(channel: FakeChannel,
                                                                                 fixed_ctx) -> None:
    channel.script(PATH, by_page)
    first = await make_source(HackerNewsSource, fixed_ctx, base_url=channel.url, query="acme", page_size=2).poll(None)
    channel.script(PATH, json_reply(fixture_json("hackernews", "later.json")))
    restarted = make_source(HackerNewsSource, fixed_ctx, base_url=channel.url, query="acme")
    second = await restarted.poll(stored(first.cursor))
    assert [p.id for p in second.events] == ["40100007"]
    # newest taken 07:58:00 (1772351880) minus the 5 min overlap
    assert channel.requests(PATH)[-1].query["numericFilters"] == "created_at_i>=1772351580"


async def test_only_stories(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(PATH, json_reply(fixture_json("hackernews", "later.json")))
    await make_source(HackerNewsSource, fixed_ctx, base_url=channel.url, query="acme", comments=False).poll(None)
    assert channel.requests(PATH)[0].query["tags"] == "story"


def test_nothing_to_collect_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        HackerNewsConfig.model_validate({"kind": "hackernews", "query": "acme", "stories": False, "comments": False})
    assert info.value.errors()[0]["msg"] == "Value error, stories and comments are both off: nothing to collect"

