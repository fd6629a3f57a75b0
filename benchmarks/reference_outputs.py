"""Reference outputs for speed work: a change that only makes the pipeline faster must leave them byte for byte.

``gen`` replays recordings through this tree's code and writes, per case: report.json, report.html, the dry
drill's terminal alerts and a dump of every table of the drill's SQLite state (incidents with their
last_signal_at, signals, posts, baselines, notifications, ...); and, through the engine alone (the
tests/scenarios runner), every alert with its evidence plus the store dump. ``diff`` compares two such
directories after masking what the wall clock writes (send times, wall seconds, drill ids, the tree's path).

Cases: the demo feed, pipeline_bench's 50k feed (constant scorer), a recording of the tests/scenarios
generators (busy week, bursts, syndicated story, launch, angry author, trend, stock moves with a benchmark)
and a composed drill (product-safety-rumour over a 30k baseline); each under detection both / fixed / adaptive,
straight through and killed half-way then resumed; some with per-category scope.

    git worktree add ../base main        # or any other tree to compare against
    (cd ../base && python benchmarks/reference_outputs.py gen /tmp/ref-a --feeds /tmp/ref-feeds)
    python benchmarks/reference_outputs.py gen /tmp/ref-b --feeds /tmp/ref-feeds
    python benchmarks/reference_outputs.py diff /tmp/ref-a /tmp/ref-b      # exit status 1 on any difference
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import io
import json
import re
import shutil
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from monitor.alerts.settings import BrandEngineConfig  # noqa: E402
from monitor.config import load_for_cli  # noqa: E402
from monitor.drill import run_drill  # noqa: E402
from monitor.logs import setup_logging  # noqa: E402
from monitor.models import Sentiment  # noqa: E402

MODES = ("both", "fixed", "adaptive")


class ConstantScorer:
    model_id = "constant"

    def score(self, texts: list[str], langs: list[str | None] | None = None, polar: Any = None) -> list[Sentiment]:
        return [Sentiment("negative", 0.9, self.model_id) for _ in texts]


class MixScorer:
    """Deterministic mixed labels: 'love'/'great'/新品 positive, else by a hash (scores spread) negative or neutral."""

    model_id = "mix"

    def score(self, texts: list[str], langs: list[str | None] | None = None, polar: Any = None) -> list[Sentiment]:
        out = []
        for t in texts:
            h = int(hashlib.md5(t.encode()).hexdigest()[:8], 16)
            if re.search(r"(?i)love|great|新品", t):
                out.append(Sentiment("positive", 0.8, self.model_id))
            elif h % 10 < 7:
                out.append(Sentiment("negative", 0.5 + (h % 50) / 100, self.model_id))
            else:
                out.append(Sentiment("neutral", 0.6, self.model_id))
        return out


class Kill(Exception):
    """Stops a drill half-way, as a crash would (the next run resumes from the stored cursor)."""


def make_feeds(feeds: Path) -> dict[str, Path]:
    """The recordings (written once into ``feeds`` and reused, so two trees replay the same bytes)."""
    import pipeline_bench
    import scenario_bench

    from monitor.drills.compose import compose
    from monitor.drills.scenario import load_scenario
    from tests.scenarios import generator as g

    feeds.mkdir(parents=True, exist_ok=True)
    bench, scen, composed = feeds / "bench50k.jsonl", feeds / "scenarios.jsonl", feeds / "composed.jsonl"
    if not bench.exists():
        pipeline_bench.make_feed(bench, 50_000, 0.2)
    if not scen.exists():
        t0 = g.T0
        day6 = t0 + timedelta(days=6, hours=15, minutes=7)
        items = [*g.busy_week(), *g.burst(day6, count=200, minutes=50),
                 g.scored(day6 - timedelta(minutes=37), "n1", "Acme faces questions over kettle leaks", kind="news",
                          outlet="daily.example", source="rss", author="desk"),
                 *g.syndicated(t0 + timedelta(days=2, hours=10), outlets=20),
                 *g.positive_launch(t0 + timedelta(days=3, hours=9)),
                 *g.burst(t0 + timedelta(days=4, hours=10), count=25, minutes=30, one_author=True, name="angry"),
                 *g.burst(t0 + timedelta(days=4, hours=20), count=12, minutes=30, name="twelve", source="reddit"),
                 g.trend(t0 + timedelta(days=5, hours=1), "Acme kettle leak", negative=True),
                 g.quote(t0 + timedelta(days=5, hours=14), "SPX", -5.6),
                 g.quote(t0 + timedelta(days=5, hours=14, minutes=1), "ACME", -6.2, brands=("acme",)),
                 g.quote(t0 + timedelta(days=5, hours=18), "SPX", -0.3),
                 g.quote(t0 + timedelta(days=5, hours=18, minutes=1), "ACME", -6.2, brands=("acme",))]
        g.write_recording(sorted(items, key=lambda x: x.ts), scen)
    if not composed.exists():
        base = feeds / "baseline.jsonl"
        scenario_bench.write_baseline(base, 30_000, 0.05)
        scenario = load_scenario(ROOT / "examples" / "scenarios" / "product-safety-rumour.yaml")
        compose(scenario, scenario_bench.AT, composed, baseline=base, seed=1)
    return {"demo": ROOT / "examples" / "acme-48h.jsonl", "bench": bench, "scenarios": scen, "composed": composed}


def dump_db(path: Path) -> str:
    """Every table, every row (sorted), as text."""
    con = sqlite3.connect(path)
    out = []
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall():
        cur = con.execute(f'SELECT * FROM "{table}"')
        rows = cur.fetchall()
        out.append(f"== {table} ({len(rows)}) {[d[0] for d in cur.description]}")
        out.extend(sorted(repr(r) for r in rows))
    con.close()
    return "\n".join(out) + "\n"


VOLATILE = ("wall_seconds", "speedup", "generated_at", "finished_at", "drill_id")


def scrub(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: ("<v>" if k in VOLATILE else scrub(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    return obj


async def drill_case(out: Path, feed: Path, scorer: Any, detection: str, scope: str, restart: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_for_cli(None, ROOT / "keywords.yaml")
        eng = loaded.config.engine
        eng.detection, eng.scope = detection, scope  # type: ignore[assignment]
        eng.brands = {"acme": BrandEngineConfig(benchmark="SPX")}
        rdir = Path(tmp) / "r"
        buf = io.StringIO()
        lines = sum(1 for _ in feed.open(encoding="utf-8"))
        with contextlib.redirect_stdout(buf):
            if restart:
                def kill(line: int) -> None:
                    if line >= lines // 2:
                        raise Kill
                with contextlib.suppress(Kill):
                    await run_drill(loaded, feed, report_dir=rdir, scorer=scorer, color=False, fresh=True,
                                    progress=kill, history=False)
                loaded = load_for_cli(None, ROOT / "keywords.yaml")
                loaded.config.engine = eng
                print("---- restart ----")
            report = await run_drill(loaded, feed, report_dir=rdir, scorer=scorer, color=False, fresh=not restart,
                                     history=False)
        out.mkdir(parents=True, exist_ok=True)
        text = json.dumps(scrub(report), indent=1, sort_keys=True, ensure_ascii=False)
        (out / "report.json").write_text(text.replace(tmp, "<tmp>"), encoding="utf-8")
        html = (rdir / "report.html").read_text(encoding="utf-8")
        (out / "report.html").write_text(html.replace(tmp, "<tmp>"), encoding="utf-8")
        (out / "stdout.txt").write_text(buf.getvalue().replace(tmp, "<tmp>"), encoding="utf-8")
        (out / "state.txt").write_text(dump_db(rdir / "drill-state.db").replace(tmp, "<tmp>"), encoding="utf-8")


def engine_cases(out: Path) -> None:
    """The tests/scenarios stories through the engine alone: every alert with its evidence, and the store."""
    from tests.scenarios import generator as g
    from tests.scenarios.runner import Runner

    t0 = g.T0
    day6 = t0 + timedelta(days=6, hours=15, minutes=7)
    start = t0 + timedelta(days=2, hours=10)
    news = g.scored(day6 - timedelta(minutes=37), "n1", "Acme faces questions over kettle leaks", kind="news",
                    outlet="daily.example", source="rss", author="desk")
    rumour = g.scored(start - timedelta(minutes=5), "n1", "Acme kettle recall rumours", kind="news",
                      outlet="d.example", source="rss")
    scoop = g.scored(start + timedelta(minutes=50), "scoop", "Former Acme engineer says shock risk was known",
                     kind="news", outlet="investigates.example", source="rss", category="safety")
    cases: dict[str, tuple[list[Any], Any, dict[str, Any]]] = {
        "busy": (g.busy_week(), t0 + timedelta(days=3, hours=11), {}),
        "burst": (g.busy_week() + g.burst(day6, count=200, minutes=50), day6 + timedelta(minutes=4), {}),
        "burst_open": ([*g.busy_week(), news, *g.burst(day6, count=110, minutes=50)], day6 + timedelta(minutes=3),
                       {}),
        "launch": ([*g.quiet_history(), rumour, *g.positive_launch(start)], start + timedelta(minutes=12), {}),
        "twelve": (g.quiet_history() + g.burst(start, count=12, minutes=30, name="twelve"),
                   start + timedelta(minutes=10), {}),
        "angry": (g.quiet_history() + g.burst(start, count=25, minutes=30, one_author=True, name="angry"),
                  start + timedelta(minutes=10), {}),
        "wire": (g.quiet_history() + g.syndicated(start, outlets=20) + [scoop], start + timedelta(minutes=45), {}),
        "stock": ([g.quote(t0 + timedelta(hours=14), "SPX", -0.3),
                   g.quote(t0 + timedelta(hours=14, minutes=1), "ACME", -6.2, brands=("acme",))],
                  t0 + timedelta(hours=14, minutes=1), {"brands": {"acme": {"benchmark": "SPX"}}}),
        "cats": (g.busy_week(days=3) + g.burst(t0 + timedelta(days=2, hours=15), count=80, minutes=40),
                 t0 + timedelta(days=2, hours=15, minutes=5), {"scope": "category", "per_author": 2}),
    }
    for name, (items, restart_at, cfg) in cases.items():
        for mode in MODES:
            for restart in (False, True):
                with tempfile.TemporaryDirectory() as tmp:
                    r = Runner(Path(tmp) / "s.db", detection=mode, **cfg).play(
                        items, restart_at=restart_at if restart else None)
                    d = out / f"engine-{name}-{mode}-{'restart' if restart else 'straight'}"
                    d.mkdir(parents=True, exist_ok=True)
                    alerts = [{**dataclasses.asdict(a), "playbook": None} for a in r.alerts]
                    (d / "alerts.json").write_text(json.dumps(alerts, indent=1, default=str, ensure_ascii=False,
                                                              sort_keys=True), encoding="utf-8")
                    r.store.close()
                    (d / "state.txt").write_text(dump_db(Path(tmp) / "s.db"), encoding="utf-8")


def gen(out: Path, feeds_dir: Path) -> None:
    setup_logging(-1)
    if out.exists():
        shutil.rmtree(out)
    feeds = make_feeds(feeds_dir)
    engine_cases(out)
    plan = [("demo", MixScorer(), "brand"), ("demo", ConstantScorer(), "category"),
            ("bench", ConstantScorer(), "brand"), ("scenarios", MixScorer(), "brand"),
            ("scenarios", ConstantScorer(), "category"), ("composed", MixScorer(), "brand")]
    for feed, scorer, scope in plan:
        for mode in MODES:
            for restart in (False, True):
                name = f"drill-{feed}-{scorer.model_id}-{scope}-{mode}-{'restart' if restart else 'straight'}"
                asyncio.run(drill_case(out / name, feeds[feed], scorer, mode, scope, restart))
                print(name, file=sys.stderr, flush=True)


def masked(p: Path, tree: str) -> str:
    """What the wall clock and the checkout's place write, masked: the outputs proper stay."""
    text = p.read_text(encoding="utf-8").replace(tree, "<tree>")
    if p.name == "state.txt":  # a delivery's send time (SystemClock), the process's instance id
        text = re.sub(r"(\('[^']*', '\w+', 'sent', \d+, [\d.]+, (?:None|'[^']*'), )[\d.]+", r"\1<sent>", text)
        text = re.sub(r"\('instance_id', '\w+'\)", "('instance_id', <id>)", text)
    if p.name == "report.html":
        text = re.sub(r"[\d.]+ s wall time \(speed-up [\d.]+x\)", "<wall>", text)
        text = re.sub(r"Drill <code>[^<]*</code>", "Drill <id>", text)
    return text


def diff(a: Path, b: Path) -> int:
    trees = [json.loads((d / "tree.json").read_text())["tree"] for d in (a, b)]
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "tree.json")
    other = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "tree.json")
    bad = 0
    if files != other:
        print("only in one:", sorted(set(files) ^ set(other)))
        bad += 1
    for f in files:
        if (b / f).exists() and masked(a / f, trees[0]) != masked(b / f, trees[1]):
            print("differs:", f)
            bad += 1
    print(f"{len(files)} files compared, {bad} differences")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write this tree's outputs into OUT")
    g.add_argument("out", type=Path)
    g.add_argument("--feeds", type=Path, default=Path(tempfile.gettempdir()) / "reference-feeds",
                   help="where the recordings are written once and reused (share it between trees)")
    d = sub.add_parser("diff", help="compare two gen directories")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "gen":
        gen(args.out, args.feeds)
        (args.out / "tree.json").write_text(json.dumps({"tree": str(ROOT) + "/"}))
    else:
        sys.exit(diff(args.a, args.b))


if __name__ == "__main__":
    main()
