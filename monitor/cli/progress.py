"""Progress on stderr for long work, only when stderr is a terminal (never in pipes or log files).

Two long waits: the sentiment model's first-use build (half a minute, once) and long drills.
The model build is announced by its own INFO log lines, so a log handler starts and stops a
ticking line on them; the sentiment code stays free of any terminal concern. Drills report
the line they have reached through ``run_drill(progress=...)``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TextIO

BUILD_STARTS = "building its ONNX fast path"
BUILD_ENDS = ("built ONNX sentiment model",)
BUILD_LOGGERS = ("monitor.nlp.sentiment.loading", "monitor.nlp.sentiment.onnx_backend",
                 "monitor.nlp.sentiment.backbones")


class Ticker:
    """``label ... 12s`` rewritten in place every ``every`` seconds until stopped."""

    def __init__(self, stream: TextIO, label: str, every: float = 0.5) -> None:
        self.stream, self.label, self.every = stream, label, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self.started = time.monotonic()

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.stream.write(f"\r{self.label} ... {time.monotonic() - self.started:.0f}s")
            self.stream.flush()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.stream.write("\r\x1b[K")
        self.stream.flush()


class ModelBuildProgress(logging.Handler):
    """Shows a ticking line between the model build's 'building' and 'built' log records."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.INFO)
        self.stream = stream
        self.ticker: Ticker | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if BUILD_STARTS in message and self.ticker is None:
            self.ticker = Ticker(self.stream, "building the sentiment model's fast path (once)").start()
        elif any(end in message for end in BUILD_ENDS) and self.ticker is not None:
            self.ticker.stop()
            self.ticker = None


def announce_model_builds(stream: TextIO) -> None:
    """First-use model building is logged at INFO even at the default (WARNING) level, and on a
    terminal a ticking line shows it is still working."""
    for name in BUILD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    if stream.isatty():
        logging.getLogger("monitor.nlp.sentiment").addHandler(ModelBuildProgress(stream))


class LineProgress:
    """``drill: line 12,000 of 48,000 (25%)``, at most ten updates a second."""

    def __init__(self, stream: TextIO, total: int, label: str = "drill") -> None:
        self.stream, self.total, self.label = stream, max(total, 1), label
        self._last = 0.0
        self.shown = 0

    def __call__(self, line: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and line < self.total:
            return
        self._last = now
        self.shown += 1
        self.stream.write(f"\r{self.label}: line {line:,} of {self.total:,} ({100 * line // self.total}%)")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
