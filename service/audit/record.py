"""The audit record: what one screening decided, on which data, and why.

Serialised as compact msgspec JSON, one record per stream entry and per line of
the exported files. Decoding ignores unknown fields on purpose: a reader built
for `record_version` 1 can still read records written by a newer service.
Bump `record_version` when a field changes meaning, not only when one is added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditMatch(msgspec.Struct, frozen=True):
    list_id: str
    entry_id: str
    entry_hash: str
    score: float
    listed_name: str
    # "" or a description of the disposition (e.g. a cleared false positive) that suppressed it.
    suppressed_by: str = ""


class AuditReason(msgspec.Struct, frozen=True):
    decision: str
    code: str
    rule_id: str
    list_id: str = ""
    entry_id: str = ""


class AuditRecord(msgspec.Struct, frozen=True):
    screening_id: str  # the key readers deduplicate on (the exporter delivers at least once)
    screened_at: datetime  # UTC
    caller: str  # the authenticated principal ("key:erp", "oidc:alice"; "anonymous" with auth off), "" when unknown
    request_id: str
    party_fingerprint: str
    party: dict[str, Any] | None  # the request's party as JSON, only when the operator enables party data in audit
    context: dict[str, Any]  # direction, role, countries, transaction reference, items
    list_versions: dict[str, str]  # list_id -> version
    policy_version: str
    matcher_version: str
    matches: tuple[AuditMatch, ...]
    reasons: tuple[AuditReason, ...]
    decision: str  # "CLEAR" | "REVIEW" | "HOLD" | "BLOCK"
    latency_ms: float
    record_version: int = 1  # schema version of this record
    peer: str = ""  # the network address the call came from ("ipv4:10.0.0.7:51234"), "" when unknown

    def __post_init__(self) -> None:
        # A naive time would be written without an offset and read back ambiguously
        # for ten years; refuse it where the record is built.
        if self.screened_at.tzinfo is None or self.screened_at.utcoffset() is None:
            raise ValueError("AuditRecord.screened_at must be timezone-aware (UTC)")


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(AuditRecord)


def encode(record: AuditRecord) -> bytes:
    """Compact JSON without newlines (JSON escapes them), so one record is one line."""
    return _ENCODER.encode(record)


def decode(data: bytes) -> AuditRecord:
    """Raises msgspec.DecodeError (a ValueError) on malformed or mistyped input."""
    return _DECODER.decode(data)
