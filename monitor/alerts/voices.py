"""Voices over a short span (10, 15 minutes), kept up to date as posts come and go, so judging a
short window is a lookup rather than a scan of the newest posts at every evaluation."""

from __future__ import annotations

from collections import Counter, deque
from datetime import datetime, timedelta

from monitor.alerts.signals import PostSignal


def author_of(p: PostSignal) -> str:
    return p.example.author or f"\0{p.key}"  # no author: a voice of its own


class Tally:
    """Posts in ``(now - span, now]``: voices per platform (at most ``cap`` per author) and reposts."""

    def __init__(self, span: timedelta, cap: int) -> None:
        self.span, self.cap = span, cap
        self.posts: deque[PostSignal] = deque()
        self.authors: Counter[tuple[str, str]] = Counter()
        self.voices: Counter[str] = Counter()
        self.reposts = 0
        self.edge: datetime | None = None  # posts at or before this moment have left for good

    def add(self, p: PostSignal) -> None:
        if self.edge is not None and p.ts <= self.edge:
            return
        if not self.posts or self.posts[-1].ts <= p.ts:
            self.posts.append(p)
        else:
            idx = len(self.posts)
            while idx > 0 and self.posts[idx - 1].ts > p.ts:
                idx -= 1
            self.posts.insert(idx, p)
        # counts move through dict.get/pop: Counter's += and del are Python-level methods, and this is per post
        source, authors = p.source, self.authors
        who = (source, author_of(p))
        n = authors[who] = authors.get(who, 0) + 1
        if n <= self.cap:
            self.voices[source] = self.voices.get(source, 0) + 1
        self.reposts += p.reposts

    def _drop(self, p: PostSignal) -> None:
        source, authors, voices = p.source, self.authors, self.voices
        who = (source, author_of(p))
        n = authors[who] = authors.get(who, 0) - 1
        if n < self.cap:
            left = voices[source] = voices.get(source, 0) - 1
            if left <= 0:
                voices.pop(source)
        if n <= 0:
            authors.pop(who)
        self.reposts -= p.reposts

    def remove(self, key: str) -> None:
        for p in list(self.posts):
            if p.key == key:
                self.posts.remove(p)
                self._drop(p)
                return

    def at(self, now: datetime) -> bool:
        """Slide to ``now``; False when ``now`` is earlier than a moment already passed (the caller scans)."""
        cut = now - self.span
        if self.edge is not None and cut < self.edge:
            return False
        while self.posts and self.posts[0].ts <= cut:
            self._drop(self.posts.popleft())
        self.edge = cut
        return True
