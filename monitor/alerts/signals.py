"""What a window keeps of each signal: negative posts (with one example for the alert's why),
trend entries (with whether they carry negative context) and stock quotes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.models import Example, RuleMatch, ScoredPost


@dataclass(slots=True)
class PostSignal:
    ts: datetime
    key: str
    source: str
    kind: str
    outlet: str | None
    reposts: int
    category: str
    rules: tuple[str, ...]
    terms: tuple[str, ...]
    example: Example

    def as_data(self) -> dict[str, Any]:
        ex = self.example
        return {"source": self.source, "kind": self.kind, "outlet": self.outlet, "reposts": self.reposts,
                "category": self.category, "rules": list(self.rules), "terms": list(self.terms),
                "example": {"source": ex.source, "id": ex.id, "ts": ex.ts, "text": ex.text, "url": ex.url,
                            "author": ex.author, "kind": ex.kind, "outlet": ex.outlet, "reposts": ex.reposts,
                            "score": ex.score, "rules": list(ex.rules), "terms": list(ex.terms)}}

    @classmethod
    def from_scored(cls, sp: ScoredPost, ts: datetime, matches: list[RuleMatch], category: str) -> PostSignal:
        """What a window keeps of a negative post: counts, reasons, and one example for the alert's why."""
        post = sp.post
        if len(matches) == 1:  # the usual case, without the generators
            rules, terms = (matches[0].rule_id,), tuple(dict.fromkeys(matches[0].terms))
        else:
            rules = tuple([m.rule_id for m in matches])
            terms = tuple(dict.fromkeys([t for m in matches for t in m.terms]))
        example = Example(source=post.source, id=post.id, ts=post.ts, text=post.text[:500], url=post.url,
                          author=post.author, kind=post.kind, outlet=post.outlet, reposts=post.reposts,
                          score=round(sp.sentiment.score, 4), rules=rules, terms=terms)
        return cls(ts, post.key, post.source, post.kind, post.outlet, post.reposts, category, rules, terms, example)

    @classmethod
    def from_data(cls, ts: datetime, key: str, d: dict[str, Any]) -> PostSignal:
        ex = dict(d["example"])
        ex["rules"], ex["terms"] = tuple(ex["rules"]), tuple(ex["terms"])
        return cls(ts, key, d["source"], d["kind"], d["outlet"], d["reposts"], d["category"], tuple(d["rules"]),
                   tuple(d["terms"]), Example(**ex))


@dataclass(slots=True)
class TrendSignal:
    ts: datetime
    key: str
    source: str
    word: str
    rank: int | None
    negative: bool = True  # negative context: the word matches a negative rule of the brand, or its news items do
    news: tuple[int, int] | None = None  # (negative, all) of its news items, when they (not the word) are the context


@dataclass(frozen=True, slots=True)
class NewsTone:
    """How one of a trend entry's own news items reads (Google Trends carries a few per entry): the model's
    label and score, and the brands whose negative rules (not just their names) the headline matches."""

    label: str
    score: float
    brands: tuple[str, ...] = ()


@dataclass(slots=True)
class QuoteSignal:
    ts: datetime
    key: str
    source: str
    symbol: str
    price: float
    prev_close: float

    @property
    def change_pct(self) -> float:
        return (self.price - self.prev_close) / self.prev_close * 100.0
