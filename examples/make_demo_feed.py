"""Generate examples/acme-48h.jsonl: the bundled 48-hour recording of a fictional crisis.

Acme (艾克美), a maker of electric kettles, has a quiet day; then leaking, shocking
kettles flood Weibo (blue), a tech news site picks the story up (yellow), the story
enters Weibo's and Baidu's hot lists while the stock falls more than 5% (red), Acme
answers, and talk dies down (all-clear). Day two is calm but for a small grumble that
stays under every threshold. Seeded, so the file is reproducible:

    python examples/make_demo_feed.py > examples/acme-48h.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
rng = random.Random(20260302)
events: list[dict] = []
counter = 0


def ts(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat(timespec="seconds").replace("+00:00", "Z")


def post(m: float, source: str, text: str, *, kind: str = "social", lang: str = "en", reposts: int = 0,
         likes: int = 0, replies: int = 0, title: str | None = None, outlet: str | None = None,
         author: str | None = None) -> None:
    global counter
    counter += 1
    pid = f"{source[:2]}{counter:05d}"
    host = outlet or f"{source}.example"
    events.append({"type": "post", "ts": ts(m), "source": source, "id": pid, "text": text, "title": title,
                   "author": author or f"user{rng.randint(100, 999)}", "url": f"https://{host}/{pid}",
                   "lang": lang, "kind": kind, "outlet": outlet, "reposts": reposts, "likes": likes,
                   "replies": replies})


NEUTRAL_EN = [
    "Does anyone know if the Acme kettle comes with a two-year warranty?",
    "Comparing the Acme kettle with a couple of others before I buy one.",
    "Acme opened a new store downtown this week.",
    "Which Acme kettle model do you have, the 1.7 litre one?",
    "Acme kettle arrived today, unboxing it tonight.",
    "Is the Acme travel kettle allowed in hand luggage?",
]
POSITIVE_EN = [
    "Love my new Acme kettle, boils water in two minutes!",
    "The Acme kettle looks great on my counter, very happy with it.",
    "Acme support replaced my lid within a day, excellent service.",
    "Three years with my Acme kettle and it still works perfectly.",
]
NEUTRAL_ZH = ["艾克美水壶在打折吗？", "有人用过艾克美的电水壶吗？", "艾克美新款水壶下周上市。",
              "艾克美水壶有几种颜色？"]
POSITIVE_ZH = ["艾克美的水壶烧水很快，很满意！", "艾克美新款水壶颜值很高，推荐。", "用了两年艾克美水壶，一直很好用。"]
UNRELATED = [
    ("reddit", "What is the best tea to drink in the morning?", "en"),
    ("x", "Traffic on the bridge is terrible again today.", "en"),
    ("mastodon", "Just finished a great book about the history of tea.", "en"),
    ("weibo", "今天天气真好，适合出去走走。", "zh"),
    ("hackernews", "Show HN: a tiny static site generator", "en"),
]
GRUMBLE_EN = [
    "Acme delivery was two days late, not impressed.",
    "Acme customer service kept me on hold for 40 minutes, so frustrating.",
    "My Acme kettle lid squeaks, annoying.",
]

# -- background chatter, both days -------------------------------------------------------------
for hour in range(48):
    for _ in range(rng.randint(2, 4)):
        m = hour * 60 + rng.uniform(0, 59)
        roll = rng.random()
        if roll < 0.3:
            post(m, rng.choice(["reddit", "x", "mastodon"]), rng.choice(NEUTRAL_EN))
        elif roll < 0.5:
            post(m, rng.choice(["reddit", "x", "appstore"]), rng.choice(POSITIVE_EN),
                 kind="review" if roll < 0.35 else "social", likes=rng.randint(0, 20))
        elif roll < 0.7:
            post(m, "weibo", rng.choice(NEUTRAL_ZH + POSITIVE_ZH), lang="zh", likes=rng.randint(0, 30))
        else:
            src, text, lang = rng.choice(UNRELATED)
            post(m, src, text, lang=lang)
    if hour % 5 == 2:  # the odd complaint, never near a threshold
        post(hour * 60 + rng.uniform(0, 59), rng.choice(["reddit", "x"]), rng.choice(GRUMBLE_EN))

# -- 09:40-10:35 day 1: leaking kettles flood Weibo (blue) ----------------------------------------
WEIBO_COMPLAINTS = [
    "艾克美水壶用了三天就漏水，质量太差了！",
    "刚买的艾克美电水壶底座漏电，手都麻了，太危险了！",
    "艾克美水壶漏水把桌子都泡坏了，垃圾产品",
    "艾克美的客服根本不理人，漏水的水壶退货被拒，气死了",
    "艾克美电水壶漏电，差点出事，大家千万别买！",
    "又一个艾克美水壶坏了，底部一直漏水，太失望了",
    "艾克美水壶插上电就跳闸，漏电严重，质量堪忧",
    "艾克美这批水壶肯定有问题，我家的也漏水了，愤怒",
    "艾克美水壶漏电电到我妈了，太可怕了，必须给个说法",
    "艾克美水壶质量太差，漏水漏电，再也不买了",
    "艾克美电水壶漏电伤人，这是严重的安全问题！",
    "艾克美水壶壶底漏水，还闻到烧焦味，吓死了",
    "艾克美水壶漏电事件越来越多，官方为什么不回应？",
]
for i, text in enumerate(WEIBO_COMPLAINTS):
    post(9 * 60 + 40 + i * 4.5, "weibo", text, lang="zh", reposts=rng.randint(0, 2), likes=rng.randint(5, 60),
         replies=rng.randint(1, 10))

# -- 10:50-11:40: the story reaches X and Reddit; 11:20 a news site picks it up (yellow) --------------
EN_COMPLAINTS = [
    "My Acme kettle started leaking and gave me an electric shock. Dangerous!",
    "Acme kettle leaking all over my counter, and now it trips the breaker. Awful.",
    "Anyone else's Acme kettle leaking? Mine shocked me this morning, terrible quality.",
    "Acme support refuses to replace my leaking kettle. Worst customer service ever.",
    "Acme kettles are leaking and shocking people and the company says nothing. Disgraceful.",
    "Stop using your Acme kettle, mine leaked and sparked. This is a safety hazard.",
]
for i, text in enumerate(EN_COMPLAINTS):
    post(10 * 60 + 50 + i * 6, "x" if i % 2 else "reddit", text, reposts=rng.randint(1, 3),
         likes=rng.randint(10, 80), replies=rng.randint(2, 20))
post(11 * 60 + 20, "rss", "Customers report Acme electric kettles leaking and giving electric shocks; several say "
     "they were hurt and that Acme has not responded.", title="Acme kettles leak and shock users, customers say",
     kind="news", outlet="dailytech.example", author="Dailytech staff", lang="en")

# -- 11:40-13:20: it spreads; reposts climb ---------------------------------------------------------
SPREAD = [
    ("x", "Acme kettles are shocking people and Acme stays silent. Shameful.", "en"),
    ("weibo", "艾克美水壶漏电的事上新闻了，官方还不道歉，太过分了", "zh"),
    ("reddit", "PSA: unplug your Acme kettle, reports of leaks and electric shocks everywhere.", "en"),
    ("weibo", "艾克美必须召回漏电的水壶！太危险了", "zh"),
    ("x", "Terrible: my neighbour's Acme kettle leaked and burned her hand.", "en"),
    ("mastodon", "Acme kettle leaked and shocked me too. Furious with this company.", "en"),
    ("weibo", "艾克美水壶漏电伤人，质量问题这么严重，监管部门管管吧", "zh"),
    ("x", "Acme's silence about its dangerous leaking kettles is outrageous.", "en"),
]
for i, (src, text, lang) in enumerate(SPREAD):
    post(11 * 60 + 40 + i * 12, src, text, lang=lang, reposts=rng.randint(8, 25), likes=rng.randint(50, 400),
         replies=rng.randint(10, 80))

# -- 13:30-15:30: trending on Weibo and Baidu (red); 14:30 the stock is down more than 5% -----------
for i in range(13):
    events.append({"type": "trend", "ts": ts(13 * 60 + 30 + i * 10), "source": "weibo_hot",
                   "word": "艾克美水壶漏电", "rank": max(2, 9 - i)})
for i in range(4):
    events.append({"type": "trend", "ts": ts(14 * 60 + i * 20), "source": "baidu_hot",
                   "word": "艾克美 电水壶 漏电", "rank": 12 - 2 * i})
PRICES_DAY1 = [99.1, 97.0, 94.2, 93.6, 94.8, 95.6, 95.9, 96.2, 96.0, 96.3, 96.1, 96.0, 96.0, 96.0]
for i, price in enumerate(PRICES_DAY1):
    events.append({"type": "quote", "ts": ts(13 * 60 + 30 + i * 30), "source": "market", "symbol": "ACME",
                   "price": price, "prev_close": 100.0})
PRICES_DAY2 = [96.4, 96.8, 97.1, 97.0, 97.3, 97.6, 97.4, 97.8, 97.9, 98.0, 98.1, 98.0, 98.2, 98.3]
for i, price in enumerate(PRICES_DAY2):
    events.append({"type": "quote", "ts": ts(24 * 60 + 13 * 60 + 30 + i * 30), "source": "market", "symbol": "ACME",
                   "price": price, "prev_close": 96.0})
PEAK = [
    ("weibo", "艾克美水壶漏电上热搜了，活该，太不负责任了", "zh"),
    ("x", "Acme kettle shock story is everywhere now. Dangerous product, awful response.", "en"),
    ("reddit", "Acme is trending for electric shocks from its kettles. Terrible.", "en"),
    ("weibo", "艾克美股价都跌了，漏电水壶害人不浅", "zh"),
]
for i, (src, text, lang) in enumerate(PEAK):
    post(13 * 60 + 40 + i * 15, src, text, lang=lang, reposts=rng.randint(10, 30), likes=rng.randint(100, 900))

# -- 15:00-16:30: Acme answers; talk turns ------------------------------------------------------------
post(15 * 60, "rss", "Acme said it will replace every affected kettle free of charge and has asked an independent "
     "lab to test the batch.", title="Acme offers free replacement kettles", kind="news",
     outlet="dailytech.example", author="Dailytech staff")
post(15 * 60 + 5, "weibo", "艾克美官方回应：免费更换受影响的水壶，并请第三方检测。", lang="zh", reposts=40)
for i, (src, text, lang) in enumerate([
    ("x", "Good that Acme is replacing the kettles for free. Happy with how they handled it.", "en"),
    ("weibo", "艾克美这次处理得不错，已经给我换了新水壶，点赞", "zh"),
    ("reddit", "Got my free replacement from Acme already, great service.", "en"),
    ("x", "Still angry at Acme, my kettle shocked me and I only got a form letter.", "en"),
]):
    post(15 * 60 + 20 + i * 20, src, text, lang=lang, reposts=rng.randint(0, 4))

# -- day 2, 10:00: a small grumble that stays under every threshold -------------------------------------
for i in range(6):
    post(24 * 60 + 10 * 60 + i * 8, "reddit", GRUMBLE_EN[i % len(GRUMBLE_EN)], reposts=rng.randint(0, 2))

events.sort(key=lambda e: e["ts"])
lines = [json.dumps(e, ensure_ascii=False) for e in events]
# one broken line, as real recordings have: reported with its line number and skipped
lines.insert(len(lines) // 3, '{"type": "post", "ts": "yesterday", "source": "x", "id": "bad1", "text": "torn line"}')
sys.stdout.write("\n".join(lines) + "\n")
