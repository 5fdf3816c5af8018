"""Turn one screening (request and outcome) into its audit record, and back into a request for replay."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
from google.protobuf.json_format import MessageToDict, ParseDict
from google.protobuf.message import Message

from service.api.gen import screening_pb2 as pb
from service.audit.record import AuditMatch, AuditReason, AuditRecord
from service.dispositions.store import Disposition
from service.engine.screener import ScreeningOutcome
from service.privacy import party_fingerprint
from service.refresh.diff import screening_fingerprint


@lru_cache(maxsize=4096)
def _as_dict(kind: type[Message], serialized: bytes) -> dict[str, Any]:
    """A context, item or options message as its JSON dict; read-only, shared by every record that has it.

    Cached by the message's bytes: a batch sends the same few contexts thousands of
    times, and MessageToDict (pure Python) costs more than the rest of the record.
    """
    message = kind()
    message.ParseFromString(serialized)
    return MessageToDict(message, preserving_proto_field_name=True)


def _has_producer(item: pb.Item) -> bool:
    return item.HasField("producer") or any(one.HasField("producer") for one in item.inputs)


def _kept_item(item: pb.Item, include_party: bool) -> pb.Item:
    """The item as the record keeps it: its producer (and its inputs') is a party, kept only when the party is."""
    if include_party or not _has_producer(item):
        return item
    kept = pb.Item()
    kept.CopyFrom(item)
    kept.ClearField("producer")
    for one in kept.inputs:
        one.ClearField("producer")
    return kept


_ITEMS_FIELD = pb.TransactionContext.DESCRIPTOR.fields_by_name["items"].number
_CONTEXT_FIELDS = {field.name: field.number for field in pb.TransactionContext.DESCRIPTOR.fields}


def context_as_dict(context: pb.TransactionContext, include_party: bool) -> dict[str, Any]:
    """The context as the record keeps it, as MessageToDict writes it (same keys, same order).

    Built from cached parts, the context without its items and each item: an order's lines (the
    same goods of the same origin) recur far more often than whole orders, and converting ten
    items afresh was most of a record's cost.
    """
    if not context.items:
        return _as_dict(pb.TransactionContext, context.SerializeToString(deterministic=True))
    rest = pb.TransactionContext()
    rest.CopyFrom(context)
    rest.ClearField("items")
    items: list[dict[str, Any]] | None = [
        _as_dict(pb.Item, _kept_item(item, include_party).SerializeToString(deterministic=True))
        for item in context.items
    ]
    # MessageToDict writes the fields set in field-number order: "items" goes among the others there.
    found: dict[str, Any] = {}
    for name, value in _as_dict(pb.TransactionContext, rest.SerializeToString(deterministic=True)).items():
        if items is not None and _CONTEXT_FIELDS[name] > _ITEMS_FIELD:
            found["items"], items = items, None
        found[name] = value
    if items is not None:
        found["items"] = items
    return found


def audit_record(
    outcome: ScreeningOutcome,
    request: pb.ScreenRequest,
    request_id: str,
    caller: str,
    include_party: bool,
    peer: str = "",
) -> AuditRecord:
    """The record of one screening; the party itself only when the operator allows it (AUDIT_PARTY_DATA).

    `caller` is the authenticated principal; `peer` the network address the call came from.
    """
    matches = [
        AuditMatch(m.list_id, m.entry.entry_id, screening_fingerprint(m.entry), m.score, m.listed_name.value)
        for m in outcome.matches
    ]
    matches += [
        AuditMatch(
            m.list_id, m.entry.entry_id, screening_fingerprint(m.entry), m.score, m.listed_name.value,
            suppressed_by=f"{d.kind.value} by {d.reviewer} on {d.recorded_at.isoformat()} (version {d.version})"
            + (f", approved by {d.approved_by}" if d.approved_by else ""),
        )
        for m, d in outcome.suppressed
    ]  # fmt: skip
    context: dict[str, Any] = {
        "context": context_as_dict(request.context, include_party),
        "options": _as_dict(pb.ScreenOptions, request.options.SerializeToString(deterministic=True)),
        # The dispositions applied, in full, so that a replay can apply the same ones.
        "dispositions": [msgspec.to_builtins(d) for d in outcome.dispositions_applied],
    }
    if outcome.producers:
        # Which producer of which item was screened and what it matched; the producer itself by
        # fingerprint, as the party is (in full in "context" only with AUDIT_PARTY_DATA).
        context["producers"] = [
            {
                "item": screening.path,
                "fingerprint": party_fingerprint(screening.producer),
                "matches": [
                    {"list_id": m.list_id, "entry_id": m.entry.entry_id, "score": m.score} for m in screening.matches
                ],
            }
            for screening in outcome.producers
        ]
    return AuditRecord(
        screening_id=outcome.screening_id,
        screened_at=outcome.screened_at,
        caller=caller,
        peer=peer,
        request_id=request_id,
        party_fingerprint=outcome.party_fingerprint,
        party=MessageToDict(request.party, preserving_proto_field_name=True) if include_party else None,
        context=context,
        list_versions={used.loaded.meta.list_id: used.loaded.meta.version for used in outcome.lists},
        policy_version=outcome.policy_version,
        matcher_version=outcome.matcher_version,
        matches=tuple(matches),
        reasons=tuple(
            AuditReason(r.action.name, r.code, r.rule_id, r.list_id, r.entry_id) for r in outcome.decision.reasons
        ),
        decision=outcome.decision.action.name,
        latency_ms=round(outcome.latency_s * 1000, 3),
    )


class NotReplayable(Exception):
    """The record lacks what a replay needs (the party was not kept)."""


def request_from_record(record: AuditRecord) -> pb.ScreenRequest:
    if record.party is None:
        raise NotReplayable(
            f"audit record {record.screening_id} does not hold the party (AUDIT_PARTY_DATA was off when it was "
            "written): only its fingerprint was kept, so it cannot be screened again"
        )
    request = pb.ScreenRequest(request_id=record.request_id)
    ParseDict(record.party, request.party)
    ParseDict(record.context.get("context", {}), request.context)
    ParseDict(record.context.get("options", {}), request.options)
    return request


def dispositions_from_record(record: AuditRecord) -> list[Disposition]:
    return [msgspec.convert(item, Disposition) for item in record.context.get("dispositions", [])]
