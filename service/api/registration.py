"""RegisterParties input -> registry records, validated like a screening request."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from service.api.gen import screening_pb2 as pb
from service.api.validation import InvalidArgument, validate_party
from service.registry.store import RegisteredParty
from service.rescreen.engine import party_tokens


def registered_parties(parties: Sequence[pb.Party], direction: str) -> tuple[list[RegisteredParty], list[pb.ItemError]]:
    """Valid parties as registry records, and one error per refused party (field path with its index)."""
    records: list[RegisteredParty] = []
    errors: list[pb.ItemError] = []
    seen: set[str] = set()
    for position, party in enumerate(parties):
        where = f"parties[{position}]"
        try:
            query = validate_party(party, where)
            if not query.party_reference:
                raise InvalidArgument(f"{where}.party_reference", "is required to register a party (it is the upsert key)")
            if query.party_reference in seen:
                raise InvalidArgument(f"{where}.party_reference", f"{query.party_reference!r} appears twice in this call")
        except InvalidArgument as exc:
            errors.append(pb.ItemError(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=str(exc), field=exc.field))
            continue
        seen.add(query.party_reference)
        clean = pb.Party()
        clean.CopyFrom(party)
        clean.party_reference = query.party_reference
        records.append(RegisteredParty(query.party_reference, clean.SerializeToString(), party_tokens(party), direction))
    return records, errors
