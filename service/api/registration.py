"""RegisterParties input -> registry records, validated like a screening request."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc

from service.api.gen import screening_pb2 as pb
from service.api.validation import InvalidArgument, validate_party, validate_reference
from service.registry.store import RegisteredParty
from service.rescreen.engine import party_tokens

DIRECTION_NAMES = {
    pb.DIRECTION_EXPORT: "export",
    pb.DIRECTION_IMPORT: "import",
    pb.DIRECTION_PAYMENT: "payment",
    pb.DIRECTION_OTHER: "other",
}


DIRECTION_VALUES = {name: value for value, name in DIRECTION_NAMES.items()}

# Parties one RegisterParties or RemoveParties call may name (the servicer's MAX_REGISTER_BATCH).
MAX_PARTIES_PER_CALL = 1000


def direction_name(direction: pb.Direction, default: str = "export") -> str:
    """A Direction value's name; DIRECTION_UNSPECIFIED (or unknown) is `default`."""
    return DIRECTION_NAMES.get(direction, default)


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
                raise InvalidArgument(
                    f"{where}.party_reference", "is required to register a party (it is the upsert key)"
                )
            if query.party_reference in seen:
                raise InvalidArgument(
                    f"{where}.party_reference", f"{query.party_reference!r} appears twice in this call"
                )
        except InvalidArgument as exc:
            errors.append(
                pb.ItemError(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=str(exc), field=exc.field)
            )
            continue
        seen.add(query.party_reference)
        clean = pb.Party()
        clean.CopyFrom(party)
        clean.party_reference = query.party_reference
        direction = directions if isinstance(directions, str) else directions[position]
        records.append(
            RegisteredParty(query.party_reference, clean.SerializeToString(), party_tokens(party), direction)
        )
    return records, errors


def removal_references(references: Sequence[str], limit: int = MAX_PARTIES_PER_CALL) -> list[str]:
    """RemovePartiesRequest.party_references as the registry keys them: stripped, valid, each once, at most `limit`.

    Registration strips a reference and caps a call at `limit` parties; removal did neither. One
    RemoveParties call of 500,000 short references (3.4 MB, under the 4 MiB message limit) held the
    server for 25 s and its Redis connection long enough for every other task on it to time out
    (dispositions, alert feed, re-screening); " BP-1001 " removed nothing while GetParty found the
    party (found while fuzzing the API). Raises InvalidArgument naming the field.
    """
    if len(references) > limit:
        raise InvalidArgument("party_references", f"at most {limit} per call, got {len(references)}")
    checked = (validate_reference(f"party_references[{i}]", reference) for i, reference in enumerate(references))
    return list(dict.fromkeys(checked))
