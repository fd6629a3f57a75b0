"""Keyword-rule throughput: the compiled matcher against the naive per-rule regex evaluator.

Issue 3's benchmark: 300 rules, a mixed English/Chinese stream of 100,000 posts, one
core; target >= 50,000 posts/s. Rates are per CPU-second of this process (the matcher is
single-threaded), so a busy machine skews them less; wall-clock is printed too. Rules
and posts are generated here from a fixed seed, so runs are comparable. The naive
baseline (monitor.nlp.keywords.reference: every rule, every term as its own regular
expression) is timed on a slice of the stream because it is slow; both are checked to
agree on that slice.

    python benchmarks/rules_bench.py [--posts 100000] [--rules 300] [--naive-posts 2000] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime
from typing import Any

from monitor.models import Post
from monitor.nlp.keywords import compile_rules
from monitor.nlp.keywords.reference import ReferenceEvaluator


def _words(text: str) -> list[str]:
    return text.split()


BRANDS = {
    "acme": {"name": "Acme", "aliases": ["Acme", "Acme Corp", "@acme", "#acme", "艾克美"], "ticker": "ACME"},
    "borealis": {"name": "Borealis", "aliases": ["Borealis Home", "北极光家电"]},
    "cygnet": {"name": "Cygnet", "aliases": ["@cygnet", "天鹅电器"]},
}
EN_TOPIC = _words("broken defective faulty junk recall refund scam fraud lawsuit fire smoke explode burn shock leak "
            "rude ignored delay late shortage strike layoff breach leak hacked privacy price overpriced fee "
            "toxic lead mold rust crack noisy overheat battery charger warranty lawsuit sued ceo scandal rumor "
            "fake counterfeit boycott unsafe injury hospital dangerous outage crash bug")
ZH_TOPIC = _words("质量 故障 坏了 退货 退款 骗子 诈骗 起诉 起火 冒烟 爆炸 漏电 烧焦 客服 态度 不理 延迟 缺货 罢工 裁员 "
            "泄露 隐私 涨价 太贵 有毒 发霉 生锈 裂开 噪音 过热 电池 充电器 保修 丑闻 谣言 假货 抵制 受伤 危险")
EN_FILLER = _words("the a my our this that is was are it its and but so very really just again today still never "
             "kettle blender toaster fridge oven store online order delivery package new old bought got "
             "home kitchen week month year day love like hate great good bad fine ok thanks please why how "
             "what when who people everyone someone friend family work time money price")
ZH_FILLER = list("的了是我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小"
                 "么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长")


def make_rules(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rules = []
    brands = list(BRANDS)
    for i in range(n):
        brand = brands[i % len(brands)] if rng.random() < 0.4 else "acme"
        en = rng.sample(EN_TOPIC, rng.randint(2, 6))
        zh = rng.sample(ZH_TOPIC, rng.randint(1, 4))
        en = [w[: max(3, len(w) - 2)] + "*" if rng.random() < 0.2 else w for w in en]
        topic = " OR ".join(en + zh)
        shape = rng.random()
        if shape < 0.5:
            query = f"{{brand}} AND ({topic})"
        elif shape < 0.65:
            query = f"{{brand}} NEAR/{rng.randint(3, 10)} ({topic})"
        elif shape < 0.8:
            query = f'{{brand}} AND ({topic}) NOT ({rng.choice(EN_FILLER)} OR "{rng.choice(EN_TOPIC)} free")'
        elif shape < 0.9:
            a, b = rng.sample(EN_TOPIC, 2)
            query = f'{{brand}} AND ("{a} {b}" OR {rng.choice(ZH_TOPIC)}{rng.choice(ZH_TOPIC)} OR {topic})'
        else:
            query = f"{{brand}} AND ({topic}) AND (kind:news OR source:weibo OR lang:zh)"
        rules.append({"id": f"r{i:03d}", "brand": brand, "category": rng.choice(
            ["quality", "service", "safety", "pricing", "legal", "labour", "data-privacy", "rumours"]),
            "query": query})
    return rules


def make_posts(n: int, rng: random.Random) -> list[Post]:
    ts = datetime(2026, 3, 1, tzinfo=UTC)
    names = [a for b in BRANDS.values() for a in [b["name"], *b["aliases"]]]
    posts = []
    for i in range(n):
        chinese = rng.random() < 0.4
        mention = rng.random() < 0.3
        topical = rng.random() < 0.3
        if chinese:
            chars = [rng.choice(ZH_FILLER) for _ in range(rng.randint(10, 60))]
            if topical:
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(ZH_TOPIC))
            if mention:
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(names))
            text = "".join(chars) + rng.choice(["。", "！", "？", ""])
        else:
            words = [rng.choice(EN_FILLER) for _ in range(rng.randint(6, 30))]
            if topical:
                words.insert(rng.randrange(len(words) + 1), rng.choice(EN_TOPIC))
            if mention:
                words.insert(rng.randrange(len(words) + 1), rng.choice(names))
            text = " ".join(words).capitalize() + rng.choice([".", "!", "?", "!!", ""])
        posts.append(Post(ts=ts, source=rng.choice(["reddit", "weibo", "twitter", "news"]), id=str(i), text=text,
                          lang="zh" if chinese else "en", kind="news" if rng.random() < 0.05 else "social"))
    return posts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--rules", type=int, default=300)
    ap.add_argument("--naive-posts", type=int, default=2_000, help="slice of the stream timed for the baseline")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    rule_specs = make_rules(args.rules, rng)
    posts = make_posts(args.posts, rng)

    t0 = time.perf_counter()
    rs = compile_rules({"brands": BRANDS, "rules": rule_specs}, file="bench")
    compile_s = time.perf_counter() - t0

    rs.match_many(posts[:1000])  # warm the character table and caches
    w0, t0 = time.perf_counter(), time.process_time()
    results = rs.match_many(posts)
    fast_s, fast_wall = time.process_time() - t0, time.perf_counter() - w0
    fast_rate = len(posts) / fast_s

    sample = posts[: args.naive_posts]
    ref = ReferenceEvaluator(rs.rules)
    t0 = time.process_time()
    naive = [ref.match(p) for p in sample]
    naive_s = time.process_time() - t0
    naive_rate = len(sample) / naive_s
    agree = naive == results[: len(sample)]

    out = {
        "rules": len(rs.rules), "posts": len(posts), "compile_s": round(compile_s, 3),
        "compiled_posts_per_s": round(fast_rate),
        "compiled_wall_posts_per_s": round(len(posts) / fast_wall), "naive_posts_per_s": round(naive_rate, 1),
        "naive_sample": len(sample), "speedup": round(fast_rate / naive_rate, 1),
        "posts_matched": sum(1 for r in results if r), "matches": sum(len(r) for r in results),
        "agree_on_sample": agree, "target_posts_per_s": 50_000,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['rules']} rules compiled in {compile_s * 1000:.0f} ms")
        print(f"compiled matcher: {len(posts):,} posts in {fast_s:.2f} s CPU = {fast_rate:,.0f} posts/s "
              f"(wall clock {out['compiled_wall_posts_per_s']:,} posts/s; {out['posts_matched']:,} posts matched, "
              f"{out['matches']:,} rule matches)")
        print(f"naive per-rule regex: {len(sample):,} posts in {naive_s:.2f} s CPU = {naive_rate:,.1f} posts/s")
        print(f"speedup: {out['speedup']}x; results agree on the naive slice: {agree}; "
              f"target 50,000 posts/s: {'met' if fast_rate >= 50_000 else 'NOT met'}")
    if not agree:
        raise SystemExit("compiled and naive results differ")


if __name__ == "__main__":
    main()
