"""Validate a ScreenRequest at the API edge and turn it into domain objects.

Every rejection names the offending field (`party.alternative_names[3]`) and
says what is wrong with it, so a caller can fix the request without guessing.
Nothing is echoed back from the value itself beyond its length: the message may
end up in the caller's logs.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from functools import lru_cache

from service.api.gen import screening_pb2 as pb
from service.model import (
    Direction,
    EntityType,
    PartyQuery,
    QueryAddress,
    QueryIdentifier,
    QueryName,
    QueryNameSource,
    QueryOwner,
    ScreenOptions,
    TransactionContext,
)
from service.normalize.countries import is_country_code

MAX_NAME_CHARS = 1024
MAX_ALTERNATIVE_NAMES = 100
MAX_ADDRESSES = 20
MAX_ADDRESS_LINES = 10
MAX_TEXT_CHARS = 512
MAX_IDENTIFIERS = 20
MAX_NATIONALITIES = 10
MAX_OWNERS = 50
MAX_ITEMS = 100
MAX_REFERENCE_CHARS = 128
MAX_MATCHES_LIMIT = 100
DEFAULT_MAX_MATCHES = 10
EARLIEST_BIRTH_YEAR = 1850

_ENTITY_TYPES = {
    pb.PARTY_TYPE_UNSPECIFIED: EntityType.UNKNOWN,
    pb.PARTY_TYPE_INDIVIDUAL: EntityType.INDIVIDUAL,
    pb.PARTY_TYPE_ORGANIZATION: EntityType.ORGANIZATION,
    pb.PARTY_TYPE_VESSEL: EntityType.VESSEL,
    pb.PARTY_TYPE_AIRCRAFT: EntityType.AIRCRAFT,
}
_DIRECTIONS = {
    pb.DIRECTION_UNSPECIFIED: Direction.OTHER,
    pb.DIRECTION_EXPORT: Direction.EXPORT,
    pb.DIRECTION_IMPORT: Direction.IMPORT,
    pb.DIRECTION_PAYMENT: Direction.PAYMENT,
    pb.DIRECTION_OTHER: Direction.OTHER,
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ECCN = re.compile(r"^(?:EAR99|[0-9][A-E][0-9]{3}(?:\.[A-Za-z0-9]+)*[A-Za-z0-9]*)$")
_HS_CODE = re.compile(r"^\d{6,10}$")
# Unicode category Cc: C0 controls, DEL and C1 controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ROLES = {value: pb.PartyRole.Name(value).removeprefix("PARTY_ROLE_").lower() for value in pb.PartyRole.values()}


class InvalidArgument(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _check_text(field: str, value: str, limit: int, required: bool = False) -> str:
    if required and not value.strip():
        raise InvalidArgument(field, "is required and must not be empty or whitespace")
    if len(value) > limit:
        raise InvalidArgument(field, f"is {len(value)} characters long; the limit is {limit}")
    control = _CONTROL.search(value)
    if control is not None:
        position = control.start()
        raise InvalidArgument(field, f"contains a control character (U+{ord(value[position]):04X}) at position {position}")
    return value.strip()


def validate_reference(field: str, value: str) -> str:
    """A party reference given on its own (e.g. to look a registered party up), stripped."""
    return _check_text(field, value, MAX_REFERENCE_CHARS, required=True)


def _check_country(field: str, value: str) -> str:
    code = value.strip().upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha() and is_country_code(code)):
        raise InvalidArgument(field, f"{value[:8]!r} is not an ISO 3166-1 alpha-2 country code (e.g. 'VE')")
    return code


def _check_enum(field: str, value: int, allowed: Collection[int], enum_name: str) -> None:
    if value not in allowed:
        raise InvalidArgument(field, f"{value} is not a known {enum_name} value")


def _check_date(field: str, value: str) -> str:
    match = _DATE.match(value.strip())
    if not match:
        raise InvalidArgument(field, "must be YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    today = date.today()
    if not EARLIEST_BIRTH_YEAR <= year <= today.year:
        raise InvalidArgument(field, f"year {year} is outside {EARLIEST_BIRTH_YEAR}..{today.year}")
    try:
        date(year, month or 1, day or 1)
    except ValueError as exc:
        raise InvalidArgument(field, f"is not a real date ({exc})") from None
    return value.strip()


def _check_count(field: str, items: Collection[object], limit: int) -> None:
    if len(items) > limit:
        raise InvalidArgument(field, f"has {len(items)} items; the limit is {limit}")


def validate_party(party: pb.Party, field: str = "party") -> PartyQuery:
    # Repeated fields are read once each and checked only when present: a batch row is
    # mostly a name and a country, and every protobuf access and field path costs.
    names = [QueryName(_check_text(f"{field}.name", party.name, MAX_NAME_CHARS, required=True), QueryNameSource.NAME)]
    if alternative_names := party.alternative_names:
        _check_count(f"{field}.alternative_names", alternative_names, MAX_ALTERNATIVE_NAMES)
        for i, alternative in enumerate(alternative_names):
            value = _check_text(f"{field}.alternative_names[{i}]", alternative, MAX_NAME_CHARS, required=True)
            names.append(QueryName(value, QueryNameSource.ALTERNATIVE_NAME))
    entity_type = _ENTITY_TYPES.get(party.type)
    if entity_type is None:
        raise InvalidArgument(f"{field}.type", f"{party.type} is not a known PartyType value")

    countries: list[str] = []
    addresses: list[QueryAddress] = []
    if party_addresses := party.addresses:
        _check_count(f"{field}.addresses", party_addresses, MAX_ADDRESSES)
        for i, address in enumerate(party_addresses):
            where = f"{field}.addresses[{i}]"
            lines: tuple[str, ...] = ()
            if address_lines := address.lines:
                _check_count(f"{where}.lines", address_lines, MAX_ADDRESS_LINES)
                checked = (_check_text(f"{where}.lines[{j}]", line, MAX_TEXT_CHARS) for j, line in enumerate(address_lines))
                lines = tuple(line for line in checked if line)
            city, state, postal_code = (
                _check_text(f"{where}.{name}", value, MAX_TEXT_CHARS) if (value := getattr(address, name)) else ""
                for name in ("city", "state_or_province", "postal_code")
            )
            country = _check_country(f"{where}.country", address.country) if address.country else ""
            if country:
                countries.append(country)
            addresses.append(QueryAddress(lines, city, state, postal_code, country))

    identifiers = []
    if party_identifiers := party.identifiers:
        _check_count(f"{field}.identifiers", party_identifiers, MAX_IDENTIFIERS)
        for i, identifier in enumerate(party_identifiers):
            where = f"{field}.identifiers[{i}]"
            id_type = _check_text(f"{where}.type", identifier.type, 64)
            value = _check_text(f"{where}.value", identifier.value, MAX_REFERENCE_CHARS, required=True)
            issuer = _check_country(f"{where}.issuing_country", identifier.issuing_country) if identifier.issuing_country else ""
            identifiers.append(QueryIdentifier(id_type, value, issuer))

    owners = []
    if party_owners := party.owners:
        _check_count(f"{field}.owners", party_owners, MAX_OWNERS)
        for i, owner in enumerate(party_owners):
            where = f"{field}.owners[{i}]"
            name = _check_text(f"{where}.name", owner.name, MAX_NAME_CHARS, required=True)
            # NaN fails both comparisons, so it is refused too.
            if not 0 < owner.share_percent <= 100:
                raise InvalidArgument(f"{where}.share_percent", f"must be more than 0 and at most 100, not {owner.share_percent}")
            _check_enum(f"{where}.type", owner.type, _ENTITY_TYPES, "PartyType")
            country = _check_country(f"{where}.country", owner.country) if owner.country else ""
            owners.append(QueryOwner(name, owner.share_percent, _ENTITY_TYPES[owner.type], country))

    nationalities: list[str] = []
    if party_nationalities := party.nationalities:
        _check_count(f"{field}.nationalities", party_nationalities, MAX_NATIONALITIES)
        nationalities = [_check_country(f"{field}.nationalities[{i}]", n) for i, n in enumerate(party_nationalities)]
    reference = party.party_reference
    return PartyQuery(
        names=tuple(names),
        entity_type=entity_type,
        countries=tuple(dict.fromkeys(countries)),
        nationalities=tuple(dict.fromkeys(nationalities)),
        date_of_birth=_check_date(f"{field}.date_of_birth", party.date_of_birth) if party.date_of_birth else "",
        identifiers=tuple(identifiers),
        party_reference=_check_text(f"{field}.party_reference", reference, MAX_REFERENCE_CHARS) if reference else "",
        addresses=tuple(addresses),
        owners=tuple(owners),
    )


def validate_context(context: pb.TransactionContext) -> TransactionContext:
    _check_enum("context.direction", context.direction, _DIRECTIONS, "Direction")
    _check_enum("context.role", context.role, _ROLES, "PartyRole")
    _check_count("context.items", context.items, MAX_ITEMS)
    eccns, hs_codes = [], []
    for i, item in enumerate(context.items):
        _check_text(f"context.items[{i}].description", item.description, MAX_TEXT_CHARS)
        if item.eccn:
            eccn = item.eccn.strip().upper()
            if not _ECCN.match(eccn):
                raise InvalidArgument(f"context.items[{i}].eccn", "must be an ECCN such as '3A001' or 'EAR99'")
            eccns.append(eccn)
        if item.hs_code:
            hs_code = item.hs_code.replace(".", "").strip()
            if not _HS_CODE.match(hs_code):
                raise InvalidArgument(f"context.items[{i}].hs_code", "must be 6 to 10 digits (dots allowed)")
            hs_codes.append(hs_code)
    return TransactionContext(
        direction=_DIRECTIONS[context.direction],
        role=_ROLES[context.role],
        destination_country=_check_country("context.destination_country", context.destination_country)
        if context.destination_country
        else "",
        origin_country=_check_country("context.origin_country", context.origin_country) if context.origin_country else "",
        transaction_reference=_check_text("context.transaction_reference", context.transaction_reference, MAX_REFERENCE_CHARS),
        item_eccns=tuple(eccns),
        item_hs_codes=tuple(hs_codes),
    )


def validate_options(options: pb.ScreenOptions, known_lists: Collection[str]) -> ScreenOptions:
    for i, list_id in enumerate(options.list_ids):
        if list_id not in known_lists:
            raise InvalidArgument(f"options.list_ids[{i}]", f"unknown list {list_id[:64]!r}; known: {', '.join(sorted(known_lists))}")
    if not 0 <= options.max_matches <= MAX_MATCHES_LIMIT:
        raise InvalidArgument("options.max_matches", f"must be between 0 (server default) and {MAX_MATCHES_LIMIT}")
    return ScreenOptions(
        list_ids=frozenset(options.list_ids),
        max_matches=options.max_matches or DEFAULT_MAX_MATCHES,
    )


def validate_request(
    request: pb.ScreenRequest, known_lists: Collection[str]
) -> tuple[PartyQuery, TransactionContext, ScreenOptions]:
    _check_text("request_id", request.request_id, MAX_REFERENCE_CHARS)
    if not request.HasField("party"):
        raise InvalidArgument("party", "is required")
    options = _DEFAULT_OPTIONS if not request.HasField("options") or not request.options.ByteSize() else None
    return (
        validate_party(request.party),
        _validated_context(request.context.SerializeToString(deterministic=True)),
        options or validate_options(request.options, known_lists),
    )


_DEFAULT_OPTIONS = ScreenOptions(list_ids=frozenset(), max_matches=DEFAULT_MAX_MATCHES)


@lru_cache(maxsize=1024)
def _validated_context(serialized: bytes) -> TransactionContext:
    """validate_context by the message's bytes: a batch sends the same few contexts thousands of times.
    (The result is immutable; a refused context raises every time, errors are not cached.)"""
    context = pb.TransactionContext()
    context.ParseFromString(serialized)
    return validate_context(context)
