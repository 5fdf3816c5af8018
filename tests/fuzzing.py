"""Property-based fuzzing of every RPC of screening.v1.ScreeningService, through a real client.

`fuzz_server(target, examples)` sends hypothesis-generated requests to every method of the
service's descriptor (a new RPC is fuzzed without a change here) on a running server and returns
a `FuzzReport`: calls by method, mode and status code, the slowest call of each method, and every
property violation with the request that caused it, shrunk to a small one.

Two modes, half the examples each:
- structured: request messages built from the method's input descriptor by `RequestStrategies`
  (every field, nested messages, repeated fields, enum values known and unknown, strings with
  control, non-BMP, combining and NFKC-expanding characters, very long strings, numbers at their
  edges), mixed with realistic values by field name (`FIELD_HINTS`, plus list ids, entry ids,
  fingerprints and references the server itself handed out, see `discover_vocabulary`), and a
  hand-tuned `Party` strategy (realistic names mixed with garbage) wherever a Party is sent;
- raw: arbitrary bytes as the serialized request, and valid serializations mutated and crafted
  to break the decoder (bad UTF-8, overlong varints, lengths past the end, groups, field 0, deep
  nesting), sent as is with `channel.unary_unary(path, request_serializer=None, ...)`.
Client-streaming methods (ScreenBatch) get 1-3 messages; server-streaming ones that are not
client-streaming (WatchAlerts) stay open by design, so they are called with a short deadline.
Besides its random examples every run sends, as hypothesis' explicit examples, the same fixed set:
in structured mode a valid baseline request and each variant of it with one field, at any depth,
set to a trap (`RequestStrategies.one_bad_field`); in raw mode each crafted breakage. A short CI
run so always tries what a random one might not draw.

Properties of every call:
- never UNKNOWN or INTERNAL (an unhandled exception in the server: a crash);
- only the codes a valid-but-wrong request may get: OK, INVALID_ARGUMENT, NOT_FOUND,
  FAILED_PRECONDITION, PERMISSION_DENIED, OUT_OF_RANGE, DEADLINE_EXCEEDED (watch methods only),
  and RESOURCE_EXHAUSTED only from the transport for a request above the server's size limit (an
  answer above it is "response_too_large": the server did the work, then could not send it);
- a non-OK status carries a message; an OK answer decodes as the method's output type, and a
  ScreenBatch answers each request once, in order, with the same request_id (item errors carry
  a code and a message);
- bytes the request type cannot decode are answered INVALID_ARGUMENT;
- the server never closes the connection (the channel never leaves READY during a run);
and after the run the server still answers SERVING to a health check.

Hypothesis runs without a database (nothing written into the repository; its caches go to the
temporary directory, see HYPOTHESIS_STORAGE_DIRECTORY below) and without shrinking:
a violation is recorded, not raised, so a run covers all its examples and finds every kind of
failure. The first request of each kind of failure is then shrunk by `_Shrinker` (fields cleared,
elements removed, strings and byte runs cut) while the server still fails the same way.

Profiles (`profile_for`): "screening-fuzz-ci" for the default few thousand examples,
"screening-fuzz-slow" from `SLOW_EXAMPLES` up. The number of examples comes from the environment
variable SCREENING_FUZZ_EXAMPLES (total over both modes and all methods; default `CI_EXAMPLES`).
From a shell, against a running, throw-away server (the fuzzer records dispositions and registers
parties):

    SCREENING_FUZZ_EXAMPLES=100000 .venv/bin/python -m tests.fuzzing --target 127.0.0.1:50051
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import random
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.strategies import SearchStrategy

from service.api.gen import screening_pb2 as pb

# Even without a database hypothesis keeps caches (Unicode tables, constants it finds in the source) in
# ./.hypothesis: they go to the temporary directory instead, unless HYPOTHESIS_STORAGE_DIRECTORY says where.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-screening"))

SERVICE = pb.DESCRIPTOR.services_by_name["ScreeningService"]
ENV_EXAMPLES = "SCREENING_FUZZ_EXAMPLES"
CI_EXAMPLES = 2400
SLOW_EXAMPLES = 20_000
MODES = ("structured", "raw")

# Deadlines. Unary and client-streaming calls must finish well within CALL_TIMEOUT_S (a request
# that holds a server that long is a finding too); a watch stream never ends by itself.
CALL_TIMEOUT_S = 10.0
WATCH_TIMEOUT_S = 0.1
# The server recycles connections after 30 minutes (service/grpc_door/server.py, MAX_CONNECTION_AGE_MS):
# the client opens a new channel before that, so a long run does not see that GOAWAY as a drop.
CHANNEL_MAX_AGE_S = 20 * 60
# This many calls in a row that cannot reach the server end the run (it has died).
MAX_UNREACHABLE_IN_A_ROW = 20
SHRINK_CALLS = 300
# How deep `RequestStrategies.baseline` and `one_bad_field` go (ScreenBatchRequest.requests.party.owners).
MAX_BASELINE_DEPTH = 3
FAILURES_KEPT_PER_KIND = 5

EXPECTED_CODES = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)
CRASH_CODES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
# grpc core's words when the request exceeds the server's grpc.max_receive_message_length: the
# transport's RESOURCE_EXHAUSTED, a legitimate answer to an oversized request (not the rate limiter's).
_REQUEST_TOO_LARGE = "Received message larger than max"
# ... and when the server's answer exceeds its own grpc.max_send_message_length: the server did the
# work and then could not answer, a violation ("response_too_large").
_RESPONSE_TOO_LARGE = "Sent message larger than max"

# Methods fuzzed more than others: they carry the most input (a party, many parties).
METHOD_WEIGHTS: Mapping[str, int] = {"Screen": 3, "ScreenBatch": 2, "RegisterParties": 2}

# Both profiles run without a database (no .hypothesis/ in the repository), without a deadline (a
# server call's time is not the strategy's) and without shrinking (violations are recorded, not
# raised; `_Shrinker` shrinks them against the server). Large and slow-to-generate examples are the
# point, so those health checks are off. They differ in size only: a run's examples are spread over
# the methods (`_allocate`), each method's share is its `max_examples`. Hypothesis' targeted phase
# (steering towards the slowest answers) is left out on purpose: it spends up to half of a run
# climbing towards the largest batches the server accepts (a 100,000-example run with it was still on
# its second method after 20 minutes); the report's slowest call per method serves the same purpose.
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example),
    "print_blob": False,
}
settings.register_profile("screening-fuzz-ci", max_examples=CI_EXAMPLES, **_SETTINGS)
settings.register_profile("screening-fuzz-slow", max_examples=100_000, **_SETTINGS)


def examples_from_env(default: int = CI_EXAMPLES) -> int:
    """The number of examples asked for by SCREENING_FUZZ_EXAMPLES, else `default`."""
    raw = os.environ.get(ENV_EXAMPLES, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{ENV_EXAMPLES}={raw!r}: expected a whole number of examples") from None
    if value < 1:
        raise ValueError(f"{ENV_EXAMPLES}={raw!r}: expected at least 1")
    return value


def profile_for(examples: int) -> str:
    """The hypothesis profile a run of `examples` uses ("screening-fuzz-slow" from SLOW_EXAMPLES up)."""
    return "screening-fuzz-slow" if examples >= SLOW_EXAMPLES else "screening-fuzz-ci"


# ---------------------------------------------------------------- values

# Realistic names: listed parties, their word orders, and names in other scripts and with legal forms.
REALISTIC_NAMES = (
    "Nicolas MADURO MOROS",
    "MADURO MOROS, Nicolas",
    "BANCO NACIONAL DE CUBA",
    "AEROCARIBBEAN AIRLINES",
    "KAREEM, Abd al-Rahman",
    "Neda Industrial Group",
    "Mohammed Ali Al-Hassan",
    "Muhammad Husayn",
    "ООО «Ромашка»",
    "Владимир Владимирович ПУТИН",
    "李明",
    "金正恩",
    "محمد بن راشد",
    "José María Müller-Lüdenscheidt GmbH & Co. KG",
    "Société Générale S.A.",
    "ACME Trading Co., Ltd.",
    "O'Brien & Sons",
    "IRAN AIR",
    "al",
    "A",
)
COUNTRIES = ("VE", "IR", "CU", "KP", "RU", "UA", "SY", "CN", "US", "DE", "GB", "ve", " ir ", "ß")  # "ß".upper() == "SS"
_THIS_YEAR = date.today().year
DATES = ("1962-11-23", "1962", "1962-11", "1850", str(_THIS_YEAR), "2000-02-29", " 1962 ", "１９６２-１１-２３", "١٩٦٢")
LIST_IDS = (
    "ofac_sdn",
    "ofac_cons",
    "bis_entity",
    "bis_uvl",
    "bis_meu",
    "bis_dpl",
    "state_isn",
    "state_dtc",
    "dhs_uflpa",
)
ALERT_IDS = ("", "0", "$", "0-0", "1-0", "1732752000000-0", " 0 ")
REFERENCES = ("BP-1001", "fuzz-ref-1", "fuzz-ref-2", " BP-1001 ", "x" * 128)

# Realistic values by field name (the last part of the path): requests built with them reach past
# validation into the lookups, matching and policy. Mostly valid; the traps below are not.
FIELD_HINTS: Mapping[str, Sequence[str]] = {
    "name": REALISTIC_NAMES,
    "alternative_names": REALISTIC_NAMES,
    "country": COUNTRIES,
    "issuing_country": COUNTRIES,
    "nationalities": COUNTRIES,
    "destination_country": COUNTRIES,
    "origin_country": COUNTRIES,
    "date_of_birth": DATES,
    "eccn": ("3A001", "EAR99", "ear99", "3a001.a.1", "9E003", "0A501"),
    "hs_code": ("847130", "8471.30", "8471300000", "８４７１３０"),
    "list_id": LIST_IDS,
    "list_ids": LIST_IDS,
    "after_id": ALERT_IDS,
    "job_id": ("registered:000000000000", "full:000000000000", "delta:ofac_sdn"),
    "party_reference": REFERENCES,
    "party_references": REFERENCES,
    "request_id": ("so-4711-line-1", "batch-item-1", "x" * 128),
    "type": ("passport", "imo", "tax_id", "national_id"),
    "value": ("A1234567", "IMO 9187629", "0"),
    "postal_code": ("295000", "83000", "10115", "２９５０００"),
    "city": ("Sevastopol", "Donetsk", "Луганск", "Havana", "Tehran", "Caracas"),
    "state_or_province": ("Crimea", "Donetsk Oblast", "Луганская область", "Tehran Province", "Bavaria"),
}
# Values by field name just outside what is valid (or valid only by a hair): the hostile strategies
# mix them in with the hints, the plausible ones leave them out.
_COUNTRY_TRAPS = ("XX", "ZZ", "UK", "EU", "ＶＥ", "Venezuela", "VEN", "862", "V", " ", "Ⅰ")
FIELD_TRAPS: Mapping[str, Sequence[str]] = {
    "country": _COUNTRY_TRAPS,
    "issuing_country": _COUNTRY_TRAPS,
    "nationalities": _COUNTRY_TRAPS,
    "destination_country": _COUNTRY_TRAPS,
    "origin_country": _COUNTRY_TRAPS,
    "date_of_birth": (
        "1849",
        str(_THIS_YEAR + 1),
        "1962-02-30",
        "1962-13-01",
        "1962-00-10",
        "0000",
        "9999-12-31",
        "1962-1-1",
        "23 Nov 1962",
        "1962-11-23T00:00:00Z",
        "1962/11/23",
        "1962\n",
        "1900-02-29",
    ),
    "eccn": ("3A0011", "XA001", "3A00", "３A001", "EAR 99", "3A001..a"),
    "hs_code": ("84713", "84713000000", "８４７１３０.00", "8471-30", "."),
    "list_id": ("OFAC_SDN", "ofac_sdn ", "*", "ofac_sdn\x00"),
    "list_ids": ("OFAC_SDN", "ofac_sdn ", "*", "ofac_sdn\x00"),
    # Redis stream ids past 64 bits, digits of other scripts, malformed ones.
    "after_id": (
        "18446744073709551615-18446744073709551615",
        "18446744073709551616-0",
        "99999999999999999999999-0",
        "-1",
        "1-",
        "-",
        "١-١",
        "１-１",
        ">",
        "+",
        "1-1-1",
        "1732752000000-*",
    ),
    "job_id": ("*", "registered:*", "\x00"),
    "party_reference": ("x" * 129, "\t"),
    "party_references": ("x" * 129, "\t"),
    "request_id": ("x" * 129, "\x00"),
}

# Characters with known trouble: whitespace that is not ASCII, zero-width, bidi overrides, BOM,
# noncharacters, the highest code point, a lone combining mark, characters whose NFKC or case
# folding is longer than they are (one U+FDFA is 18 characters after NFKC).
SPECIAL_STRINGS = ("", " ", "\t", "\n", "\r\n", "\x00", "\x7f", "\x85", "\x9f", "\u00a0", "\u200b", "\u200d", "\u202e",
                   "\u2028", "\ufeff", "\ufffd", "\uffff", "\U0010ffff", "\U0001f600", "\u0301", "e\u0301",
                   "\ufdfa", "\ufdfb", "\ufdfd", "\u3300", "ﬃ", "ǅ", "İ", "ß", "Å", "𝕄𝔸𝔻𝕌ℝ𝕆", "%s%n%x",
                   "' OR 1=1 --", "{{7*7}}", "../../etc/passwd", "NaN", "null", "-0", "١٢٣", "\\", '"')  # fmt: skip
# Lengths around the service's limits (64-character words, 128-character references, 512, 1,024)
# and one above the server's default 64 KiB test message limit.
LONG_LENGTHS = (63, 64, 65, 127, 128, 129, 511, 512, 513, 1023, 1024, 1025, 4096, 70_000)
# Element counts around the limits (10 nationalities, 20 addresses, 50 owners, 100 names, 1,000 per message).
REPEAT_COUNTS = (2, 11, 21, 51, 65, 101, 129, 1001)
# One big repeated field or long string in this many.
_RARE = 16

_INT_RANGES: Mapping[int, tuple[int, int]] = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOAT_EDGES = (0.0, -0.0, 1.0, -1.0, 50.0, 100.0, 100.00000000000001, 99.99999999999999, 5e-324, -5e-324, 1e-300,
                1.7976931348623157e308, math.inf, -math.inf, math.nan)  # fmt: skip


def _repeat_to(seed_text: str, length: int) -> str:
    seed_text = seed_text or "a"
    return (seed_text * (length // len(seed_text) + 1))[:length]


def _weighted(common: SearchStrategy[Any], rare: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """`common`, and `rare` about once in `_RARE` draws (one_of alone would draw them equally often)."""
    return st.integers(0, _RARE - 1).flatmap(lambda k: rare if k == 0 else common)


_UTF8 = "utf-8"  # hypothesis' codec filter: every character encodable, so no lone surrogate
_LETTERS = st.sampled_from("aAzZ ")
_CONTROL_TEXT = st.text(st.characters(codec=_UTF8, categories=("Cc",)) | _LETTERS, min_size=1, max_size=8)
_NON_BMP_TEXT = st.text(st.characters(codec=_UTF8, min_codepoint=0x10000) | _LETTERS, min_size=1, max_size=8)
_COMBINING_TEXT = st.text(st.characters(codec=_UTF8, categories=("Mn", "Mc", "Me")) | _LETTERS, min_size=1, max_size=12)
_FORMAT_TEXT = st.text(
    st.characters(codec=_UTF8, categories=("Cf", "Zl", "Zp", "Zs", "Co", "Cn")) | _LETTERS, max_size=8
)
_ANY_TEXT = st.text(st.characters(codec=_UTF8), max_size=24)
_SHORT_TEXT = st.one_of(_ANY_TEXT, st.sampled_from(SPECIAL_STRINGS))
_LONG_TEXT = st.builds(_repeat_to, _SHORT_TEXT, st.sampled_from(LONG_LENGTHS))
_MANY_WORDS = st.builds(
    lambda word, n: " ".join([word or "al"] * n), _ANY_TEXT, st.sampled_from((63, 64, 65, 200, 513))
)


def _garble(value: str, junk: str, position: int, how: str) -> str:
    """A realistic value changed the way real data goes wrong: junk inside, case, spacing, decomposition."""
    at = position % (len(value) + 1)
    if how == "insert":
        return value[:at] + junk + value[at:]
    if how == "append":
        return value + junk
    if how == "upper":
        return value.upper()
    if how == "casefold":
        return value.casefold()
    if how == "spaced":
        return " ".join(value)
    if how == "nfd":
        return unicodedata.normalize("NFD", value)
    if how == "nfkd":
        return unicodedata.normalize("NFKD", value)
    if how == "accents":
        return "".join(ch + "\u0301" if ch.isalpha() else ch for ch in value)
    return value[:at]  # "truncate"


_GARBLINGS = ("insert", "append", "upper", "casefold", "spaced", "nfd", "nfkd", "accents", "truncate")


def text_values(hints: Sequence[str] = ()) -> SearchStrategy[str]:
    """Strings for any string field: random text and the troublesome kinds, and `hints` (plain and garbled)."""
    garbage = st.one_of(
        _ANY_TEXT, _CONTROL_TEXT, _NON_BMP_TEXT, _COMBINING_TEXT, _FORMAT_TEXT, st.sampled_from(SPECIAL_STRINGS)
    )
    common: SearchStrategy[str] = garbage
    if hints:
        plain = st.sampled_from(tuple(hints))
        garbled = st.builds(_garble, plain, _SHORT_TEXT, st.integers(0, 64), st.sampled_from(_GARBLINGS))
        common = st.one_of(plain, plain, garbled, garbage)
    return _weighted(common, st.one_of(_LONG_TEXT, _MANY_WORDS))


def int_values(field_type: int) -> SearchStrategy[int]:
    """Integers of a protobuf integer type: its edges, small values and anything in its range."""
    low, high = _INT_RANGES[field_type]
    edges = sorted({v for v in (0, 1, -1, 2, 100, 101, 1000, 1001, low, high, low + 1, high - 1) if low <= v <= high})
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def float_values(width: int) -> SearchStrategy[float]:
    """Floats and doubles with the edges (NaN, infinities, -0.0, subnormals, just above 100)."""
    edges = (
        st.sampled_from(_FLOAT_EDGES)
        if width == 64
        else st.sampled_from((0.0, -0.0, 1.0, math.inf, -math.inf, math.nan))
    )
    return st.one_of(edges, st.floats(width=width))


def enum_values(enum: EnumDescriptor) -> SearchStrategy[int]:
    """Known values, and unknown ones (proto3 enums are open: any int32 goes over the wire)."""
    known = sorted(value.number for value in enum.values)
    unknown = st.one_of(st.sampled_from((max(known) + 1, -1, 2**31 - 1, -(2**31))), st.integers(-(2**31), 2**31 - 1))
    return st.one_of(st.sampled_from(known), st.sampled_from(known), unknown)


# ---------------------------------------------------------------- messages


def message_class(descriptor: Descriptor) -> type[Message]:
    return GetMessageClass(descriptor)


def _set_fields(cls: type[Message], values: Mapping[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        target = getattr(message, name)
        descriptor = message.DESCRIPTOR.fields_by_name[name]
        if descriptor.is_repeated:
            if isinstance(value, dict):
                target.update(value)
            else:
                target.extend(value)
        elif descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def _is_map(field_descriptor: FieldDescriptor) -> bool:
    message_type = field_descriptor.message_type
    return message_type is not None and message_type.GetOptions().map_entry


@dataclass
class Vocabulary:
    """Realistic values by field name: the static `FIELD_HINTS` and what a server handed out."""

    hints: dict[str, list[str]] = field(
        default_factory=lambda: {name: list(values) for name, values in FIELD_HINTS.items()}
    )
    traps: dict[str, list[str]] = field(
        default_factory=lambda: {name: list(values) for name, values in FIELD_TRAPS.items()}
    )

    def add(self, name: str, *values: str) -> None:
        known = self.hints.setdefault(name, [])
        known.extend(value for value in values if value and value not in known)

    def get(self, name: str) -> Sequence[str]:
        """Valid values for a field of this name."""
        return self.hints.get(name, ())

    def get_all(self, name: str) -> Sequence[str]:
        """Valid values and traps for a field of this name."""
        return [*self.hints.get(name, ()), *self.traps.get(name, ())]


def _mostly(sane: SearchStrategy[Any], hostile: SearchStrategy[Any], one_in: int = 8) -> SearchStrategy[Any]:
    """`sane`, and `hostile` about once in `one_in` draws: a request of many fields is still often valid as a whole."""
    return st.integers(0, one_in - 1).flatmap(lambda k: hostile if k == 0 else sane)


# Clean text: letters, digits, punctuation and plain spaces of any script; no control or format characters.
_CLEAN_TEXT = st.text(st.characters(codec=_UTF8, categories=("L", "N", "P")) | st.just(" "), min_size=1, max_size=24)


class RequestStrategies:
    """Hypothesis strategies for any message of the contract, built from its descriptor.

    Two flavours, both from the descriptor alone, mixed at every level of nesting:
    - hostile (`generic`): each field present or not; strings from `text_values` (control, non-BMP,
      combining, expanding and very long strings, with the vocabulary's hints for the field's
      name, plain and garbled); numbers at their type's edges; enums known and unknown; repeated
      fields short or, once in a while, one element repeated past a limit; nested messages
      recursively (empty below MAX_DEPTH);
    - plausible (`plausible`): the same fields with values a careful client sends (hints by field
      name, clean text, known enum values, small numbers), so that requests get past validation
      into the lookups, the matcher and the policy, where their hostile parts then land.
    Hand-tuned strategies take over wherever their message type appears, in either flavour: a
    `Party` (realistic names mixed with garbage) in a ScreenRequest, a batch item, a registration.
    """

    MAX_DEPTH = 6

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or Vocabulary()
        self._cache: dict[tuple[str, int, str], SearchStrategy[Message]] = {}
        # message type -> (its strategy in a hostile message, in a plausible one)
        self._overrides: dict[str, Callable[[int], tuple[SearchStrategy[Message], SearchStrategy[Message]]]] = {
            pb.Party.DESCRIPTOR.full_name: lambda depth: (
                st.one_of(self.party(sane=False), self.party(sane=True), self.generic(pb.Party.DESCRIPTOR, depth)),
                self.party(sane=True),
            ),
        }

    # ------------------------------------------------------------ from the descriptor

    def message(self, descriptor: Descriptor, depth: int = 0) -> SearchStrategy[Message]:
        """Any message of this type: hostile or plausible (or the hand-tuned strategy for its type)."""
        return self._cached(descriptor, depth, "mixed")

    def generic(self, descriptor: Descriptor, depth: int = 0) -> SearchStrategy[Message]:
        """A hostile message of this type, from its descriptor alone (overrides apply to nested fields only)."""
        return self._build(descriptor, depth, plausible=False)

    def plausible(self, descriptor: Descriptor, depth: int = 0) -> SearchStrategy[Message]:
        """A message of this type as a careful client would send it (overrides apply to nested fields only)."""
        return self._build(descriptor, depth, plausible=True)

    def _cached(self, descriptor: Descriptor, depth: int, flavour: str) -> SearchStrategy[Message]:
        key = (descriptor.full_name, depth, flavour)
        if key not in self._cache:
            override = self._overrides.get(descriptor.full_name)
            if override is not None:
                hostile, sane = override(depth)
                self._cache[key] = sane if flavour == "plausible" else hostile
            elif flavour == "plausible":
                self._cache[key] = self.plausible(descriptor, depth)
            else:
                self._cache[key] = st.one_of(self.generic(descriptor, depth), self.plausible(descriptor, depth))
        return self._cache[key]

    def _build(self, descriptor: Descriptor, depth: int, plausible: bool) -> SearchStrategy[Message]:
        cls = message_class(descriptor)
        if depth >= self.MAX_DEPTH:
            return st.just(cls())
        fields = {f.name: self._field(f, depth, plausible) for f in descriptor.fields}
        # A careful client fills in the sub-messages (a ScreenRequest without its party goes no further).
        required = {
            name: fields.pop(name)
            for name, f in descriptor.fields_by_name.items()
            if plausible and f.type == FieldDescriptor.TYPE_MESSAGE and not f.is_repeated
        }
        return st.fixed_dictionaries(required, optional=fields).map(lambda values: _set_fields(cls, values))

    def _field(self, descriptor: FieldDescriptor, depth: int, plausible: bool) -> SearchStrategy[Any]:
        if _is_map(descriptor):
            entry = descriptor.message_type
            keys, values = (self._single(entry.fields_by_name[n], depth + 1, plausible) for n in ("key", "value"))
            return st.dictionaries(keys, values, max_size=4)
        single = self._single(descriptor, depth, plausible)
        if not descriptor.is_repeated:
            return single
        if plausible:
            return st.lists(single, max_size=3)
        many = st.tuples(single, st.sampled_from(REPEAT_COUNTS)).map(lambda pair: [pair[0]] * pair[1])
        return _weighted(st.lists(single, max_size=4), many)

    def _single(self, descriptor: FieldDescriptor, depth: int, plausible: bool) -> SearchStrategy[Any]:
        kind = descriptor.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            return self._cached(descriptor.message_type, depth + 1, "plausible" if plausible else "mixed")
        if plausible:
            return self._plausible_value(descriptor)
        if kind == FieldDescriptor.TYPE_STRING:
            return text_values(self.vocabulary.get_all(descriptor.name))
        if kind == FieldDescriptor.TYPE_BYTES:
            return _weighted(st.binary(max_size=32), st.builds(bytes, st.sampled_from(LONG_LENGTHS)))
        if kind == FieldDescriptor.TYPE_ENUM:
            return enum_values(descriptor.enum_type)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_DOUBLE:
            return float_values(64)
        if kind == FieldDescriptor.TYPE_FLOAT:
            return float_values(32)
        if kind in _INT_RANGES:
            return int_values(kind)
        raise NotImplementedError(f"{descriptor.full_name}: field type {kind} (groups are not in proto3)")

    def _plausible_value(self, descriptor: FieldDescriptor) -> SearchStrategy[Any]:
        kind = descriptor.type
        if kind == FieldDescriptor.TYPE_STRING:
            hints = self.vocabulary.get(descriptor.name)
            return _mostly(st.sampled_from(tuple(hints)), _CLEAN_TEXT, 5) if hints else _CLEAN_TEXT
        if kind == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=16)
        if kind == FieldDescriptor.TYPE_ENUM:
            return st.sampled_from(sorted(value.number for value in descriptor.enum_type.values))
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return st.floats(0.0, 100.0, width=64 if kind == FieldDescriptor.TYPE_DOUBLE else 32)
        if kind in _INT_RANGES:
            return st.integers(0, 10)
        raise NotImplementedError(f"{descriptor.full_name}: field type {kind} (groups are not in proto3)")

    # ------------------------------------------------------------ hand-tuned

    def name(self, sane: bool = False) -> SearchStrategy[str]:
        """A realistic name (as is, joined or garbled), or, `sane` or not, sometimes anything at all."""
        names = self.vocabulary.get("name") or REALISTIC_NAMES
        plain = st.sampled_from(tuple(names))
        garbled = st.builds(_garble, plain, _SHORT_TEXT, st.integers(0, 64), st.sampled_from(_GARBLINGS))
        joined = st.lists(plain, min_size=2, max_size=4).map(" ".join)
        realistic = st.one_of(plain, plain, joined, garbled)
        return _mostly(realistic, text_values(), 8 if sane else 3)

    def party(self, sane: bool = True) -> SearchStrategy[Message]:
        """A Party as an ERP sends it: a name, perhaps aliases, addresses, owners, identifiers.

        `sane`: each value is realistic but for about one in eight (so a party of several fields
        is valid as a whole about half the time); else about one in three is garbage.
        """
        hint = self.vocabulary.get
        one_in = 8 if sane else 3

        def either(sane_values: SearchStrategy[Any], hostile: SearchStrategy[Any]) -> SearchStrategy[Any]:
            return _mostly(sane_values, hostile, one_in)

        def hinted(name: str) -> SearchStrategy[str]:
            return either(st.sampled_from(tuple(hint(name))), text_values(self.vocabulary.get_all(name)))

        country = hinted("country")
        party_type = either(st.sampled_from((0, 1, 2, 3, 4)), enum_values(pb.PartyType.DESCRIPTOR))
        address = st.builds(
            pb.Address,
            lines=st.lists(either(_CLEAN_TEXT, text_values()), max_size=2),
            city=st.one_of(st.just(""), hinted("city")),
            state_or_province=st.one_of(st.just(""), hinted("state_or_province")),
            postal_code=st.one_of(st.just(""), hinted("postal_code")),
            country=st.one_of(st.just(""), country),
        )
        owner = st.builds(
            pb.Owner,
            name=self.name(sane),
            share_percent=either(st.sampled_from((25.0, 50.0, 51.0, 100.0)), float_values(64)),
            type=party_type,
            country=st.one_of(st.just(""), country),
        )
        identifier = st.builds(pb.Identifier, type=hinted("type"), value=hinted("value"), issuing_country=country)
        optional = {
            "type": party_type,
            "alternative_names": st.lists(self.name(sane), max_size=3),
            "addresses": st.lists(address, max_size=2),
            "date_of_birth": hinted("date_of_birth"),
            "identifiers": st.lists(identifier, max_size=2),
            "party_reference": hinted("party_reference"),
            "nationalities": st.lists(country, max_size=3),
            "owners": st.lists(owner, max_size=3),
        }
        return st.fixed_dictionaries({"name": self.name(sane)}, optional=optional).map(
            lambda v: _set_fields(pb.Party, v)
        )

    # ------------------------------------------------------------ one bad field at a time

    def baseline(self, descriptor: Descriptor, depth: int = 0) -> Message:
        """A deterministic, most likely valid message: the first hint of each string field that has hints,
        the first named value of each enum, 1 for numbers, one element in each repeated field, sub-messages
        alike (to MAX_BASELINE_DEPTH). What `one_bad_field` spoils one field at a time."""
        message = message_class(descriptor)()
        for f in descriptor.fields:
            if _is_map(f):
                continue
            value: Any
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                if depth >= MAX_BASELINE_DEPTH:
                    continue
                value = self.baseline(f.message_type, depth + 1)
            elif f.type == FieldDescriptor.TYPE_STRING:
                hints = self.vocabulary.get(f.name)
                if not hints:
                    continue
                value = hints[0]
            elif f.type == FieldDescriptor.TYPE_ENUM:
                named = sorted(v.number for v in f.enum_type.values if v.number != 0)
                if not named:
                    continue
                value = named[0]
            elif f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT) or f.type in _INT_RANGES:
                value = 1
            else:
                continue
            target = getattr(message, f.name)
            if f.is_repeated and f.type == FieldDescriptor.TYPE_MESSAGE:
                target.add().CopyFrom(value)
            elif f.is_repeated:
                target.append(value)
            elif f.type == FieldDescriptor.TYPE_MESSAGE:
                target.CopyFrom(value)
            else:
                setattr(message, f.name, value)
        return message

    def one_bad_field(self, descriptor: Descriptor, depth: int = 0) -> Iterator[Message]:
        """The baseline with one field, at any depth, set to a trap: a value of FIELD_TRAPS for its name, an
        unknown enum value, a number at an edge. Deterministic: every run tries each once, besides the random
        examples (a trap drawn at random may not come up in a short run)."""
        base = self.baseline(descriptor, depth)
        for f in descriptor.fields:
            if _is_map(f):
                continue
            bad: list[Any] = []
            if f.type == FieldDescriptor.TYPE_STRING:
                bad = list(self.vocabulary.traps.get(f.name, ()))
            elif f.type == FieldDescriptor.TYPE_ENUM:
                bad = [max(v.number for v in f.enum_type.values) + 1, -1]
            elif f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
                bad = [math.nan, math.inf, -0.0, 0.0, 100.00000000000001]
            elif f.type in _INT_RANGES:
                low, high = _INT_RANGES[f.type]
                bad = [low, -1, high] if low < 0 else [high]
            elif f.type == FieldDescriptor.TYPE_MESSAGE and depth < MAX_BASELINE_DEPTH:
                for inner in self.one_bad_field(f.message_type, depth + 1):
                    variant = _clone(base)
                    target = getattr(variant, f.name)
                    if f.is_repeated:
                        del target[:]
                        target.add().CopyFrom(inner)
                    else:
                        target.CopyFrom(inner)
                    yield variant
            for value in bad:
                variant = _clone(base)
                if f.is_repeated:
                    del getattr(variant, f.name)[:]
                    getattr(variant, f.name).append(value)
                else:
                    setattr(variant, f.name, value)
                yield variant

    # ------------------------------------------------------------ per method

    def requests(self, method: MethodDescriptor) -> SearchStrategy[list[Message]]:
        """The messages one call of `method` sends: one, or 1-3 for a client-streaming method."""
        one = self.message(method.input_type)
        if method.client_streaming:
            return st.lists(one, min_size=1, max_size=3)
        return one.map(lambda message: [message])

    def raw(self, method: MethodDescriptor) -> SearchStrategy[list[bytes]]:
        """Payloads for one call of `method` as bytes: random, mutated serializations and crafted breakage."""
        one = raw_bytes(method.input_type, self.message(method.input_type))
        if method.client_streaming:
            return st.lists(one, min_size=1, max_size=3)
        return one.map(lambda payload: [payload])


# ---------------------------------------------------------------- raw bytes


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint((number << 3) | wire_type)


def crafted_payloads(descriptor: Descriptor) -> list[bytes]:
    """Encodings that break a decoder in known ways, aimed at this message's own fields."""
    strings = [f.number for f in descriptor.fields if f.type == FieldDescriptor.TYPE_STRING]
    messages = [f.number for f in descriptor.fields if f.type == FieldDescriptor.TYPE_MESSAGE]
    varint_types = (
        FieldDescriptor.TYPE_ENUM,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_BOOL,
        FieldDescriptor.TYPE_INT64,
    )
    varints = [f.number for f in descriptor.fields if f.type in varint_types]
    number = (strings or messages or varints or [1])[0]
    out = [
        b"",  # the default message: valid
        b"\xff" * 11,  # a varint tag of 11 bytes
        _tag(number, 2) + _varint(1000) + b"x",  # a length past the end
        _tag(number, 2) + b"\xff\xff\xff\xff\x0f",  # a length of 4 GiB
        _tag(number, 3),  # a start group with no end
        _tag(number, 4),  # an end group with no start
        _tag(number, 6) + b"\x00",  # wire type 6 does not exist
        _tag(number, 7) + b"\x00",  # nor 7
        b"\x00\x00",  # field number 0
        _tag(2**29 - 1, 0) + b"\x01",  # the highest field number, unknown: valid
        _tag(999, 2) + _varint(3) + b"abc",  # an unknown field: valid
        _tag(number, 5) + b"\x00\x00",  # a fixed32 cut short
        _tag(number, 1) + b"\x00" * 4,  # a fixed64 cut short
    ]
    for string in strings[:3]:
        out += [
            _tag(string, 2) + _varint(1) + b"\xff",  # not UTF-8
            _tag(string, 2) + _varint(3) + b"\xed\xa0\x80",  # an encoded surrogate: not UTF-8 either
            _tag(string, 2) + _varint(2) + b"\xc0\x80",  # overlong NUL
            _tag(string, 0) + b"\x01",  # a varint where a string belongs
        ]
    for varint in varints[:3]:
        out += [
            _tag(varint, 0) + b"\xff" * 9 + b"\x01",
            _tag(varint, 0) + b"\xff" * 10 + b"\x01",
            _tag(varint, 2) + b"\x00",
        ]
    for nested in messages[:2]:
        deep = b""
        for _ in range(200):  # the field nested in itself: past the first level, a wire type its type does not expect
            deep = _tag(nested, 2) + _varint(len(deep)) + deep
        out += [deep, _tag(nested, 2) + _varint(2) + b"\x0a\x05", _tag(nested, 0) + b"\x01"]
    # Unknown groups nested 99 and 200 deep: a decoder skips unknown groups recursively, so this reaches its
    # recursion limit (100) whatever the message type; 99 is just within it.
    out += [_tag(999, 3) * depth + _tag(999, 4) * depth for depth in (99, 200)]
    return out


