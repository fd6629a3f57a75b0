"""`rules stats`: counts, rules that never fired, expansion suggestions."""

from __future__ import annotations

from monitor.nlp.keywords.stats import candidates, rule_stats

from .helpers import post, ruleset


def test_candidates_are_words_and_cjk_pairs() -> None:
    assert candidates("The Acme kettle is LEAKING, 水壶漏水了") == {"acme", "kettle", "leaking", "水壶", "壶漏", "漏水"}
    assert candidates("我的 a 12 ok") == set()  # stop words, short words, numbers, common-character pairs
    assert candidates("艾克美水壶漏水", masks=["艾克美", "漏水"]) == {"水壶"}


def test_counts_never_fired_and_suggestions() -> None:
    rs = ruleset("{brand} AND broken", "{brand} AND fire", "{brand} AND (refund OR 退款)")
    posts = [
        post("Acme kettle broken, leaking everywhere"),
        post("Acme kettle again"),
        post("Acme kettle leaking, broken handle"),
        post("艾克美水壶漏水，想退款"),
        post("艾克美水壶漏水"),
        post("Acme kettle lovely"),  # matches nothing: not counted as a matched post
        post("weather is lovely"),
    ]
    matches = rs.match_many(posts)
    st = rule_stats(rs, posts, matches, negative=None)
    assert (st.posts, st.matched_posts, st.negative_posts) == (7, 3, 3)
    assert dict(st.rules) == {"r0": 2, "r2": 1}
    assert dict(st.brands) == {"acme": 3}
    assert st.never_fired == ["r1"]
    # 'broken' is named by r0, 'acme'/'艾克美' are the brand; '漏水' occurs in one matched post only
    assert [(s.term, s.posts) for s in st.suggestions] == [("leaking", 2), ("kettle", 2)]
    assert st.suggestions[0].lift > st.suggestions[1].lift


def test_only_negative_posts_feed_suggestions() -> None:
    rs = ruleset("{brand}")
    posts = [post("Acme smells burnt"), post("Acme smells burnt"), post("Acme smells lovely"),
             post("Acme smells lovely")]
    st = rule_stats(rs, posts, rs.match_many(posts), negative=[True, True, False, False])
    assert st.negative_posts == 2
    assert [(s.term, s.posts, s.lift) for s in st.suggestions] == [("burnt", 2, 2.0), ("smells", 2, 1.0)]
