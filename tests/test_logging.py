"""Log lines as `screening serve` writes them."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from service.logs import configure_logging


def test_an_exception_is_logged_as_a_plain_traceback_even_with_rich_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Redis outage logs one exception per failed call, on the event loop: rich's drawing of each
    # frame with its locals took long enough there to push screening past its deadline.
    pytest.importorskip("rich", reason="rich is not installed: nothing could draw the traceback with it")
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        configure_logging("console", "info")
        try:
            raise ConnectionError("Timeout reading from 127.0.0.1:6379")
        except ConnectionError:
            structlog.get_logger().exception("audit_write_failed")
        written = stream.getvalue()
        assert "audit_write_failed" in written and "Traceback (most recent call last)" in written
        assert "ConnectionError: Timeout reading from 127.0.0.1:6379" in written
        assert "│" not in written and "╭" not in written  # no rich panel
    finally:
        monkeypatch.undo()
        configure_logging("console", "debug")  # as the test session has it (tests/conftest.py)
