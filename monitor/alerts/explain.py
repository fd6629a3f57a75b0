"""A level's finding with its evidence: the test that fired and its numbers (observed, expected
for this hour of the week, the surprise, the window), voices against posts, news articles
against outlets, and the largest stories first. The keys added under ``evidence.detail`` are
read back by why.py for the text of every notifier."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from monitor.models import Evidence

if TYPE_CHECKING:
    from monitor.alerts.baseline import Judgement
    from monitor.alerts.levels import Finding, Window


def surprise_words(j: Judgement | None) -> str:
    """``; 24 in the last 10 min against 2.1 expected for this hour of day (11.4x, p=3e-09)``."""
    if j is None:
        return ""
    basis = {"recent hours": "from recent hours"}.get(j.basis, f"for this {j.basis}")
    ratio = f"{j.observed / j.expected:.1f}x, " if j.expected > 0 else ""
    p = j.tail_p
    return (f"; {j.observed} in the last {j.window_minutes} min against {j.expected:.1f} expected {basis} "
            f"({ratio}p{'<1e-12' if p < 1e-12 else f'={p:.1g}'})")


def build_finding(w: Window, trigger: str) -> Finding:

    cfg = w.config
    minutes = int(cfg.window.total_seconds() // 60)
    detail: dict[str, Any] = {"detection": cfg.detection_for(w.brand)}
    if trigger == "red.trending":
        trends = w.negative_trends() or list(w.trends)
        t = max(trends, key=lambda x: (x.ts, -(x.rank or 0)))
        rank = f" (#{t.rank})" if t.rank else ""
        if t.negative and t.news:
            context = f"{t.news[0]} of its {t.news[1]} news items read negative"
        else:
            context = "its words match a negative rule" if t.negative else "negative volume is surprising"
        why = f"the brand entered a trending list: \"{t.word}\" on {t.source}{rank} ({context})"
        detail["trend"] = {"source": t.source, "word": t.word, "rank": t.rank, "ts": t.ts, "negative_context": context}
        level, observed, threshold = "red", len(trends), 0
    elif trigger == "red.stock":
        found = w.stock_move()
        q = w.quotes[-1]
        move, bench_move, bq = found if found else (q.change_pct, None, None)
        net = f" ({move - bench_move:+.1f}% net of {bq.symbol} {bench_move:+.1f}%)" if bq and bench_move is not None \
            else ""
        why = (f"{q.symbol} moved {move:+.1f}% against the previous close{net} (threshold: more than "
               f"{cfg.red.stock_move_pct:g}%)")
        detail["quote"] = {"symbol": q.symbol, "price": q.price, "prev_close": q.prev_close, "ts": q.ts}
        if bq is not None:
            detail["benchmark"] = {"symbol": bq.symbol, "change_pct": round(bq.change_pct, 2), "ts": bq.ts}
        level, observed, threshold = "red", round(move, 2), cfg.red.stock_move_pct
    elif trigger == "yellow.reposts":
        s = w.reposts_surprise()
        j = w.judge(s) if s else None
        why = (f"negative posts reached {w.reposts} reposts across {len(w.post_counts)} platform(s) in {minutes} min "
               f"(threshold: more than {cfg.yellow.reposts}){surprise_words(j)}")
        if j is not None:
            detail["test"] = j.as_data()
        level, observed, threshold = "yellow", w.reposts, cfg.yellow.reposts
    elif trigger == "yellow.news":
        first = next(p for p in w.posts if w.is_news(p))
        outlet = first.outlet or first.source
        outlets = w.news_outlets()
        more = f" ({w.news} articles from {len(outlets)} outlets)" if w.news > 1 else ""
        why = f"a news outlet picked the story up: {outlet}{more}"
        detail.update(outlet=outlet, url=first.example.url, articles=w.news, outlets=len(outlets),
                      outlet_names=sorted(outlets)[:10])
        level, observed, threshold = "yellow", w.news, 0
    else:
        found = w.blue()
        if found is None:  # asked for blue while it does not hold: describe the busiest platform
            platform, v = max(w.per_platform.items(), key=lambda kv: (kv[1], kv[0]))
            j = None
        else:
            platform, v, s = found
            j = w.judge(s)
        posts = w.post_counts[platform]
        count = f"{v} negative posts" if posts == v else f"{v} negative voices ({posts} posts)"
        why = (f"{count} on {platform} in {minutes} min (threshold: more than {cfg.blue.platform_posts})"
               f"{surprise_words(j)}")
        detail["platform"] = platform
        if j is not None:
            detail["test"] = j.as_data()
        level, observed, threshold = "blue", v, cfg.blue.platform_posts
    detail["voices"] = {k: v for k, v in sorted(w.per_platform.items())}
    detail["posts"] = {k: v for k, v in sorted(w.post_counts.items())}
    if cfg.stories.top:
        media = w.is_news if trigger == "yellow.news" else None
        detail["stories"] = [s.as_data(w.is_news) for s in w.stories.top(cfg.stories.top, media)]
    return _finding(w, level, trigger, why, observed, threshold, detail)


def _finding(w: Window, level: str, trigger: str, why: str, observed: float, threshold: float,
             detail: dict[str, Any]) -> Finding:
    from monitor.alerts.levels import Finding

    cfg = w.config
    rules: Counter[str] = Counter(r for p in w.posts for r in p.rules)
    cats: Counter[str] = Counter(p.category for p in w.posts)
    # most-reposted first, news first among equals: the posts a PR lead wants to see
    examples = sorted(w.posts, key=lambda p: (w.is_news(p), p.reposts, p.ts), reverse=True)
    evidence = Evidence(
        trigger=trigger, rule=why, observed=observed, threshold=threshold,
        window_minutes=int(cfg.window.total_seconds() // 60), platforms=dict(w.post_counts),
        reposts=w.reposts, negative_posts=len(w.posts), rules=dict(rules.most_common(10)),
        examples=tuple(p.example for p in examples[: cfg.examples]), detail=detail,
    )
    category = cats.most_common(1)[0][0] if cats else None
    return Finding(level, trigger, evidence, f"{level}: {why}", category)