_MUTATIONS = ("flip", "truncate", "insert", "delete", "duplicate", "append")


def _mutate(data: bytes, operations: Sequence[tuple[str, int, bytes]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, junk in operations:
        at = position % (len(buffer) + 1)
        if kind == "flip" and buffer:
            buffer[at % len(buffer)] ^= (junk[0] if junk else 0xFF) or 0x80
        elif kind == "truncate":
            del buffer[at:]
        elif kind == "insert":
            buffer[at:at] = junk
        elif kind == "delete":
            del buffer[at : at + (len(junk) or 1)]
        elif kind == "duplicate":
            buffer[at:at] = buffer[at : at + 16]
        else:  # append
            buffer += junk
    return bytes(buffer)


def raw_bytes(descriptor: Descriptor, messages: SearchStrategy[Message]) -> SearchStrategy[bytes]:
    """Bytes for a request of this type: random, valid, mutated valid, and crafted to break the decoder."""
    valid = messages.map(lambda message: message.SerializeToString())
    operations = st.lists(
        st.tuples(st.sampled_from(_MUTATIONS), st.integers(0, 2**16), st.binary(max_size=8)), min_size=1, max_size=3
    )
    mutated = st.builds(_mutate, valid, operations)
    crafted = st.sampled_from(crafted_payloads(descriptor))
    crafted_in_valid = st.builds(lambda a, b: a + b, valid, crafted)
    return st.one_of(st.binary(max_size=64), valid, mutated, mutated, crafted, crafted_in_valid)


def decodes(descriptor: Descriptor, payload: bytes) -> bool:
    """Whether the protobuf runtime (the server's too) parses `payload` as this message type."""
    try:
        message_class(descriptor).FromString(payload)
    except DecodeError:
        return False
    return True


# ---------------------------------------------------------------- calling


@dataclass
class CallResult:
    code: grpc.StatusCode
    details: str
    responses: list[bytes]
    seconds: float


class _ConnectionWatch:
    """Counts the channel's departures from READY: the server (or the network) closed the connection."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.drops = 0
        self._last: grpc.ChannelConnectivity | None = None
        self._lock = threading.Lock()
        self._channel = channel
        channel.subscribe(self._changed, try_to_connect=True)

    def _changed(self, state: grpc.ChannelConnectivity) -> None:
        with self._lock:
            if self._last is grpc.ChannelConnectivity.READY and state is not grpc.ChannelConnectivity.READY:
                self.drops += 1
            self._last = state

    def close(self) -> None:
        self._channel.unsubscribe(self._changed)


class _Client:
    """One channel (renewed before the server's connection age limit) and a bytes-in, bytes-out call per method."""

    def __init__(
        self, target: str, credentials: grpc.ChannelCredentials | None, metadata: Sequence[tuple[str, str]]
    ) -> None:
        self._target = target
        self._credentials = credentials
        self._metadata = tuple(metadata)
        self._channel: grpc.Channel | None = None
        self._watch: _ConnectionWatch | None = None
        self._opened = 0.0
        self._open()

    def _open(self) -> None:
        self.close()
        # The client reads whatever the server sends: a size refusal must come from the server.
        options = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        if self._credentials is not None:
            self._channel = grpc.secure_channel(self._target, self._credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(self._target, options=options)
        grpc.channel_ready_future(self._channel).result(timeout=10)
        self._watch = _ConnectionWatch(self._channel)
        self._opened = time.monotonic()

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        if self._channel is not None:
            self._channel.close()
        self._channel = self._watch = None

    @property
    def drops(self) -> int:
        return self._watch.drops if self._watch else 0

    def call(self, method: MethodDescriptor, payloads: Sequence[bytes], timeout: float) -> CallResult:
        if time.monotonic() - self._opened > CHANNEL_MAX_AGE_S:
            self._open()
        assert self._channel is not None
        path = f"/{method.containing_service.full_name}/{method.name}"
        kwargs: dict[str, Any] = {"request_serializer": None, "response_deserializer": None}
        responses: list[bytes] = []
        started = time.perf_counter()
        try:
            if method.client_streaming and method.server_streaming:
                stream = self._channel.stream_stream(path, **kwargs)(
                    iter(payloads), timeout=timeout, metadata=self._metadata
                )
                responses.extend(stream)  # what came before an error stays in `responses`
            elif method.server_streaming:
                stream = self._channel.unary_stream(path, **kwargs)(
                    payloads[0], timeout=timeout, metadata=self._metadata
                )
                responses.extend(stream)
            elif method.client_streaming:
                response = self._channel.stream_unary(path, **kwargs)(
                    iter(payloads), timeout=timeout, metadata=self._metadata
                )
                responses.append(response)
            else:
                responses.append(
                    self._channel.unary_unary(path, **kwargs)(payloads[0], timeout=timeout, metadata=self._metadata)
                )
        except grpc.RpcError as error:
            code, details = error.code(), error.details() or ""  # type: ignore[attr-defined]
            return CallResult(code, details, responses, time.perf_counter() - started)
        return CallResult(grpc.StatusCode.OK, "", responses, time.perf_counter() - started)

    def health(self) -> str:
        """The overall health status's name ("SERVING" ...), or the error's code name if the check fails."""
        assert self._channel is not None
        stub = health_pb2_grpc.HealthStub(self._channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5, metadata=self._metadata)
        except grpc.RpcError as error:
            return f"error {error.code().name}"  # type: ignore[attr-defined]
        return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)


# ---------------------------------------------------------------- properties


def is_watch(method: MethodDescriptor) -> bool:
    """A server stream the client does not end: it stays open until the deadline, by design."""
    return method.server_streaming and not method.client_streaming


def timeout_for(method: MethodDescriptor, payloads: Sequence[bytes] = ()) -> float:
    """The call's deadline: short for a watch, but not when its request does not decode.

    Undecodable bytes must be refused at once (INVALID_ARGUMENT) even on a watch; with the watch's
    short deadline a busy machine could answer DEADLINE_EXCEEDED first, and hide a server that waits.
    """
    if is_watch(method) and all(decodes(method.input_type, payload) for payload in payloads):
        return WATCH_TIMEOUT_S
    return CALL_TIMEOUT_S


def violations(method: MethodDescriptor, payloads: Sequence[bytes], result: CallResult) -> list[str]:
    """The properties this call broke, each as a short kind ("crash", "no_message" ...); empty if none."""
    found: list[str] = []
    code = result.code
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED and _REQUEST_TOO_LARGE in result.details:
        pass  # the transport refused an oversized message before anyone read it, decodable or not
    elif code is grpc.StatusCode.RESOURCE_EXHAUSTED and _RESPONSE_TOO_LARGE in result.details:
        found.append("response_too_large")
    elif not all(decodes(method.input_type, payload) for payload in payloads):
        if code is not grpc.StatusCode.INVALID_ARGUMENT:
            found.append("undecodable_not_invalid_argument")
    elif code in CRASH_CODES:
        found.append("crash")
    elif code is grpc.StatusCode.DEADLINE_EXCEEDED:
        if not is_watch(method):
            found.append("too_slow")
    elif code not in EXPECTED_CODES:
        found.append("unexpected_code")
    if code is not grpc.StatusCode.OK and not result.details.strip():
        found.append("no_message")
    found += _bad_responses(method, payloads, result)
    return found


def _bad_responses(method: MethodDescriptor, payloads: Sequence[bytes], result: CallResult) -> list[str]:
    """What is wrong with the answers themselves: undecodable, or (ScreenBatch) not one per request, in order."""
    output = message_class(method.output_type)
    try:
        answers = [output.FromString(response) for response in result.responses]
    except DecodeError:
        return ["bad_response"]
    if method.input_type is not pb.ScreenBatchRequest.DESCRIPTOR or result.code is not grpc.StatusCode.OK:
        return []
    requests = [request for payload in payloads for request in pb.ScreenBatchRequest.FromString(payload).requests]
    items = [item for answer in answers for item in answer.responses]  # type: ignore[attr-defined]
    if len(items) != len(requests):
        return ["batch_count"]
    for n, (request, item) in enumerate(zip(requests, items, strict=True), start=1):
        if item.request_id != (request.request_id or f"batch-item-{n}"):
            return ["batch_order"]
        if item.HasField("error") and (not item.error.message.strip() or item.error.code == 0):
            return ["batch_item_error"]
    return []


# ---------------------------------------------------------------- report


@dataclass
class Failure:
    """One property violation: the call, what came back, and the request shrunk while it still fails so."""

    method: str
    mode: str
    kind: str
    code: str
    details: str
    payloads: list[bytes]
    shrunk: list[bytes] | None = None
    shrunk_details: str = ""

    @property
    def signature(self) -> tuple[str, str, str, str]:
        return (self.method, self.mode, self.kind, self.code)

    def describe(self, input_type: Descriptor | None = None) -> str:
        """The failure and its request (shrunk when it could be): base64 of each message, exact, and as text."""
        payloads = self.shrunk if self.shrunk is not None else self.payloads
        size = sum(map(len, self.payloads))
        shrunk = f" (shrunk from {size} bytes)" if self.shrunk is not None and self.shrunk != self.payloads else ""
        details = self.shrunk_details or self.details
        lines = [f"{self.method} [{self.mode}] {self.kind}: {self.code} {details!r}{shrunk}"]
        for n, payload in enumerate(payloads):
            lines.append(f"  message {n}: base64 {base64.b64encode(payload).decode()[:2000]!s}")
            if input_type is not None:
                lines.append(f"    as text: {_as_text(input_type, payload)}")
        return "\n".join(lines)


def _as_text(descriptor: Descriptor, payload: bytes, limit: int = 2000) -> str:
    try:
        message = message_class(descriptor).FromString(payload)
    except DecodeError as exc:
        return f"(does not decode: {exc})"
    text = text_format.MessageToString(message, as_one_line=True, as_utf8=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


@dataclass
class FuzzReport:
    """What one `fuzz_server` run did and found; `ok` when nothing was violated and the server stayed SERVING."""

    target: str
    examples: int
    seed: int
    profile: str
    # (method, mode) -> status code name -> calls
    calls: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    # signature -> how many calls failed so (all of them, not only the kept ones)
    failure_counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    # (method, mode) -> (seconds, code, base64 of the start of its first message) of its slowest call
    slowest: dict[tuple[str, str], tuple[float, str, str]] = field(default_factory=dict)
    health_after: str = ""
    aborted: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and self.health_after == "SERVING" and not self.aborted

    @property
    def total_calls(self) -> int:
        return sum(sum(counts.values()) for counts in self.calls.values())

    def by_method(self) -> dict[str, Counter[str]]:
        """Status code name -> calls, per method, both modes together."""
        merged: dict[str, Counter[str]] = {}
        for (method, _mode), counts in self.calls.items():
            merged.setdefault(method, Counter()).update(counts)
        return merged

    def first_failures(self) -> dict[tuple[str, str, str, str], Failure]:
        firsts: dict[tuple[str, str, str, str], Failure] = {}
        for failure in self.failures:
            firsts.setdefault(failure.signature, failure)
        return firsts

    def format(self) -> str:
        lines = [
            f"fuzzed {self.target}: {self.total_calls} calls in {self.seconds:.1f} s "
            f"(profile {self.profile}, seed {self.seed}); health after: {self.health_after or 'not checked'}"
            + (f"; ABORTED: {self.aborted}" if self.aborted else ""),
        ]
        for (method, mode), counts in sorted(self.calls.items()):
            codes = ", ".join(f"{code} {n}" for code, n in counts.most_common())
            slow = self.slowest.get((method, mode))
            lines.append(
                f"  {method:<20} {mode:<10} {codes}" + (f"  (slowest {slow[0] * 1000:.0f} ms)" if slow else "")
            )
        if self.failure_counts:
            lines.append("violations:")
            by_type = {m.name: m.input_type for m in SERVICE.methods}
            for signature, count in self.failure_counts.most_common():
                lines.append(f"  {count} x {' / '.join(signature)}")
            for failure in self.first_failures().values():
                lines.append(failure.describe(by_type.get(failure.method)))
        return "\n".join(lines)


# ---------------------------------------------------------------- shrinking


class _Shrinker:
    """Greedy shrinking of a failing request against the server: keep any smaller request that fails the same way."""

    def __init__(self, still_fails: Callable[[list[bytes]], bool], budget: int = SHRINK_CALLS) -> None:
        self._still_fails = still_fails
        self._budget = budget

    def _try(self, candidate: list[bytes]) -> bool:
        if self._budget <= 0:
            return False
        self._budget -= 1
        return self._still_fails(candidate)

    def shrink(self, descriptor: Descriptor, payloads: list[bytes]) -> list[bytes]:
        current = list(payloads)
        progress = True
        while progress and self._budget > 0:
            progress = False
            for candidate in self._candidates(descriptor, current):
                if len(b"".join(candidate)) <= len(b"".join(current)) and candidate != current and self._try(candidate):
                    current, progress = candidate, True
                    break
        return current

    def _candidates(self, descriptor: Descriptor, payloads: list[bytes]) -> Iterator[list[bytes]]:
        for i in range(len(payloads)):  # fewer stream messages
            if len(payloads) > 1:
                yield payloads[:i] + payloads[i + 1 :]
        for i, payload in enumerate(payloads):
            if decodes(descriptor, payload):
                message = message_class(descriptor).FromString(payload)
                known_only = _clone(message)
                known_only.DiscardUnknownFields()  # parsing keeps unknown fields, and clearing fields never drops them
                yield payloads[:i] + [known_only.SerializeToString()] + payloads[i + 1 :]
                for smaller in _smaller_messages(message):
                    yield payloads[:i] + [smaller.SerializeToString()] + payloads[i + 1 :]
            else:
                for smaller in _smaller_bytes(payload):
                    yield payloads[:i] + [smaller] + payloads[i + 1 :]


def _clone(message: Message) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def _smaller_strings(value: str) -> Iterator[str]:
    if not value:
        return
    yield ""
    half = len(value) // 2
    if half:
        yield value[:half]
        yield value[half:]
    if len(value) <= 32:
        for i in range(len(value)):
            yield value[:i] + value[i + 1 :]


def _smaller_messages(message: Message) -> Iterator[Message]:
    """Copies of `message` a step smaller: a field cleared, elements removed, a string cut, a number zeroed."""
    for descriptor, value in message.ListFields():
        name = descriptor.name
        copy = _clone(message)
        copy.ClearField(name)
        yield copy
        if _is_map(descriptor):
            continue
        if descriptor.is_repeated:
            count = len(value)
            size = count // 2
            while size >= 1:
                for start in range(0, count, size):
                    copy = _clone(message)
                    del getattr(copy, name)[start : start + size]
                    yield copy
                size //= 2
            for i in range(count):
                for smaller in _smaller_values(descriptor, value[i]):
                    copy = _clone(message)
                    target = getattr(copy, name)
                    if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
                        target[i].CopyFrom(smaller)
                    else:
                        target[i] = smaller
                    yield copy
            continue
        for smaller in _smaller_values(descriptor, value):
            copy = _clone(message)
            if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
                getattr(copy, name).CopyFrom(smaller)
            else:
                setattr(copy, name, smaller)
            yield copy


def _smaller_values(descriptor: FieldDescriptor, value: Any) -> Iterator[Any]:
    if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
        yield from _smaller_messages(value)
    elif descriptor.type == FieldDescriptor.TYPE_STRING:
        yield from _smaller_strings(value)
    elif descriptor.type == FieldDescriptor.TYPE_BYTES:
        yield from (value[: len(value) // 2], b"") if value else ()
    elif (
        descriptor.type != FieldDescriptor.TYPE_BOOL
        and value != 0
        and not (isinstance(value, float) and math.isnan(value))
    ):
        yield type(value)(0)


def _smaller_bytes(payload: bytes) -> Iterator[bytes]:
    size = len(payload) // 2
    while size >= 1:
        for start in range(0, len(payload), size):
            yield payload[:start] + payload[start + size :]
        size //= 2


# ---------------------------------------------------------------- the driver


def discover_vocabulary(client: _Client, vocabulary: Vocabulary) -> None:
    """Ask the server for values it will recognise: its list ids, listed entries, fingerprints, a party, a disposition.

    Requests built from them reach the lookups behind validation (a known entry, a registered
    party, a pending disposition to approve or reject) instead of stopping at NOT_FOUND.
    """
    methods = SERVICE.methods_by_name

    def unary(name: str, request: Message) -> Message | None:
        method = methods.get(name)
        if method is None:
            return None
        result = client.call(method, [request.SerializeToString()], CALL_TIMEOUT_S)
        if result.code is not grpc.StatusCode.OK or not result.responses:
            return None
        return message_class(method.output_type).FromString(result.responses[0])

    status = unary("GetListStatus", pb.GetListStatusRequest())
    if isinstance(status, pb.GetListStatusResponse):
        vocabulary.add("list_id", *(s.list_id for s in status.lists))
        vocabulary.add("list_ids", *(s.list_id for s in status.lists))
    listed: list[tuple[str, str]] = []
    for name in REALISTIC_NAMES[:6]:
        answer = unary(
            "Screen", pb.ScreenRequest(party=pb.Party(name=name), context=pb.TransactionContext(direction=1))
        )
        if not isinstance(answer, pb.ScreenResponse):
            continue
        vocabulary.add("party_fingerprint", answer.party_fingerprint)
        for match in answer.matches:
            listed.append((match.list_id, match.entry_id))
            vocabulary.add("list_id", match.list_id)
            vocabulary.add("entry_id", match.entry_id)
            vocabulary.add("name", match.listed_name)
    unary(
        "RegisterParties",
        pb.RegisterPartiesRequest(parties=[pb.Party(name=REALISTIC_NAMES[0], party_reference="fuzz-ref-1")]),
    )
    if listed:
        list_id, entry_id = listed[0]
        unary(
            "RecordDisposition",
            pb.RecordDispositionRequest(
                party_reference="fuzz-ref-1", list_id=list_id, entry_id=entry_id,
                kind=pb.DISPOSITION_KIND_FALSE_POSITIVE, reason="fuzzing: a disposition to approve, reject and revoke",
            ),
        )  # fmt: skip


def explicit_payloads(strategies: RequestStrategies, method: MethodDescriptor, mode: str) -> list[list[bytes]]:
    """What every run sends besides its random examples: the baseline request and each of its one-bad-field
    variants (structured), or each crafted breakage of the request type (raw)."""
    if mode == "structured":
        messages = [strategies.baseline(method.input_type), *strategies.one_bad_field(method.input_type)]
        return [[message.SerializeToString()] for message in messages]
    return [[payload] for payload in crafted_payloads(method.input_type)]


def _allocate(examples: int, methods: Sequence[MethodDescriptor], modes: Sequence[str]) -> dict[tuple[str, str], int]:
    """Examples per (method, mode), by METHOD_WEIGHTS, at least one each."""
    weights = {(m.name, mode): METHOD_WEIGHTS.get(m.name, 1) for m in methods for mode in modes}
    total = sum(weights.values())
    return {key: max(1, round(examples * weight / total)) for key, weight in weights.items()}


def fuzz_server(
    target: str,
    examples: int,
    *,
    methods: Sequence[str] | None = None,
    modes: Sequence[str] = MODES,
    credentials: grpc.ChannelCredentials | None = None,
    metadata: Sequence[tuple[str, str]] = (),
    seed_value: int | None = None,
    shrink: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FuzzReport:
    """Fuzz every method of ScreeningService (or `methods`) on the server at `target`; about `examples` calls.

    The server must be SERVING and disposable: the fuzzer registers parties and records
    dispositions. `metadata` carries credentials (`authorization: Bearer ...`) when the server
    authenticates; `credentials` makes the channel TLS. `seed_value` repeats a run exactly (the
    report says which seed it used). Blocking: call it from a thread when the server runs on
    this process's event loop.
    """
    chosen = [m for m in SERVICE.methods if methods is None or m.name in methods]
    unknown = set(methods or ()) - {m.name for m in SERVICE.methods}
    if unknown:
        raise ValueError(f"no such method(s) in {SERVICE.full_name}: {', '.join(sorted(unknown))}")
    bad_modes = set(modes) - set(MODES)
    if bad_modes:
        raise ValueError(f"unknown mode(s) {sorted(bad_modes)}; known: {MODES}")
    run_seed = seed_value if seed_value is not None else random.SystemRandom().randrange(2**32)
    profile = profile_for(examples)
    report = FuzzReport(target=target, examples=examples, seed=run_seed, profile=profile)
    started = time.perf_counter()
    client = _Client(target, credentials, metadata)
    try:
        health = client.health()
        if health != "SERVING":
            report.aborted = f"the server is not SERVING before the run ({health})"
            return report
        vocabulary = Vocabulary()
        discover_vocabulary(client, vocabulary)
        strategies = RequestStrategies(vocabulary)
        plan = _allocate(examples, chosen, modes)
        for method in chosen:
            for mode in modes:
                if progress is not None:
                    progress(f"{method.name} [{mode}]: {plan[(method.name, mode)]} examples")
                try:
                    _fuzz_method(client, strategies, method, mode, plan[(method.name, mode)], run_seed, profile, report)
                except _ServerGone as gone:
                    report.aborted = str(gone)
                    return report
        if shrink:
            _shrink_failures(client, report)
    finally:
        report.health_after = client.health() if not report.aborted else report.health_after
        client.close()
        report.seconds = time.perf_counter() - started
    return report


class _ServerGone(Exception):
    """Raised out of hypothesis to end the run: the server stopped answering."""


def _fuzz_method(
    client: _Client,
    strategies: RequestStrategies,
    method: MethodDescriptor,
    mode: str,
    examples: int,
    run_seed: int,
    profile: str,
    report: FuzzReport,
) -> None:
    counts = report.calls.setdefault((method.name, mode), Counter())
    unreachable = 0

    def send(payloads: list[bytes]) -> None:
        nonlocal unreachable
        drops = client.drops
        result = client.call(method, payloads, timeout_for(method, payloads))
        if result.code is grpc.StatusCode.UNAVAILABLE:
            time.sleep(0.05)  # the channel's state change arrives on another thread
        counts[result.code.name] += 1
        kinds = violations(method, payloads, result)
        if client.drops != drops:
            kinds.append("connection_closed")
        unreachable = unreachable + 1 if result.code is grpc.StatusCode.UNAVAILABLE else 0
        if unreachable >= MAX_UNREACHABLE_IN_A_ROW:
            raise _ServerGone(
                f"{unreachable} calls in a row UNAVAILABLE during {method.name} [{mode}]: {result.details}"
            )
        if not is_watch(method):  # a watch call lasts its deadline
            slowest = report.slowest.get((method.name, mode))
            if slowest is None or result.seconds > slowest[0]:
                start = base64.b64encode(payloads[0][:512]).decode()
                report.slowest[(method.name, mode)] = (result.seconds, result.code.name, start)
        for kind in kinds:
            failure = Failure(method.name, mode, kind, result.code.name, result.details[:500], list(payloads))
            report.failure_counts[failure.signature] += 1
            if report.failure_counts[failure.signature] <= FAILURES_KEPT_PER_KIND:
                report.failures.append(failure)

    if mode == "structured":
        strategy: SearchStrategy[list[bytes]] = strategies.requests(method).map(
            lambda messages: [m.SerializeToString() for m in messages]
        )
    else:
        strategy = strategies.raw(method)

    run = given(strategy)(send)
    for payloads in explicit_payloads(strategies, method, mode):  # hypothesis' explicit phase runs these first
        run = example(payloads)(run)
    seed(run_seed)(settings(settings.get_profile(profile), max_examples=examples)(run))()


def _shrink_failures(client: _Client, report: FuzzReport) -> None:
    """Shrink the first failure of each kind; its `shrunk` request fails the same way (kind and code)."""
    for failure in report.first_failures().values():
        _shrink_failure(client, failure)


def _shrink_failure(client: _Client, failure: Failure) -> None:
    method = SERVICE.methods_by_name[failure.method]
    last: list[CallResult] = []

    def still_fails(payloads: list[bytes]) -> bool:
        drops = client.drops
        result = client.call(method, payloads, timeout_for(method, payloads))
        kinds = violations(method, payloads, result)
        if client.drops != drops:
            kinds.append("connection_closed")
        if failure.kind in kinds and result.code.name == failure.code:
            last[:] = [result]
            return True
        return False

    failure.shrunk = _Shrinker(still_fails).shrink(method.input_type, failure.payloads)
    failure.shrunk_details = last[0].details[:500] if last else ""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.fuzzing --target HOST:PORT`: fuzz a running server, print the report; exit 1 on a violation."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--examples", type=int, default=None, help=f"default: ${ENV_EXAMPLES} or {CI_EXAMPLES}")
    parser.add_argument("--method", action="append", dest="methods", help="only this method (repeatable)")
    parser.add_argument("--mode", action="append", dest="modes", choices=MODES, help="only this mode (repeatable)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    examples = args.examples or examples_from_env()
    metadata = ()
    key = os.environ.get("SCREENING_API_KEY")
    if key:
        metadata = (("authorization", f"Bearer {key}"),)
    report = fuzz_server(
        args.target, examples, methods=args.methods, modes=tuple(args.modes or MODES), metadata=metadata,
        seed_value=args.seed, progress=lambda line: print(line, file=sys.stderr, flush=True),
    )  # fmt: skip
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
