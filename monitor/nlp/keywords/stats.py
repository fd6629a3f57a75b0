"""``monitor rules stats``: how a rule set behaves on a recording, and what it misses.

Hits per rule, per brand and per category; rules that never fired; and expansion
suggestions: the words (Latin) and character pairs (CJK) most frequent in matched
negative posts that no rule names, ranked by how many such posts carry them, weighted
by how much more often they appear there than in the feed as a whole (lift).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.models import Post, RuleMatch
from monitor.nlp.keywords.finder import TermFinder
from monitor.nlp.keywords.nodes import Term, terms
from monitor.nlp.keywords.ruleset import RuleSet
from monitor.nlp.keywords.termplan import plan
from monitor.nlp.keywords.text import CJK_CLASS, LATIN_CLASS, is_cjk, normalize

_WORDS = re.compile(f"{LATIN_CLASS}+|{CJK_CLASS}+")
_STOP = frozenset("""a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each even ever every few for from further get
got had has have having he her here hers him his how i if in into is it its itself just like made make many me more
most much my no nor not now of off on once one only or other our ours out over own really same she should so some
still such than that the their them then there these they this those through to too under until up us very was we
were what when where which while who whom why will with would yet you your yours im ive dont cant didnt doesnt isnt
wont thats its rt via amp http https www com""".split())  # noqa: SIM905 - a word list reads better as text
_CJK_STOP = frozenset("的一是不了人我在有他这中大来上个们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所"
                      "去行过家十用发天如然作方成者多日都小无同么经法当起与好看学进种将还分此心前面又定见只主没公从吗呢吧啊怎样很太"
                      "真最再被把给让该吧哦嗯呀哈")


@dataclass(frozen=True, slots=True)
class Suggestion:
    term: str
    posts: int  # matched negative posts that contain it
    lift: float  # its share of those posts over its share of all posts
    example: str


@dataclass
class RuleStats:
    posts: int = 0
    matched_posts: int = 0
    negative_posts: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    brands: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    never_fired: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


def candidates(text: str, masks: Sequence[str] = ()) -> set[str]:
    """Suggestion candidates in one text: Latin words of 3+ letters, CJK character pairs.

    ``masks`` (normalised CJK terms the rules already name, brand names) are cut out first,
    so no pair straddles a known term: 艾克美水壶 gives 水壶, not 美水.
    """
    out: set[str] = set()
    text = normalize(text)
    for mask in masks:
        if mask in text:
            text = text.replace(mask, "|")
    for run in _WORDS.findall(text):
        if not is_cjk(run[0]):
            if len(run) >= 3 and not run.isdigit() and run not in _STOP:
                out.add(run)
            continue
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if pair[0] not in _CJK_STOP and pair[1] not in _CJK_STOP:
                out.add(pair)
    return out


class _Named:
    """Does some rule (or brand name) already name this candidate?"""

    def __init__(self, rs: RuleSet) -> None:
        all_terms: dict[tuple[str, bool, str], Term] = {}
        for rule in rs.rules:
            for t in terms(rule.node):
                all_terms.setdefault(t.key, Term(t.text, t.pattern, t.wildcard, t.phrase, "any", t.brand))
        for brand in rs.brands.values():
            for name in brand.names:
                pattern = normalize(name)
                if pattern:
                    all_terms.setdefault((pattern, False, "any"), Term(name, pattern, phrase=True))
        self._terms = list(all_terms.values())
        self._finder = TermFinder(self._terms, [plan(t) for t in self._terms])
        self._literals = [t.pattern for t in self._terms if not t.wildcard]
        self.cjk_literals = sorted({p for p in self._literals if any(is_cjk(c) for c in p)}, key=len, reverse=True)

    def __call__(self, candidate: str) -> bool:
        if self._finder.find(candidate, 0):
            return True
        return any(candidate in literal for literal in self._literals)


def rule_stats(rs: RuleSet, posts: Sequence[Post], matches: Sequence[list[RuleMatch]],
               negative: Sequence[bool] | None, top: int = 20) -> RuleStats:
    """Counts over ``posts`` (with their ``matches``); ``negative`` None: every matched post counts."""
    st = RuleStats(posts=len(posts))
    neg_docs: Counter[str] = Counter()
    all_docs: Counter[str] = Counter()
    example: dict[str, str] = {}
    named = _Named(rs)
    for i, (post, found) in enumerate(zip(posts, matches, strict=True)):
        words = candidates(f"{post.title or ''} {post.text}", named.cjk_literals)
        all_docs.update(words)
        if not found:
            continue
        st.matched_posts += 1
        for m in found:
            st.rules[m.rule_id] += 1
            st.categories[m.category] += 1
        for brand in {m.brand for m in found}:
            st.brands[brand] += 1
        if negative is None or negative[i]:
            st.negative_posts += 1
            neg_docs.update(words)
            for w in words:
                example.setdefault(w, post.text)
    st.never_fired = [r.id for r in rs.rules if st.rules[r.id] == 0]
    ranked: list[Suggestion] = []
    for word, n in neg_docs.items():
        if n < 2 or named(word):
            continue
        lift = (n / st.negative_posts) / (all_docs[word] / st.posts)
        ranked.append(Suggestion(word, n, round(lift, 2), example[word]))
    ranked.sort(key=lambda s: (-s.posts * math.log1p(s.lift), s.term))
    st.suggestions = ranked[:top]
    return st
