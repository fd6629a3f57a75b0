"""The command line's contract: --version, exit codes, --json, completion, progress."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import __version__
from monitor.cli import EPILOG, build_parser, main
from monitor.cli.completion import script
from monitor.cli.progress import LineProgress, ModelBuildProgress, announce_model_builds
from tests.support import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def monitor(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *argv], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=300)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"monitor (brand-monitor) {__version__}\n"


@pytest.mark.parametrize("argv", [["bogus"], ["check", "--no-such-option"], ["drill"], [], ["sources", "show"]])
def test_usage_errors_exit_64(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 64
    err = capsys.readouterr().err
    assert err.startswith("usage: monitor") and "error:" in err


def test_invalid_config_exits_2_and_a_runtime_error_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "monitor.yaml"
    bad.write_text("engine: {window: soon}\n")
    assert main(["check", "--config", str(bad)]) == 2
    assert main(["drill", str(tmp_path / "missing.jsonl")]) == 2  # invalid input
    assert "missing.jsonl: recording not found" in capsys.readouterr().err
    assert main(["drill", str(ROOT / "examples" / "acme-48h.jsonl"), "--speed", "fast"]) == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text("not json\n")
    assert main(["drill", str(empty), "--report", str(tmp_path / "r")]) == 1  # readable, but nothing to replay


def test_help_documents_exit_codes_and_never_cites_the_design_page() -> None:
    parser = build_parser()
    text = parser.format_help()
    assert "64  usage error" in text and "2   invalid configuration or input" in text and EPILOG in text
    subs = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    helps = [text] + [p.format_help() for p in subs.values()]
    for p in subs.values():
        for a in p._actions:
            if hasattr(a, "choices") and isinstance(a.choices, dict):
                helps += [q.format_help() for q in a.choices.values()]
    assert not [h.splitlines()[0] for h in helps if "DESIGN" in h]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "DESIGN.md" not in readme and "| 64 |" in readme


def test_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "monitor.yaml"
    good.write_text("store: {path: m.db}\nnotifiers: [{kind: terminal}]\n")
    assert main(["check", "--config", str(good), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["keywords"]["brands"] == ["acme"] and data["notifiers"] == [
        {"name": "terminal", "kind": "terminal"}]
    assert data["store"] == str(tmp_path / "m.db")
    good.write_text("engine: {window: soon}\n")
    assert main(["check", "--config", str(good), "--json"]) == 2
    out = capsys.readouterr().out
    assert json.loads(out) == {"ok": False, "problems": [
        {"file": str(good), "place": "line 1 (engine.window)",
         "message": "not a duration: 'soon' (write e.g. 30s, 15m, 1h, 3d, 7w)", "excerpt": ""}]}


def test_drill_json_prints_the_report_alone_on_stdout(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = (ROOT / "examples" / "acme-48h.jsonl").read_text(encoding="utf-8").splitlines()[:120]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = monitor("drill", str(feed), "--report", str(tmp_path / "r"), "--json", "--no-color", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    report = json.loads(proc.stdout)
    assert report == json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["notifications"] and "━" not in proc.stdout  # the dry alerts went to stderr
    assert report["notifications"][0]["brand"] == "acme"


def test_completion_scripts_complete_commands_actions_and_options(tmp_path: Path) -> None:
    bash = tmp_path / "c.bash"
    bash.write_text(script("bash"))

    def complete(*words: str) -> list[str]:
        arr = " ".join(f"'{w}'" for w in ["monitor", *words])
        cmd = f"source {bash}; COMP_WORDS=({arr}); COMP_CWORD={len(words)}; _monitor_complete; " \
              'printf "%s\\n" "${COMPREPLY[@]}"'
        return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=True).stdout.split()

    assert complete("no") == ["notifiers"]
    assert complete("notifiers", "") == ["list", "show", "-h", "--help"] or set(complete("notifiers", "")) >= {
        "list", "show"}
    assert "--json" in complete("drill", "feed.jsonl", "--")
    assert complete("brands", "add", "--al") == ["--alias"]
    assert "--version" in complete("--")
    assert script("zsh").startswith("#compdef monitor\n") and "_monitor_complete" in script("zsh")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_model_build_is_announced_at_the_default_level_with_a_ticker_on_a_terminal() -> None:
    logger = logging.getLogger("monitor.nlp.sentiment.loading")
    saved = logger.level
    try:
        logger.setLevel(logging.NOTSET)
        logging.getLogger().setLevel(logging.WARNING)
        stream = FakeTty()
        announce_model_builds(io.StringIO())  # not a terminal: the level only
        assert logger.isEnabledFor(logging.INFO)
        handler = ModelBuildProgress(stream)
        handler.emit(logging.makeLogRecord({"msg": "first use of %s: building its ONNX fast path", "args": ("m",)}))
        assert handler.ticker is not None
        handler.ticker.every = 0.01
        import time

        time.sleep(0.8)
        handler.emit(logging.makeLogRecord({"msg": "built ONNX sentiment model x in 3 s (cached for next time)"}))
        assert handler.ticker is None
        assert "building the sentiment model's fast path (once) ... " in stream.getvalue()
    finally:
        logger.setLevel(saved)


def test_line_progress_shows_the_share_done_and_clears_its_line() -> None:
    stream = FakeTty()
    progress = LineProgress(stream, 1000)
    progress(250)
    progress(260)  # within 0.1 s: not redrawn
    progress(1000)  # the end is always shown
    progress.close()
    assert stream.getvalue() == "\rdrill: line 250 of 1,000 (25%)\rdrill: line 1,000 of 1,000 (100%)\r\x1b[K"


def test_a_drill_reports_the_line_it_reached(tmp_path: Path) -> None:
    import asyncio

    from monitor.config import load_for_cli
    from monitor.drill import run_drill

    feed = tmp_path / "feed.jsonl"
    lines = (ROOT / "examples" / "acme-48h.jsonl").read_text(encoding="utf-8").splitlines()[:200]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[int] = []
    asyncio.run(run_drill(load_for_cli(None), feed, report_dir=tmp_path / "r", color=False, progress=seen.append))
    assert seen and seen == sorted(seen) and seen[-1] == 200
    stream = FakeTty()
    progress = LineProgress(stream, 200)
    for line in seen:
        progress(line)
    assert stream.getvalue().endswith("drill: line 200 of 200 (100%)")
