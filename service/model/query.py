"""What a caller asks about: a validated party and its transaction context.

The API layer turns protobuf requests into these (after validation), so the
matcher and the policy never see wire types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from service.model.entry import EntityType


class Direction(str, Enum):
    EXPORT = "export"
    IMPORT = "import"
    PAYMENT = "payment"
    OTHER = "other"


class QueryNameSource(str, Enum):
    NAME = "name"
    ALTERNATIVE_NAME = "alternative_name"


@dataclass(frozen=True, slots=True)
class QueryName:
    value: str
    source: QueryNameSource


@dataclass(frozen=True, slots=True)
class QueryIdentifier:
    type: str  # as the caller wrote it
    value: str
    issuing_country: str = ""
    # Filled in by validation (service.identifiers): the kind ("imo", "passport", "wallet" ...), a
    # wallet's chain, the key it is compared by ("" when nothing comparable), what looks wrong with it,
    # and where it came from (the field path, for warnings and explanations).
    kind: str = ""
    chain: str = ""
    key: str = ""
    problem: str = ""
    field: str = ""
    # How an explanation names it: "IMO", "passport", "wallet address (XBT)" (the type as written
    # when the kind is unknown).
    label: str = ""

    @property
    def named(self) -> str:
        return self.label or self.type


@dataclass(frozen=True, slots=True)
class QueryAddress:
    """One of the party's addresses as the caller wrote it (validated, stripped)."""

    lines: tuple[str, ...] = ()
    city: str = ""
    state_or_province: str = ""
    postal_code: str = ""
    # ISO 3166-1 alpha-2, upper case, or "".
    country: str = ""


@dataclass(frozen=True, slots=True)
class QueryOwner:
    """A direct or indirect owner of the party, with its share of the party in percent."""

    name: str
    share_percent: float
    entity_type: EntityType = EntityType.UNKNOWN
    country: str = ""


@dataclass(frozen=True, slots=True)
class PartyQuery:
    names: tuple[QueryName, ...]
    # UNKNOWN matches every entry type.
    entity_type: EntityType = EntityType.UNKNOWN
    # ISO alpha-2 codes from the party's addresses.
    countries: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    # "YYYY", "YYYY-MM" or "YYYY-MM-DD", already validated.
    date_of_birth: str = ""
    identifiers: tuple[QueryIdentifier, ...] = ()
    party_reference: str = ""
    addresses: tuple[QueryAddress, ...] = ()
    owners: tuple[QueryOwner, ...] = ()


@dataclass(frozen=True, slots=True)
class QueryItem:
    """An item of the order, or an input of one (validated): what it is, where and by whom it was made."""

    # Field path, for reasons and errors: "context.items[2]", "context.items[2].inputs[0]".
    path: str
    # Position of the item (of the input's item) in context.items.
    item_index: int
    description: str = ""
    eccn: str = ""
    # Digits only.
    hs_code: str = ""
    # ISO 3166-1 alpha-2, an ISO 3166-2 code ("CN-XJ") and a place as written; each may be "".
    origin_country: str = ""
    origin_region: str = ""
    origin_place: str = ""
    producer: PartyQuery | None = None
    inputs: tuple[QueryItem, ...] = ()

    @property
    def label(self) -> str:
        """How a reason names it: "item 3 'cotton yarn'", "input 1 of item 3 'raw cotton'"."""
        described = f" '{self.description}'" if self.description else ""
        if ".inputs[" in self.path:
            position = int(self.path.rsplit("[", 1)[1].rstrip("]"))
            return f"input {position + 1} of item {self.item_index + 1}{described}"
        return f"item {self.item_index + 1}{described}"


@dataclass(frozen=True, slots=True)
class TransactionContext:
    direction: Direction = Direction.OTHER
    role: str = "unspecified"
    destination_country: str = ""
    origin_country: str = ""
    transaction_reference: str = ""
    item_eccns: tuple[str, ...] = field(default=())
    item_hs_codes: tuple[str, ...] = field(default=())
    # ISO 3166-2 code and place as written, finer than origin_country.
    origin_region: str = ""
    origin_place: str = ""
    items: tuple[QueryItem, ...] = ()
    # Every item and every input of one, each item followed by its inputs: what origin,
    # producer, sector and merchandise checks walk (set once, from `items`).
    goods: tuple[QueryItem, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "goods", tuple(goods for item in self.items for goods in (item, *item.inputs)))


@dataclass(frozen=True, slots=True)
class ScreenOptions:
    # Empty: every loaded list.
    list_ids: frozenset[str] = frozenset()
    max_matches: int = 10
