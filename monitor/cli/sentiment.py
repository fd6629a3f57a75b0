"""`monitor sentiment score TEXT...` and `monitor sentiment eval FILE.tsv`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError, MonitorError


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="take the sentiment settings from this monitor.yaml")
    p.add_argument("--model",
                   help="builtin (default), builtin:en, builtin:en-fast, builtin:multi, builtin:multi-fast, "
                        "a Hugging Face model id or a local directory")
    p.add_argument("--backend", choices=["onnx", "torch"],
                   help="onnx: ONNX Runtime fast path (default); torch: fp32 reference")
    p.add_argument("--lang", help="language of every text (default: detect per text)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    p.add_argument("--cache-dir", type=Path,
                   help="where ONNX builds are cached (default: $XDG_CACHE_HOME/brand-monitor)")


def _scorer(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from monitor.errors import Problem
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    base = SentimentConfig()
    if args.config is not None:
        from monitor.config import load_config

        base = load_config(args.config).config.sentiment
    given = {"model": args.model, "backend": args.backend, "batch_size": args.batch_size, "threads": args.threads,
             "cache_dir": args.cache_dir}
    try:
        settings = {**base.model_dump(exclude_unset=True), **{k: v for k, v in given.items() if v is not None}}
        cfg = SentimentConfig(**settings)
    except ValidationError as exc:
        raise ConfigError([Problem("command line", ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) \
            from None
    return load_scorer(cfg)


def cmd_score(args: argparse.Namespace) -> int:
    scorer = _scorer(args)
    results = scorer.score(args.texts, [args.lang] * len(args.texts) if args.lang else None)
    for text, s in zip(args.texts, results, strict=True):
        if args.json:
            print(json.dumps({"text": text, "label": s.label, "score": round(s.score, 4), "model": s.model,
                              "lang": s.lang}, ensure_ascii=False))
        else:
            print(f"{s.label:<8} {s.score:.2f}  [{s.lang or '?'}]  {text}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from monitor.nlp.sentiment.training.data import Example, iter_tsv
    from monitor.nlp.sentiment.training.metrics import evaluate, format_report

    examples: list[Example] = []
    skipped = 0
    for item in iter_tsv(args.file):
        if isinstance(item, Example):
            examples.append(item)
        else:
            skipped += 1
            print(f"warning: {item}", file=sys.stderr)
    if not examples:
        raise MonitorError(f"{args.file}: no valid examples to evaluate")
    scorer = _scorer(args)
    binary = args.binary == "on" or (args.binary == "auto" and all(e.label != "neutral" for e in examples))
    if binary:
        print(f"{args.file}: a binary set (no neutral gold labels): each text is scored negative or positive, "
              "whichever is likelier (--binary off lets neutral predictions count as errors)", file=sys.stderr)
    started = time.monotonic()
    texts = [e.text for e in examples]
    preds = scorer.score(texts, [args.lang] * len(texts) if args.lang else None,
                         [True] * len(texts) if binary else None)
    seconds = time.monotonic() - started
    report = evaluate([e.label for e in examples], [p.label for p in preds])
    report.update(skipped=skipped, model=scorer.model_id, backend=scorer.backend, file=str(args.file),
                  seconds=round(seconds, 2), binary=binary)
    print(format_report(report), file=sys.stderr)
    print(f"{args.file}: {report['n']} examples, accuracy {report['accuracy']:.4f}, macro-F1 "
          f"{report['macro_f1']:.4f}, macro-recall {report['macro_recall']:.4f} ({seconds:.1f} s)", file=sys.stderr)
    print(json.dumps(report))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sentiment", help="score texts with the sentiment model, or evaluate it on a labelled TSV")
    inner = p.add_subparsers(dest="sentiment_command", metavar="ACTION")
    inner.required = True
    score = inner.add_parser("score", help="print label and probability for each TEXT")
    score.add_argument("texts", nargs="+", metavar="TEXT")
    score.add_argument("--json", action="store_true", help="one JSON object per text")
    _add_model_options(score)
    score.set_defaults(func=cmd_score)
    ev = inner.add_parser("eval", help="score a TSV (header label<TAB>text) and print metrics as JSON (last line)")
    ev.add_argument("file", type=Path, metavar="FILE.tsv")
    ev.add_argument("--binary", choices=["auto", "on", "off"], default="auto",
                    help="score as a two-sided (negative/positive) question: auto (default) when the file has "
                         "no neutral gold labels, as review sets do; off: neutral predictions count as errors")
    _add_model_options(ev)
    ev.set_defaults(func=cmd_eval)
