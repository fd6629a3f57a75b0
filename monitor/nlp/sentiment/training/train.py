"""Reproduce the shipped sentiment adapters from ../shared/data with a fixed seed.

    python -m monitor.nlp.sentiment.training.train en    --data ../shared/data --out monitor/nlp/sentiment/artifacts/en
    python -m monitor.nlp.sentiment.training.train multi --data ../shared/data \
        --out monitor/nlp/sentiment/artifacts/multi

Each recipe (recipes.py) names a backbone, the genres it trains on (each genre's training
split only: validation parts are held out by monitor.nlp.sentiment.training.data), how many examples
to draw per genre and epoch, and the optimiser settings. Training is LoRA on every linear
layer plus LayerNorms and the mean-pool head, with dynamic padding and length-bucketed
batches, so one recipe runs in tens of minutes on two CPU cores. A checkpoint is written
every ``--save-every`` steps and picked up again by rerunning the same command.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path

import torch

from monitor.nlp.sentiment.backbones import backbone_dir, default_cache_dir
from monitor.nlp.sentiment.modeling import AdapterSpec, MeanPoolClassifier, add_lora, trainable_state
from monitor.nlp.sentiment.textprep import preprocessor
from monitor.nlp.sentiment.training.data import GENRES, LABEL_ID, LABELS, Example, load_genre
from monitor.nlp.sentiment.training.metrics import evaluate
from monitor.nlp.sentiment.training.recipes import RECIPES, Recipe

log = logging.getLogger("monitor.sentiment.train")


def build_vocab(data_dir: Path, out_file: Path) -> Path:
    """The e5 vocabulary to keep: every piece the training splits of all genres use (validation
    parts excluded, so validation sees unseen-text segmentation), single characters, top pieces."""
    import numpy as np
    from tokenizers import Tokenizer

    from monitor.nlp.sentiment.e5convert import vocab_to_keep

    full = Tokenizer.from_file(str(backbone_dir("e5", default_cache_dir()) / "tokenizer.json"))
    used: set[int] = set()
    for genre in GENRES.values():
        if genre.split != "random":  # another split of a file already listed: its rows are covered there
            continue
        train, _ = load_genre(data_dir, genre)
        for enc in full.encode_batch([e.text for e in train]):
            used.update(enc.ids)
    size = full.get_vocab_size()
    pieces = [(p, float(sc)) for p, sc in json.loads(full.to_str())["model"]["vocab"]]
    keep = vocab_to_keep(pieces, used)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_file, keep=keep)
    log.info("vocabulary: %d of %d pieces kept (%d used by the training splits)", len(keep), size, len(used))
    return out_file


def _draw(data_dir: Path, recipe: Recipe, seed: int) -> tuple[list[Example], dict[str, list[Example]]]:
    rng = random.Random(seed)
    train: list[Example] = []
    vals: dict[str, list[Example]] = {}
    for name in sorted(set(recipe.mix) | set(recipe.validate)):
        tr, va = load_genre(data_dir, GENRES[name])
        if name in recipe.validate:
            vals[name] = va
        if name in recipe.mix:
            take = recipe.mix[name] or len(tr)
            rng.shuffle(tr)
            train.extend(tr[:take])
    return train, vals


def bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort by length within windows of 50 batches, then shuffle the batches:
    little padding, yet every epoch sees a different order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _collate(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return input_ids, mask


@torch.no_grad()
def predict(model: torch.nn.Module, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> list[str]:
    model.eval()
    enc = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    out: list[str] = [""] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(enc[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        input_ids, mask = _collate([enc[i] for i in idx], tokenizer.pad_token_id)
        logits = model(input_ids, mask)
        for i, k in zip(idx, logits.argmax(-1).tolist(), strict=True):
            out[i] = LABELS[k]
    return out


def train(recipe: Recipe, data_dir: Path, out_dir: Path, seed: int, save_every: int, limit: int | None,
          init: Path | None = None, teacher: list[Path] | None = None, threads: int = 2) -> dict:
    from transformers import AutoTokenizer

    from monitor.nlp.sentiment.modeling import load_encoder

    torch.manual_seed(seed)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = build_vocab(data_dir, out_dir / "vocab.npz") if recipe.backbone == "e5" else None
    src = backbone_dir(recipe.backbone, default_cache_dir(), vocab)
    tokenizer = AutoTokenizer.from_pretrained(src)
    model = add_lora(MeanPoolClassifier(load_encoder(src, recipe.num_layers), len(LABELS)), recipe.lora_r,
                     recipe.lora_alpha)
    if init is not None:  # a second stage starts from an earlier stage's adapter
        from safetensors.torch import load_file

        model.load_state_dict({k: v.float() for k, v in load_file(str(init / "adapter.safetensors")).items()},
                              strict=False)
        log.info("initialised from %s", init)
    train_set, vals = _draw(data_dir, recipe, seed)
    if limit:
        train_set = train_set[:limit]
    prep = preprocessor(recipe.preprocess, f"recipe {recipe.model_id}") or (lambda text: text)
    prep_train = prep if recipe.preprocess_training else (lambda text: text)
    enc = tokenizer([prep_train(e.text) for e in train_set], truncation=True,
                    max_length=recipe.max_length)["input_ids"]
    labels = [LABEL_ID[e.label] for e in train_set]
    soft = None
    if recipe.distill:
        if not teacher:
            raise SystemExit(f"recipe {recipe.model_id} distills: give --teacher DIR (an adapter directory)")
        from monitor.nlp.sentiment.training.distill import ensemble_probabilities

        # raw texts: each teacher applies the normalisation it was itself trained with
        soft = torch.from_numpy(ensemble_probabilities(teacher, [e.text for e in train_set], out_dir, threads))
    epochs = [bucketed_batches([len(x) for x in enc], recipe.batch_size, rng) for _ in range(recipe.epochs)]
    if recipe.max_steps is not None:  # the first batches of shuffled epochs: a random subset of every genre
        flat_all = [b for ep in epochs for b in ep][: recipe.max_steps]
        epochs = [flat_all]
    total = sum(len(b) for b in epochs)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.01)
    warm = max(1, int(total * recipe.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / "checkpoint.pt"
    step = 0
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["trainable"], strict=False)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        log.info("resumed at step %d/%d", step, total)
    log.info("training %s on %d examples, %d steps, %d trainable params", recipe.model_id, len(train_set), total,
             sum(p.numel() for p in params))
    flat = [b for ep in epochs for b in ep]
    model.train()
    t0 = time.time()
    running = 0.0
    for i in range(step, total):
        idx = flat[i]
        input_ids, mask = _collate([enc[j] for j in idx], tokenizer.pad_token_id)
        target = torch.tensor([labels[j] for j in idx])
        logits = model(input_ids, mask)
        loss = torch.nn.functional.cross_entropy(logits, target)
        if soft is not None:
            kl = torch.nn.functional.kl_div(torch.log_softmax(logits, -1), soft[idx], reduction="batchmean")
            loss = (1 - recipe.distill) * loss + recipe.distill * kl
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        running = 0.98 * running + 0.02 * loss.item() if i > step else loss.item()
        if (i + 1) % 25 == 0:
            rate = (i + 1 - step) / (time.time() - t0)
            log.info("step %d/%d loss %.4f  %.2f steps/s  eta %.1f min", i + 1, total, running, rate,
                     (total - i - 1) / rate / 60)
        if (i + 1) % save_every == 0:
            torch.save({"trainable": trainable_state(model), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "rng": torch.get_rng_state(), "step": i + 1}, ckpt)
    scores = {}
    for name, val in vals.items():
        pred = predict(model, tokenizer, [prep(e.text) for e in val], recipe.max_length)
        scores[name] = evaluate([e.label for e in val], pred)
        log.info("validation %s: macro_f1 %.4f macro_recall %.4f acc %.4f", name, scores[name]["macro_f1"],
                 scores[name]["macro_recall"], scores[name]["accuracy"])
    from safetensors.torch import save_file

    save_file({k: v.to(torch.float16).contiguous() for k, v in trainable_state(model).items()},
              str(out_dir / "adapter.safetensors"))
    AdapterSpec(
        model_id=recipe.model_id, backbone=recipe.backbone, labels=list(LABELS), lora_r=recipe.lora_r,
        lora_alpha=recipe.lora_alpha, max_length=recipe.max_length, languages=recipe.languages,
        quantize=recipe.quantize, num_layers=recipe.num_layers, preprocess=recipe.preprocess,
        train={"seed": seed, "distill": recipe.distill,
               "teacher": (str(teacher[0]) if len(teacher) == 1 else [str(t) for t in teacher]) if teacher else None,
               "mix": recipe.mix, "epochs": recipe.epochs, "max_steps": recipe.max_steps, "lr": recipe.lr,
               "training_texts": recipe.preprocess if recipe.preprocess and recipe.preprocess_training else "raw",
               "batch_size": recipe.batch_size, "steps": total, "examples": len(train_set),
               "minutes": round((time.time() - t0) / 60, 1),
               "validation": {k: {m: round(v[m], 4) for m in ("macro_f1", "macro_recall", "accuracy")}
                              for k, v in scores.items()},
               "previous_stage": AdapterSpec.read(init / "adapter.json").train if init else None},
    ).write(out_dir / "adapter.json")
    ckpt.unlink(missing_ok=True)
    return scores


def calibrate(recipe_name: str, data_dir: Path, out_dir: Path, threads: int,
              backend: str = "torch") -> dict[str, dict[str, object]]:
    """Choose the adapter's logit offsets on the calibration halves, score the report halves (``backend``
    onnx: on the int8 path that production runs, whose logits drift a little from the torch reference)."""

    from monitor.nlp.sentiment.config import SentimentConfig
    from monitor.nlp.sentiment.loading import load_builtin
    from monitor.nlp.sentiment.spec import AdapterSpec
    from monitor.nlp.sentiment.training import calibrate as cal

    recipe = RECIPES[recipe_name]
    spec_file = out_dir / "adapter.json"
    spec = AdapterSpec.read(spec_file)
    spec.logit_bias = [0.0, 0.0, 0.0]
    spec.preprocess = recipe.preprocess  # offsets are chosen on texts as the model will score them
    spec.model_id = recipe.model_id
    spec.write(spec_file)
    clf = load_builtin(recipe_name, SentimentConfig(backend=backend, threads=threads, batch_size=128),  # type: ignore[arg-type]
                       folder=out_dir)
    cal_halves, rep_halves = cal.score_halves(clf.probabilities, data_dir, recipe.validate)
    cal_sets = {k: (logp, gold) for k, (logp, gold, _) in cal_halves.items()}
    rep_sets = {k: (logp, gold) for k, (logp, gold, _) in rep_halves.items()}
    chosen = {k: v for k, v in cal_sets.items() if k in recipe.calibrate_on}
    objective_spec = cal.Objective(recipe.weight_recall, recipe.weight_negative, recipe.negative_precision)
    bias, objective = cal.choose_bias(chosen, objective_spec, recipe.calibrate_weights)
    scores: dict[str, dict[str, object]] = {}
    for name in recipe.validate:
        before = cal.report(*rep_sets[name], [0.0, 0.0, 0.0])
        after = cal.report(*rep_sets[name], bias)
        scores[name] = {"report_half": {m: round(float(after[m]), 4) for m in ("macro_f1", "macro_recall", "accuracy")},
                        "report_half_negative": {m: round(float(after["per_class"]["negative"][m]), 4)
                                                 for m in ("precision", "recall", "f1")},
                        "report_half_uncalibrated": {m: round(float(before[m]), 4)
                                                     for m in ("macro_f1", "macro_recall", "accuracy")},
                        "n": after["n"]}
        log.info("%s report half: macro_f1 %.4f (uncalibrated %.4f) macro_recall %.4f (%.4f)", name,
                 after["macro_f1"], before["macro_f1"], after["macro_recall"], before["macro_recall"])
    spec.logit_bias = bias
    spec.quantize = recipe.quantize
    spec.train["calibration"] = {"bias": bias, "on": recipe.calibrate_on, "weight_recall": recipe.weight_recall,
                                 "weight_negative": recipe.weight_negative,
                                 "negative_precision_floor": recipe.negative_precision, "backend": backend,
                                 "weights": recipe.calibrate_weights,
                                 "calibration_half_objective": round(objective, 4), "scores": scores}
    log.info("calibration-half objective %.4f", objective)
    spec.write(spec_file)
    log.info("logit bias %s written to %s", bias, spec_file)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--init", type=Path, help="start from the adapter in this directory (a second stage)")
    parser.add_argument("--teacher", type=Path, action="append",
                        help="adapter directory whose soft labels a distilling recipe learns (repeat it for an "
                             "ensemble: the teachers' probabilities are averaged)")
    parser.add_argument("--calibrate-only", action="store_true", help="only (re)choose OUT's logit bias")
    parser.add_argument("--calibrate-backend", choices=["torch", "onnx"], default="torch",
                        help="the path whose logits choose the offsets (onnx: the shipped fast path)")
    parser.add_argument("--vocab-only", action="store_true", help="only write OUT/vocab.npz (e5 recipes)")
    parser.add_argument("--limit", type=int, help="train on the first N drawn examples (for quick trials)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=JSON",
                        help="override a recipe field, e.g. --set epochs=2 --set 'mix={\"zh_weibo\":0}'")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # denormal LoRA/Adam values can slow CPU math a hundredfold
    recipe = RECIPES[args.recipe]
    for item in args.set:
        key, _, value = item.partition("=")
        setattr(recipe, key, json.loads(value))
    if args.vocab_only:
        build_vocab(args.data, args.out / "vocab.npz")
        return
    if not args.calibrate_only:
        train(recipe, args.data, args.out, args.seed, args.save_every, args.limit, args.init, args.teacher,
              args.threads)
    scores = calibrate(args.recipe, args.data, args.out, args.threads, args.calibrate_backend)
    print(json.dumps(scores))


if __name__ == "__main__":
    main()
