"""Identifiers of parties and entries: IMO and MMSI numbers, call signs, aircraft serials and marks,
passports and national ids, tax and registration numbers, BICs, LEIs and wallet addresses.

kinds (the vocabulary and the lists' labels) -> normalize (the key compared, what looks wrong)
-> index (every listed identifier by key) -> match (a party's identifiers, one probe each).
"""

from __future__ import annotations

from service.identifiers.kinds import query_kind
from service.identifiers.normalize import normalize
from service.model import QueryIdentifier


def query_identifier(type_name: str, value: str, issuing_country: str = "", field: str = "") -> QueryIdentifier:
    """The caller's identifier with its kind and key; a type outside the vocabulary keeps no key
    (only validation refuses it: parties registered before the vocabulary existed still load)."""
    known = query_kind(type_name)
    if known is None:
        return QueryIdentifier(type_name, value, issuing_country, field=field)
    kind, chain = known
    normalized = normalize(kind, value, chain)
    label = f"{kind.label} ({chain})" if chain else kind.label
    return QueryIdentifier(
        type_name, value, issuing_country, kind.name, chain, normalized.key, normalized.problem, field, label
    )
