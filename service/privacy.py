"""Party fingerprints: what logs and audit records carry instead of party data."""

from __future__ import annotations

import hashlib

from service.model import PartyQuery
from service.normalize.names import name_tokens


def party_fingerprint(query: PartyQuery) -> str:
    """Stable short hash of the party's identifying data (names, type, DOB, countries).

    Normalised first, so the same party sent with different casing or spacing
    gets the same fingerprint; that lets a log line be tied to a party the
    caller holds without the log holding the party.
    """
    parts = [
        "|".join(" ".join(name_tokens(name.value)) for name in query.names),
        query.entity_type.value,
        query.date_of_birth,
        ",".join(sorted(query.countries)),
        ",".join(sorted(f"{i.type}:{i.value}" for i in query.identifiers)),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
