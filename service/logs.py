"""structlog set-up: JSON lines in production, readable lines on a terminal.

Logs go to stderr so that CLI output on stdout (e.g. `check --json`) stays clean.
Request handlers bind `request_id` with structlog.contextvars, so every line a
request causes carries it.
"""

from __future__ import annotations

import logging
import sys

import structlog

from service.tracing import add_trace_ids

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_level = logging.INFO  # structlog's default configuration prints everything


def info_enabled() -> bool:
    """Whether INFO lines are written: a per-item log call in a batch costs a screening's tenth even
    when filtered out (the lazy logger binds on every call), so hot paths ask first."""
    return _level <= logging.INFO


def configure_logging(log_format: str = "auto", level: str = "info") -> None:
    global _level
    _level = _LEVELS[level]
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    # Plain tracebacks, never rich's: with `rich` installed (another package may bring it) the
    # console renderer would draw each exception with its locals, tens to hundreds of milliseconds
    # on the event loop, and a Redis outage logs one per failed call.
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info if use_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        # One write per line (message and newline together): worker processes share
        # stderr, and two writes per line could interleave between processes.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
