"""Text normalisation applied to a post before a model scores it (and, usually, to its training texts).

``tweet``: links become ``http`` and @handles become ``@user``, the convention of the
TweetEval / XLM-T tweet sets (our multilingual training tweets already look like that).
A handle or a t.co link carries no sentiment, yet costs a tweet-length post 12-15% of its
tokens (34 -> 29 on average for the validation tweets), and every token is paid for in
throughput; it also lets a model trained on raw SemEval tweets read "@user"-style tweets.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.errors import ModelError

_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")


def normalize_tweet(text: str) -> str:
    """Links -> ``http``, @handles -> ``@user`` (e-mail addresses are left alone)."""
    if "@" in text:
        text = _HANDLE.sub("@user", text)
    return _LINK.sub("http", text)


PREPROCESSORS: dict[str, Callable[[str], str]] = {"tweet": normalize_tweet}


def preprocessor(name: str | None, where: str) -> Callable[[str], str] | None:
    """The function a spec's ``preprocess`` names (None: texts as they are)."""
    if name is None:
        return None
    try:
        return PREPROCESSORS[name]
    except KeyError:
        raise ModelError(f"{where}: unknown preprocess {name!r} (known: {', '.join(sorted(PREPROCESSORS))}); "
                         "this adapter needs a newer brand-monitor") from None
