"""YouTube channel and playlist uploads through their public Atom feed.

Why a feed and not the Data API: the feed needs no key or quota and carries what a PR
team needs to see a video coming: title, description, author, time, and from
``media:community`` the views (``media:statistics``) and likes (``media:starRating``
count, which since dislikes were hidden counts likes).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from monitor.durations import Duration
from monitor.models import Post
from monitor.sources.base import register_source
from monitor.sources.rss import FeedConfig, FeedSource


class YoutubeConfig(FeedConfig):
    kind: str = "youtube"
    base_url: str = Field(default="https://www.youtube.com", description="YouTube root (tests point it elsewhere)")
    channel_id: str | None = Field(default=None, description="channel to watch (UC...); give this or playlist_id")
    playlist_id: str | None = Field(default=None, description="playlist to watch (PL..., UU...); or channel_id")
    interval: Duration = Field(default=timedelta(minutes=15), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(days=7), description="channels upload weekly at best: a week of silence is a blind spot"
    )

    @model_validator(mode="after")
    def _one_target(self) -> YoutubeConfig:
        if (self.channel_id is None) == (self.playlist_id is None):
            raise ValueError("give exactly one of channel_id or playlist_id")
        return self


def _count(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


@register_source
class YoutubeSource(FeedSource[YoutubeConfig]):
    """YouTube channel or playlist uploads as video posts; views and likes from media:community."""

    kind: ClassVar[str] = "youtube"
    requests_per_minute: ClassVar[float] = 30.0

    def feed_url(self) -> str:
        return f"{self.cfg.base_url.rstrip('/')}/feeds/videos.xml"

    def feed_params(self) -> dict[str, Any]:
        if self.cfg.channel_id:
            return {"channel_id": self.cfg.channel_id}
        return {"playlist_id": self.cfg.playlist_id}

    def post_kind(self) -> str:
        return "video"

    def map_entry(self, entry: Any, feed: Any, entry_id: str) -> Post | None:
        video_id = entry.get("yt_videoid")
        post = super().map_entry(entry, feed, video_id or entry_id)
        if post is None:
            return None
        stats = entry.get("media_statistics") or {}
        rating = entry.get("media_starrating") or {}
        views = _count(stats.get("views"))
        likes = _count(rating.get("count"))
        if likes is not None:
            post.likes = likes
        if views is not None:
            post.extra["views"] = views
        if entry.get("yt_channelid"):
            post.extra["channel_id"] = entry["yt_channelid"]
        return post
