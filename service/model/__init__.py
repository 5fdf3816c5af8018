"""The canonical entry model every list source maps into."""

from service.model.entry import (
    Address,
    AliasStrength,
    EntityType,
    Entry,
    Identifier,
    Name,
    NameKind,
    Vessel,
)
from service.model.query import (
    Direction,
    PartyQuery,
    QueryAddress,
    QueryIdentifier,
    QueryItem,
    QueryName,
    QueryNameSource,
    QueryOwner,
    ScreenOptions,
    TransactionContext,
)

__all__ = [
    "Address",
    "AliasStrength",
    "Direction",
    "EntityType",
    "Entry",
    "Identifier",
    "Name",
    "NameKind",
    "PartyQuery",
    "QueryAddress",
    "QueryIdentifier",
    "QueryItem",
    "QueryName",
    "QueryNameSource",
    "QueryOwner",
    "ScreenOptions",
    "TransactionContext",
    "Vessel",
]
