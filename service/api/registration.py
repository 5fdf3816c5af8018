"""RegisterParties input -> registry records, validated like a screening request."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc

from service.api.gen import screening_pb2 as pb
from service.api.validation import InvalidArgument, validate_party
from service.registry.store import RegisteredParty
from service.rescreen.engine import party_tokens


DIRECTION_NAMES = {
    pb.DIRECTION_EXPORT: "export",
    pb.DIRECTION_IMPORT: "import",
    pb.DIRECTION_PAYMENT: "payment",
    pb.DIRECTION_OTHER: "other",
}


DIRECTION_VALUES = {name: value for value, name in DIRECTION_NAMES.items()}


def direction_name(direction: int, default: str = "export") -> str:
    """A Direction value's name; DIRECTION_UNSPECIFIED (or unknown) is `default`."""
    return DIRECTION_NAMES.get(direction, default)  # type: ignore[call-overload]


def registered_parties(
    parties: Sequence[pb.Party],
    directions: str | Sequence[str],
    field_of: Callable[[int], str] = lambda position: f"parties[{position}]",
) -> tuple[list[RegisteredParty], list[pb.ItemError]]:
    """Valid parties as registry records, and one error per refused party (field path with its index).

    `directions`: one for all parties (a RegisterParties call), or one per party (an import
    whose rows say it). `field_of`: how an error names the party at a position.
    """
    records: list[RegisteredParty] = []
    errors: list[pb.ItemError] = []
    seen: set[str] = set()
    for position, party in enumerate(parties):
        where = field_of(position)
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
        direction = directions if isinstance(directions, str) else directions[position]
        records.append(RegisteredParty(query.party_reference, clean.SerializeToString(), party_tokens(party), direction))
    return records, errors
