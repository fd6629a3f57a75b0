"""JSON logs to stderr for the daemon; a readable form for interactive commands."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from monitor.redact import redact_text

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Wraps a formatter: credentials in any URL of a log line are masked (monitor.redact)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(self.inner.format(record))


def setup_logging(verbose: int = 0, json_logs: bool | None = None) -> None:
    """Configure the root logger once; ``json_logs=None`` picks JSON when stderr is not a TTY."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    use_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    inner = JsonFormatter() if use_json else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


class DemoteInfo(logging.Filter):
    """Turns a logger's INFO records into DEBUG ones (dropped unless DEBUG is on for that logger).

    APScheduler logs two INFO lines for every job run ("Running job ...", "... executed
    successfully"): with polls every few seconds they were most of the daemon's log.
    Its warnings and errors (a missed run, a job that raised) are left as they are.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


SCHEDULER_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default", "apscheduler.jobstores.default")


def demote_scheduler_logs() -> None:
    """Install :class:`DemoteInfo` on APScheduler's loggers (once; safe to call again)."""
    for name in SCHEDULER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DemoteInfo) for f in logger.filters):
            logger.addFilter(DemoteInfo())
