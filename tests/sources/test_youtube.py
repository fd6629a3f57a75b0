"""youtube: channel/playlist feed, views and likes from media:community."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from monitor.sources.youtube import YoutubeConfig, YoutubeSource
from tests.sources.conftest import FakeChannel, fixture_text, make_source, stored, text_reply

ATOM = "application/atom+xml"


async def test_channel_feed_maps_videos(channel: FakeChannel, ctx) -> None:
    channel.script("/feeds/videos.xml", text_reply(fixture_text("youtube", "videos.xml"), content_type=ATOM))
    source = make_source(YoutubeSource, ctx, base_url=channel.url, channel_id="UCacme00000000000000000")
    batch = await source.poll(None)
    assert channel.requests()[0].query == {"channel_id": "UCacme00000000000000000"}
    video, older = batch.events
    assert video.id == "vid00000002"
    assert video.title == "Acme X2 battery swelling & overheating - my unit after 3 weeks"
    assert video.text == "The battery in my Acme X2 swelled.\nTimestamps: 0:00 intro"
    assert (video.kind, video.author, video.likes) == ("video", "Gadget Reviews Weekly", 1431)
    assert video.extra == {"views": 78814, "channel_id": "UCacme00000000000000000"}
    assert video.url == "https://www.youtube.com/watch?v=vid00000002"
    assert video.ts == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert video.outlet is None
    assert older.text == older.title == "Unboxing the Acme X2"  # empty description: the title is the text
    assert (await source.poll(stored(batch.cursor))).events == []


async def test_playlist_feed(channel: FakeChannel, ctx) -> None:
    channel.script("/feeds/videos.xml", text_reply(fixture_text("youtube", "videos.xml"), content_type=ATOM))
    await make_source(YoutubeSource, ctx, base_url=channel.url, playlist_id="PLacme").poll(None)
    assert channel.requests()[0].query == {"playlist_id": "PLacme"}


@pytest.mark.parametrize("settings", [{}, {"channel_id": "UC1", "playlist_id": "PL1"}])
def test_exactly_one_target(settings: dict) -> None:
    with pytest.raises(ValidationError) as info:
        YoutubeConfig.model_validate({"kind": "youtube", **settings})
    assert info.value.errors()[0]["msg"] == "Value error, give exactly one of channel_id or playlist_id"
