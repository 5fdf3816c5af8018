"""A registered party's identifier keys, for the registry's per-bucket identifier index.

A list update that adds an identifier to an entry (OFAC often adds IMO numbers and wallet
addresses to entries it already lists) must reach the registered parties holding it, whatever
their names: the delta asks each bucket's index (reference -> keys) instead of decoding every
party. Keys are those of service.identifiers (the same a Screen compares).
"""

from __future__ import annotations

from service.api.gen import screening_pb2 as pb
from service.identifiers import query_identifier

# Separates keys in the index's values (never inside a key: keys are letters, digits or an address).
KEY_SEP = "\x1f"


def identifier_keys(party: bytes) -> tuple[str, ...]:
    """The keys of a registered party's identifiers (its stored protobuf), each once, in order."""
    message = pb.Party.FromString(party)
    keys = (query_identifier(i.type, i.value, i.issuing_country).key for i in message.identifiers)
    return tuple(dict.fromkeys(key for key in keys if key))


def packed(keys: tuple[str, ...]) -> str:
    return KEY_SEP.join(keys)


def unpacked(value: bytes) -> tuple[str, ...]:
    return tuple(value.decode().split(KEY_SEP)) if value else ()
