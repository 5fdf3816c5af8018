"""Fuzzing every RPC of screening.v1.ScreeningService on a real server, through a real client.

The driver and its strategies are in tests/fuzzing.py (also used by `screening bench`): requests
built from each method's descriptor (the method list comes from the descriptor too, so a new RPC
is fuzzed without a change here) and raw bytes as serialized requests. Properties: no UNKNOWN or
INTERNAL (a crash), only the codes a wrong request may get, a message with every non-OK status,
INVALID_ARGUMENT for bytes that do not decode, the connection never closed, SERVING afterwards.

CI mode (default): SCREENING_FUZZ_EXAMPLES unset, `fuzzing.CI_EXAMPLES` calls over both tests
(hypothesis profile "screening-fuzz-ci"), the file in well under a minute. Slow mode: set the total,
e.g. `SCREENING_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/test_fuzz.py` (profile
"screening-fuzz-slow"; the test timeout grows with it). Each run draws a new seed and prints it
with the report; SCREENING_FUZZ_SEED=<seed> repeats a run.

Only the Redis server backend is used (the `redis_url` override below): the fuzz is about the API
edge, and running it twice, once per backend, would double its time for nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given, settings

from service.api.gen import screening_pb2 as pb
from service.api.registration import removal_references
from service.api.validation import InvalidArgument, validate_alert_id, validate_list_ids, validate_party
from service.grpc_door.server import RunningServer
from tests.fuzzing import (
    MODES,
    SERVICE,
    SLOW_EXAMPLES,
    FuzzReport,
    RequestStrategies,
    crafted_payloads,
    decodes,
    examples_from_env,
    fuzz_server,
)

EXAMPLES = examples_from_env()
# About 20 ms a call with room to spare, never below the suite's default of 300 s.
pytestmark = pytest.mark.timeout(max(300, int(EXAMPLES * 0.05)))


@pytest.fixture
def redis_url(server_redis_url: str) -> str:
    """One backend, the Redis server (see the module docstring)."""
    return server_redis_url


def _progress(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def _seed() -> int | None:
    raw = os.environ.get("SCREENING_FUZZ_SEED", "").strip()
    return int(raw) if raw else None


@contextmanager
def _server_errors() -> Iterator[list[str]]:
    """The server's ERROR lines (with their tracebacks) while the block runs; every other line dropped.

    A background task that fails on fuzzed data (a re-screening of a registered party, the audit
    writer) answers no call, so only its log shows it. Dropping the INFO lines of thousands of
    calls also keeps the run fast and the output readable.
    """
    errors: list[str] = []

    def keep(_logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if method in ("error", "exception", "critical") or event.get("exc_info"):
            trace = traceback.format_exc() if event.get("exc_info") else ""
            fields = ", ".join(f"{k}={v!r}" for k, v in event.items() if k not in ("event", "exc_info"))
            errors.append(f"{method}: {event.get('event')} {fields}\n{trace}".rstrip())
        raise structlog.DropEvent

    saved = structlog.get_config()
    structlog.configure(processors=[keep])
    try:
        yield errors
    finally:
        structlog.configure(**saved)


def _grpc_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What gRPC logged with a traceback: it logs an exception a handler did not handle so."""
    return [caplog.handler.format(r) for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _first(texts: list[str], count: int = 10) -> str:
    unique = list(dict.fromkeys(texts))
    return "\n\n".join(unique[:count]) + (f"\n... and {len(unique) - count} more" if len(unique) > count else "")


async def _fuzz(grpc_server: RunningServer, mode: str, caplog: pytest.LogCaptureFixture) -> FuzzReport:
    caplog.set_level(logging.ERROR)
    target = f"127.0.0.1:{grpc_server.port}"
    with _server_errors() as errors:
        # The fuzzer's client blocks: it runs in a thread while this loop serves its calls.
        examples = max(1, EXAMPLES // len(MODES))
        # A long run says where it is (seen with `pytest -s`).
        progress = _progress if EXAMPLES >= SLOW_EXAMPLES else None
        report = await asyncio.to_thread(
            fuzz_server, target, examples, modes=(mode,), seed_value=_seed(), progress=progress
        )
    print(report.format())
    fuzzed = {method for method, _ in report.calls}
    assert fuzzed == {method.name for method in SERVICE.methods}, (
        f"methods not fuzzed: {set(SERVICE.methods_by_name) - fuzzed}"
    )
    tracebacks = _grpc_tracebacks(caplog) + errors
    assert report.ok, f"{report.format()}\n\nserver errors:\n{_first(tracebacks)}"
    assert not tracebacks, f"the server logged errors while fuzzed (seed {report.seed}):\n{_first(tracebacks)}"
    return report


async def test_structured_requests_to_every_method(
    grpc_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Descriptor-built requests (and hand-tuned parties): expected codes only, each with a message; still SERVING."""
    report = await _fuzz(grpc_server, "structured", caplog)
    # The strategies get past validation: screenings answered, entries found, parties registered.
    codes = report.by_method()
    assert codes["Screen"]["OK"] > 0 and codes["Screen"]["INVALID_ARGUMENT"] > 0
    assert codes["RegisterParties"]["OK"] > 0


async def test_raw_bytes_to_every_method(grpc_server: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    """Arbitrary bytes as the serialized request: INVALID_ARGUMENT when they do not decode, no crash ever."""
    await _fuzz(grpc_server, "raw", caplog)


# ---------------------------------------------------------------- the strategies themselves (no server)


def test_generic_strategy_sets_every_field_of_every_request() -> None:
    """Every field of every request type (nested too) is set by some example, and enums get unknown values."""
    strategies = RequestStrategies()
    seen: set[str] = set()
    unknown_enums: set[str] = set()

    def walk(message: Message) -> None:
        for field, value in message.ListFields():
            seen.add(field.full_name)
            values = value if field.is_repeated else [value]
            for item in values:
                if field.type == FieldDescriptor.TYPE_MESSAGE:
                    walk(item)
                elif field.type == FieldDescriptor.TYPE_ENUM and field.enum_type.values_by_number.get(item) is None:
                    unknown_enums.add(field.full_name)

    types = {method.input_type.full_name: method.input_type for method in SERVICE.methods}
    for descriptor in types.values():
        # Derandomized: the same examples every run, so the test cannot pass or fail by luck.
        @settings(max_examples=100, deadline=None, database=None, derandomize=True)
        @given(strategies.generic(descriptor))
        def draw(message: Message) -> None:
            walk(message)

        draw()
    expected: set[str] = set()
    enums: set[str] = set()

    def fields_of(descriptor: Descriptor) -> None:
        for field in descriptor.fields:
            if field.full_name in expected:
                continue
            expected.add(field.full_name)
            if field.type == FieldDescriptor.TYPE_ENUM:
                enums.add(field.full_name)
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                fields_of(field.message_type)

    for descriptor in types.values():
        fields_of(descriptor)
    assert expected - seen == set()
    assert enums - unknown_enums == set()


def test_crafted_payloads_include_undecodable_and_valid_bytes() -> None:
    """The crafted raw payloads exercise both sides of the decodability property for every request type."""
    for method in SERVICE.methods:
        payloads = crafted_payloads(method.input_type)
        outcomes = {decodes(method.input_type, payload) for payload in payloads}
        assert outcomes == {True, False}, method.name


# ---------------------------------------------------------------- regressions found while fuzzing


@pytest.mark.parametrize("postal_code", ["295000", "２９５０００", "٢٩٥٠٠٠", "२९५०००"])
def test_postal_code_digits_of_any_script_are_read_as_ascii(postal_code: str) -> None:
    """A Crimean postal code in full-width, Arabic-Indic or Devanagari digits is the same code (it was CLEAR)."""
    party = pb.Party(name="Some Trading LLC", addresses=[pb.Address(postal_code=postal_code, country="UA")])
    assert validate_party(party).addresses[0].postal_code == "295000"


@pytest.mark.parametrize(
    "after_id", ["١-١", "１-１", "18446744073709551616-0", "1-18446744073709551616", "1-", "-1", "1-1-1"]
)
def test_alert_ids_redis_would_refuse_are_invalid_arguments(after_id: str) -> None:
    """What XRANGE/XREAD refuse (other digits, ids past 64 bits) is refused at the edge, naming the field."""
    with pytest.raises(InvalidArgument, match=r"^after_id: "):
        validate_alert_id("after_id", after_id)


@pytest.mark.parametrize(
    ("after_id", "expected"),
    [("", ""), ("$", "$"), (" 0 ", "0"), ("1732752000000-0", "1732752000000-0"), (f"{2**64 - 1}-{2**64 - 1}", None)],
)
def test_alert_ids_redis_accepts_pass(after_id: str, expected: str | None) -> None:
    assert validate_alert_id("after_id", after_id) == (expected if expected is not None else after_id)


def test_list_ids_are_asked_once_each() -> None:
    """GetListStatus's list_ids: 10,000 copies of one id cost 20,000 Redis round trips and a 2.7 MB answer."""
    assert validate_list_ids("list_ids", ["ofac_sdn"] * 10_000 + ["bis_dpl", "ofac_sdn"], {"ofac_sdn", "bis_dpl"}) == (
        "ofac_sdn",
        "bis_dpl",
    )
    with pytest.raises(InvalidArgument, match=r"^list_ids\[1\]: unknown list 'nope'"):
        validate_list_ids("list_ids", ["ofac_sdn", "nope"], {"ofac_sdn"})


def test_removal_references_are_capped_stripped_and_checked() -> None:
    """RemoveParties: at most 1,000 references (500,000 held a server 25 s), keyed like registration (stripped)."""
    assert removal_references([" BP-1001 ", "BP-1001", "BP-1002"]) == ["BP-1001", "BP-1002"]
    with pytest.raises(InvalidArgument, match=r"^party_references: at most 1000 per call, got 1001"):
        removal_references([f"r{i}" for i in range(1001)])
    for bad, where in (("", "[0]"), ("x" * 129, "[0]"), ("a\x00b", "[0]")):
        with pytest.raises(InvalidArgument, match=rf"^party_references\{where}: "):
            removal_references([bad])
