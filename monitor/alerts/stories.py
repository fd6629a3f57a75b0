"""Near-duplicate posts folded into stories: copy-pasta, reposts carried as new posts, one wire
story syndicated by many outlets. A story carries its reach (posts, distinct voices, reposts,
outlets) and names itself by a representative post and its top terms.

Near-duplicates are found with datasketch's MinHash LSH (a well-kept library: banding and
permutations done right) over word bigrams (Latin words, single CJK characters), at a Jaccard
threshold of 0.5 by default. Posts are folded lazily, in time order, when someone asks (an
alert's evidence, a news article in an open incident), so the hot path of a post stays a few
counter updates; a window rebuilt after a restart folds to the same stories.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datasketch import MinHash, MinHashLSH

if TYPE_CHECKING:
    from monitor.alerts.levels import PostSignal

_TOKEN = re.compile(r"[^\W\d_]+|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|@\w+|#\d+")
_SEEDS: dict[int, MinHash] = {}


def shingles(text: str) -> set[bytes]:
    """Word bigrams of the normalised text (links, handles and numbering dropped)."""
    words = _TOKEN.findall(_NOISE.sub(" ", text.lower()))
    if len(words) < 2:
        return {w.encode() for w in words} or {b""}
    return {f"{a} {b}".encode() for a, b in itertools.pairwise(words)}


@functools.cache
def _params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows), found once: it integrates numerically on every index built."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


@dataclass
class Story:
    """One folded story inside a window."""

    id: str  # the key of its first post
    members: list[PostSignal] = field(default_factory=list)

    @property
    def posts(self) -> int:
        return len(self.members)

    @property
    def voices(self) -> int:
        return len({m.example.author or m.key for m in self.members})

    @property
    def reposts(self) -> int:
        return sum(m.reposts for m in self.members)

    def outlets(self, is_news: Any) -> list[str]:
        return sorted({m.outlet or m.source for m in self.members if is_news(m)})

    def articles(self, is_news: Any) -> int:
        return sum(1 for m in self.members if is_news(m))

    def representative(self) -> PostSignal:
        """The most reposted member (the earliest among equals): what people actually saw."""
        return max(self.members, key=lambda m: (m.reposts, -m.ts.timestamp()))

    def as_data(self, is_news: Any) -> dict[str, Any]:
        rep = self.representative()
        terms = Counter(t for m in self.members for t in m.terms)
        outlets = self.outlets(is_news)
        return {"id": self.id, "posts": self.posts, "voices": self.voices, "reposts": self.reposts,
                "articles": self.articles(is_news), "outlets": len(outlets), "outlet_names": outlets[:5],
                "text": rep.example.text[:200], "source": rep.source, "url": rep.example.url,
                "top_terms": [t for t, _ in terms.most_common(5)]}


class Stories:
    """The stories of one window; ``refresh`` folds posts added since the last call.

    Exact copies (the same set of word bigrams: a retweet carried as a post, a wire story
    reprinted word for word) join their story through a dict, without a MinHash; each story is
    in the LSH index once, under its id, by its first post's signature, until its last post leaves.
    """

    def __init__(self, threshold: float = 0.5, num_perm: int = 32) -> None:
        self.threshold, self.num_perm = threshold, num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=_params(threshold, num_perm))
        self._pending: dict[str, PostSignal] = {}
        self.story_of: dict[str, Story] = {}
        self.stories: dict[str, Story] = {}
        self._exact: dict[frozenset[bytes], Story] = {}
        self._words: dict[str, frozenset[bytes]] = {}
        self._kin: Counter[tuple[int, frozenset[bytes]]] = Counter()  # (id(story), words) -> its members with them

    def add(self, p: PostSignal) -> None:
        self._pending[p.key] = p

    def remove(self, p: PostSignal) -> None:
        if self._pending.pop(p.key, None) is not None:
            return
        story = self.story_of.pop(p.key, None)
        if story is None:
            return
        words = self._words.pop(p.key, frozenset())
        if story.members and story.members[0].key == p.key:  # the usual case: the oldest leaves first
            story.members.pop(0)
        else:
            story.members = [m for m in story.members if m.key != p.key]
        kin = (id(story), words)
        self._kin[kin] -= 1
        if self._kin[kin] <= 0:
            del self._kin[kin]
            if self._exact.get(words) is story:  # no member left carries these words
                del self._exact[words]
        if not story.members:
            del self.stories[story.id]
            self._lsh.remove(story.id)

    def _signature(self, words: frozenset[bytes]) -> MinHash:
        seed = _SEEDS.get(self.num_perm)
        if seed is None:
            seed = _SEEDS[self.num_perm] = MinHash(num_perm=self.num_perm, seed=1)
        m = MinHash(num_perm=self.num_perm, permutations=seed.permutations, scheme=seed.scheme)
        m.update_batch(list(words))
        return m

    def refresh(self) -> list[Story]:
        """Fold pending posts (time order); returns the stories that were born in this call."""
        born: list[Story] = []
        for p in sorted(self._pending.values(), key=lambda x: (x.ts, x.key)):
            words = frozenset(shingles(p.example.text))
            self._words[p.key] = words
            story = self._exact.get(words)
            if story is None:
                sig = self._signature(words)
                near = [self.stories[k] for k in self._lsh.query(sig) if k in self.stories]
                if near:
                    story = min(near, key=lambda s: (s.members[0].ts, s.id))
                else:  # a story is indexed once, by its first post's words, under its id
                    story = self.stories[p.key] = Story(p.key)
                    born.append(story)
                    self._lsh.insert(story.id, sig)
                self._exact.setdefault(words, story)
            story.members.append(p)
            self._kin[(id(story), words)] += 1
            self.story_of[p.key] = story
        self._pending.clear()
        return born

    def top(self, n: int, is_news: Any = None) -> list[Story]:
        """The largest stories first: voices, then reposts, then the earliest (with ``is_news``: the stories
        the media carry first, by articles)."""
        self.refresh()
        media = (lambda s: -s.articles(is_news)) if is_news is not None else (lambda s: 0)
        return sorted(self.stories.values(),
                      key=lambda s: (media(s), -s.voices, -s.reposts, s.members[0].ts, s.id))[:n]
