"""Validate a ScreenRequest at the API edge and turn it into domain objects.

Every rejection names the offending field (`party.alternative_names[3]`) and
says what is wrong with it, so a caller can fix the request without guessing.
Nothing is echoed back from the value itself beyond its length: the message may
end up in the caller's logs.

It also bounds what one request may cost: the matcher's work follows the words
of the names it screens (see "What one request may cost" below), so a valid
request cannot hold a server process for long.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection, Sequence
from datetime import date
from functools import lru_cache

from service.api.gen import screening_pb2 as pb
from service.identifiers import query_identifier
from service.identifiers.kinds import accepted_types
from service.model import (
    Direction,
    EntityType,
    PartyQuery,
    QueryAddress,
    QueryItem,
    QueryName,
    QueryNameSource,
    QueryOwner,
    ScreenOptions,
    TransactionContext,
)
from service.normalize.countries import is_country_code, is_subdivision_code
from service.normalize.names import name_tokens

MAX_NAME_CHARS = 1024
MAX_ALTERNATIVE_NAMES = 100
MAX_ADDRESSES = 20
MAX_ADDRESS_LINES = 10
MAX_TEXT_CHARS = 512
MAX_IDENTIFIERS = 20
MAX_NATIONALITIES = 10
MAX_OWNERS = 50
MAX_ITEMS = 100
MAX_INPUTS_PER_ITEM = 20
# Producers (of items and inputs) screened per request: each is matched like a party, against
# the lists the policy has producer rules for (service/engine/screener.py).
MAX_PRODUCERS = 100
MAX_REFERENCE_CHARS = 128
MAX_MATCHES_LIMIT = 100
DEFAULT_MAX_MATCHES = 10
EARLIEST_BIRTH_YEAR = 1850

# ---------------------------------------------------------------- what one request may cost
# The fuzzy matcher works word by word: every word of every name (the party's and each
# owner's) is looked up in the index, then the best candidates of each name are scored. A
# long word is looked up through every deletion of up to two characters, so its cost grows
# with the square of its length. Words are counted as the matcher counts them (the tokens of
# `name_tokens`: a CJK character is a word); a word of more than LONG_WORD_CHARS characters
# counts (length / LONG_WORD_CHARS)² times, rounded up, so every word costs about the same.
#
# CPU time of `service.api.servicer.screen_request` on the real OFAC SDN list of 2023-12-28
# (13,821 entries, ../shared/data/ofac-sdn-2023-12-28), matcher caches cleared, median of 5
# (2-core machine; a busier run measured up to 1.5x these):
#   before, all valid:
#     101 names of 1,000 characters of common words ("al", "mohammed", "trading" ...)     730 ms
#     101 names of 1,000 characters of random words                                       490 ms
#     50 owners' names of 1,000 characters of common words                                380 ms
#     a name that is one word of 1,024 letters (and 520 MB more memory, briefly)        2,600 ms
#   after, the worst shapes allowed (512 words):
#     101 names of 5 of the most expensive listed words ("al", "mohamad", "abdu" ...)     80 ms
#     the same words in 101 names and 50 owners' names / in 8 names of 64 words       85 / 60 ms
#     random words of 16 / of 64 characters                                           70 / 50 ms
#   real parties:
#     "Nicolas MADURO MOROS"                                                                 1 ms
#     100 ordinary alternative names ("Mohammed <common> <word> <word>")                    22 ms
#     the most-aliased listed party as a party (SDN 10923: 96 names, 441 words)             30 ms
# The worst allowed request stays above the ~50 ms aimed at: "al" or "mohamad" each reach
# thousands of listed names, and a budget low enough for 50 ms (about 320 words) would
# refuse the real party above and 100 alternative names of four words.
#
# The limits sit well above what the lists hold (every list in ../shared/data): the longest
# listed name has 46 words (a State ISN row of aliases; OFAC SDN: 26), the longest listed
# word 29 characters, the most-aliased party 96 names of 441 words.
MAX_NAME_WORDS = 64
MAX_WORD_CHARS = 64
LONG_WORD_CHARS = 16
# Across the party's name, its alternative names and its owners' names.
MAX_PARTY_WORDS = 512

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
        raise InvalidArgument(
            field, f"contains a control character (U+{ord(value[position]):04X}) at position {position}"
        )
    return value.strip()


def ascii_digits(value: str) -> str:
    """`value` with every decimal digit of any script as its ASCII digit ("２９５０００", "٢٩٥٠٠٠" -> "295000").

    For postal codes: the embargoed-region rules compare them as ASCII numbers
    (service/decide/regions.py), so the same Crimean code written in full-width or
    Arabic-Indic digits passed as CLEAR where "295000" is BLOCK (found while fuzzing the API).
    """
    if value.isascii():
        return value
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in value)


_ALERT_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_MAX_STREAM_PART = 2**64 - 1


def validate_alert_id(field: str, value: str) -> str:
    """A WatchAlertsRequest.after_id, stripped: "" or "$" (from now on), "0" (every alert kept) or an alert id.

    An alert id is a Redis stream id, `<ms>-<seq>`, each part in 0..2^64-1 and written in ASCII
    digits. The servicer's own pattern (r"^\\d+-\\d+$") let "١-١" (Arabic-Indic digits) through to
    XRANGE, which refuses it with a ResponseError: the call ended UNKNOWN, then UNAVAILABLE ("retry
    shortly") once the interceptor mapped Redis errors (found by tests/test_fuzz.py); ids past 64
    bits, which no stream can hold, were watched as if they were positions.
    """
    value = value.strip()
    if value in ("", "$", "0"):
        return value
    match = _ALERT_ID.fullmatch(value)
    if match is None or any(int(part) > _MAX_STREAM_PART for part in match.groups()):
        raise InvalidArgument(field, f"{value[:40]!r} is not an alert_id (e.g. '1732752000000-0')")
    return value


_SCREENING_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def validate_screening_id(field: str, value: str) -> str:
    """A screening id as the service hands them out (a version 4 UUID, e.g. from ScreenResponse.screening_id)."""
    cleaned = _check_text(field, value, 64, required=True).lower()
    if not _SCREENING_ID.fullmatch(cleaned):
        raise InvalidArgument(
            field, f"{value[:64]!r} is not a screening id (a UUID such as 1b4e28ba-2fa1-41d2-883f-0016d3cca427)"
        )
    return cleaned


def validate_day(field: str, value: str) -> date | None:
    """An optional UTC day, "YYYY-MM-DD"; None when empty."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field, f"{text[:16]!r} is not a day written YYYY-MM-DD") from None


def validate_page_size(field: str, size: int, default: int, limit: int) -> int:
    """A paged read's page size: 0 (the default) to `limit`."""
    if not 0 <= size <= limit:
        raise InvalidArgument(field, f"must be between 0 (default {default}) and {limit}, got {size}")
    return size or default


def validate_offset(field: str, offset: int) -> int:
    if offset < 0:
        raise InvalidArgument(field, f"must be 0 or more, got {offset}")
    return offset


def validate_display_name(field: str, value: str, limit: int = 128) -> str:
    """An optional name a caller adds beside its principal (never an identity), stripped."""
    return _check_text(field, value, limit)


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


def name_words(field: str, name: str) -> int:
    """The words one name adds to its party's screening work (a long word counts several times).

    Raises InvalidArgument for a name with nothing to screen, of more than MAX_NAME_WORDS words
    or with a word of more than MAX_WORD_CHARS characters. `name_tokens` is cached, so the
    matcher reuses the result.
    """
    tokens = name_tokens(name)
    if not tokens:
        # Zero-width or combining characters only, punctuation only: screened, it would find
        # nothing and come back CLEAR, a clearance for a party nobody named.
        raise InvalidArgument(
            field, "has no letters or digits to screen (only spaces, punctuation, invisible or combining characters)"
        )
    if len(tokens) > MAX_NAME_WORDS:
        limit = f"at most {MAX_NAME_WORDS} are screened per name"
        raise InvalidArgument(field, f"has {len(tokens)} words; {limit}: send each alias as its own name")
    words = 0
    for token in tokens:
        length = len(token)
        if length <= LONG_WORD_CHARS:
            words += 1
            continue
        if length > MAX_WORD_CHARS:
            limit = f"at most {MAX_WORD_CHARS} are screened per word"
            raise InvalidArgument(field, f"has a word of {length} characters; {limit}: put spaces between the words")
        words += -(-length * length // LONG_WORD_CHARS**2)  # (length / LONG_WORD_CHARS)², rounded up
    return words


def _over_budget(words: int, subject: str, remedy: str) -> str:
    return (
        f"{subject} {words} words; at most {MAX_PARTY_WORDS} are screened per party, its names and its owners' names "
        f"together (a word of over {LONG_WORD_CHARS} characters counts as several): {remedy}"
    )


def validate_party(party: pb.Party, field: str = "party") -> PartyQuery:
    return party_and_words(party, field)[0]


def party_and_words(party: pb.Party, field: str = "party") -> tuple[PartyQuery, int]:
    """The validated party, and the words its names and its owners' names bring to its screening."""
    # Repeated fields are read once each and checked only when present: a batch row is
    # mostly a name and a country, and every protobuf access and field path costs.
    # A party may be screened by its identifiers alone (a wallet, a vessel's IMO number).
    if not party.name.strip() and not party.identifiers:
        raise InvalidArgument(f"{field}.name", "is required (or give party.identifiers to screen by identifier alone)")
    name = _check_text(f"{field}.name", party.name, MAX_NAME_CHARS)
    words = name_words(f"{field}.name", name) if name else 0
    names = [QueryName(name, QueryNameSource.NAME)] if name else []
    if alternative_names := party.alternative_names:
        _check_count(f"{field}.alternative_names", alternative_names, MAX_ALTERNATIVE_NAMES)
        for i, alternative in enumerate(alternative_names):
            where = f"{field}.alternative_names[{i}]"
            value = _check_text(where, alternative, MAX_NAME_CHARS, required=True)
            words += name_words(where, value)
            names.append(QueryName(value, QueryNameSource.ALTERNATIVE_NAME))
        if words > MAX_PARTY_WORDS:
            message = _over_budget(words, "with the name they come to", "leave out near-duplicate aliases")
            raise InvalidArgument(f"{field}.alternative_names", message)
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
                checked = (
                    _check_text(f"{where}.lines[{j}]", line, MAX_TEXT_CHARS) for j, line in enumerate(address_lines)
                )
                lines = tuple(line for line in checked if line)
            city, state, postal_code = (
                _check_text(f"{where}.{name}", value, MAX_TEXT_CHARS) if (value := getattr(address, name)) else ""
                for name in ("city", "state_or_province", "postal_code")
            )
            postal_code = ascii_digits(postal_code)
            country = _check_country(f"{where}.country", address.country) if address.country else ""
            if country:
                countries.append(country)
            addresses.append(QueryAddress(lines, city, state, postal_code, country))

    identifiers = []
    if party_identifiers := party.identifiers:
        _check_count(f"{field}.identifiers", party_identifiers, MAX_IDENTIFIERS)
        for i, identifier in enumerate(party_identifiers):
            where = f"{field}.identifiers[{i}]"
            id_type = _check_text(f"{where}.type", identifier.type, 64, required=True)
            value = _check_text(f"{where}.value", identifier.value, MAX_REFERENCE_CHARS, required=True)
            issuer = (
                _check_country(f"{where}.issuing_country", identifier.issuing_country)
                if identifier.issuing_country
                else ""
            )
            given = query_identifier(id_type, value, issuer, where)
            if not given.kind:
                raise InvalidArgument(
                    f"{where}.type", f"{id_type!r} is not an identifier type; use one of {', '.join(accepted_types())}"
                )
            identifiers.append(given)

    owners = []
    if party_owners := party.owners:
        _check_count(f"{field}.owners", party_owners, MAX_OWNERS)
        for i, owner in enumerate(party_owners):
            where = f"{field}.owners[{i}]"
            name = _check_text(f"{where}.name", owner.name, MAX_NAME_CHARS, required=True)
            # Each owner is screened like a party of one name (service/engine/screener.py).
            words += name_words(f"{where}.name", name)
            if words > MAX_PARTY_WORDS:
                message = _over_budget(
                    words, "this owner brings the names to", "leave out minor owners or duplicate aliases"
                )
                raise InvalidArgument(f"{where}.name", message)
            # NaN fails both comparisons, so it is refused too.
            if not 0 < owner.share_percent <= 100:
                raise InvalidArgument(
                    f"{where}.share_percent", f"must be more than 0 and at most 100, not {owner.share_percent}"
                )
            _check_enum(f"{where}.type", owner.type, _ENTITY_TYPES, "PartyType")
            country = _check_country(f"{where}.country", owner.country) if owner.country else ""
            owners.append(QueryOwner(name, owner.share_percent, _ENTITY_TYPES[owner.type], country))

    nationalities: list[str] = []
    if party_nationalities := party.nationalities:
        _check_count(f"{field}.nationalities", party_nationalities, MAX_NATIONALITIES)
        nationalities = [_check_country(f"{field}.nationalities[{i}]", n) for i, n in enumerate(party_nationalities)]
    reference = party.party_reference
    query = PartyQuery(
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
    return query, words


def _check_hs_code(field: str, value: str) -> str:
    hs_code = value.replace(".", "").replace(" ", "").strip()
    if not _HS_CODE.match(hs_code):
        raise InvalidArgument(field, "must be 6 to 10 digits (dots and spaces allowed), e.g. '5208.12', '8541.43.0010'")
    return hs_code


def _check_origin(field: str, country: str, region: str, place: str) -> tuple[str, str, str]:
    """(origin country, ISO 3166-2 region, place) of `field` ("context", "context.items[2]"), checked together.

    A region implies its country ("CN-XJ" -> "CN"); a region of another country than the one
    stated is refused rather than guessed at.
    """
    country = _check_country(f"{field}.origin_country", country) if country else ""
    code = region.strip().upper()
    if code:
        if not is_subdivision_code(code):
            raise InvalidArgument(
                f"{field}.origin_region", f"{region[:12]!r} is not an ISO 3166-2 subdivision code (e.g. 'CN-XJ')"
            )
        if country and code[:2] != country:
            raise InvalidArgument(f"{field}.origin_region", f"{code} is not in origin_country {country}")
        country = country or code[:2]
    place = _check_text(f"{field}.origin_place", place, MAX_TEXT_CHARS).strip() if place else ""
    return country, code, place


class _ProducerBudget:
    """Producers are screened like parties: their number and words are bounded per request."""

    def __init__(self) -> None:
        self.producers = 0
        self.words = 0

    def validate(self, producer: pb.Party, field: str) -> PartyQuery:
        self.producers += 1
        if self.producers > MAX_PRODUCERS:
            limit = f"at most {MAX_PRODUCERS} are screened per request"
            raise InvalidArgument(field, f"is producer number {self.producers}; {limit}")
        if producer.owners:
            message = "are not screened for a producer; screen the producer as a party instead"
            raise InvalidArgument(f"{field}.owners", message)
        query, words = party_and_words(producer, field)
        self.words += words
        if self.words > MAX_PARTY_WORDS:
            message = _over_budget(self.words, "this producer brings the producers' names to", "send fewer aliases")
            raise InvalidArgument(f"{field}.name", message)
        return query


def _validate_goods(goods: pb.Item | pb.ItemInput, field: str, item_index: int, budget: _ProducerBudget) -> QueryItem:
    description = _check_text(f"{field}.description", goods.description, MAX_TEXT_CHARS).strip()
    hs_code = _check_hs_code(f"{field}.hs_code", goods.hs_code) if goods.hs_code else ""
    country, region, place = _check_origin(field, goods.origin_country, goods.origin_region, goods.origin_place)
    producer = budget.validate(goods.producer, f"{field}.producer") if goods.HasField("producer") else None
    eccn = ""
    if isinstance(goods, pb.Item) and goods.eccn:
        eccn = goods.eccn.strip().upper()
        if not _ECCN.match(eccn):
            raise InvalidArgument(f"{field}.eccn", "must be an ECCN such as '3A001' or 'EAR99'")
    return QueryItem(field, item_index, description, eccn, hs_code, country, region, place, producer)


def validate_context(context: pb.TransactionContext) -> TransactionContext:
    _check_enum("context.direction", context.direction, _DIRECTIONS, "Direction")
    _check_enum("context.role", context.role, _ROLES, "PartyRole")
    _check_count("context.items", context.items, MAX_ITEMS)
    budget = _ProducerBudget()
    items = []
    for i, item in enumerate(context.items):
        field = f"context.items[{i}]"
        _check_count(f"{field}.inputs", item.inputs, MAX_INPUTS_PER_ITEM)
        goods = _validate_goods(item, field, i, budget)
        if item.inputs:
            inputs = tuple(_validate_goods(one, f"{field}.inputs[{j}]", i, budget) for j, one in enumerate(item.inputs))
            goods = dataclasses.replace(goods, inputs=inputs)
        items.append(goods)
    origin = (context.origin_country, context.origin_region, context.origin_place)
    country, region, place = _check_origin("context", *origin)
    return TransactionContext(
        direction=_DIRECTIONS[context.direction],
        role=_ROLES[context.role],
        destination_country=_check_country("context.destination_country", context.destination_country)
        if context.destination_country
        else "",
        origin_country=country,
        transaction_reference=_check_text(
            "context.transaction_reference", context.transaction_reference, MAX_REFERENCE_CHARS
        ),
        item_eccns=tuple(item.eccn for item in items if item.eccn),
        item_hs_codes=tuple(item.hs_code for item in items if item.hs_code),
        origin_region=region,
        origin_place=place,
        items=tuple(items),
    )


def validate_list_ids(field: str, list_ids: Sequence[str], known_lists: Collection[str]) -> tuple[str, ...]:
    """GetListStatusRequest.list_ids: each a known list, each once (in the order asked).

    Without the de-duplication one call of 10,000 copies of "ofac_sdn" (100 KB) cost 20,000 Redis
    round trips, 4.6 s, and a 2.7 MB answer; 50,000 copies ran 22 s and then exceeded the server's
    send limit (found while fuzzing the API). Asked once each, the work is bounded by the catalogue.
    """
    for i, list_id in enumerate(list_ids):
        if list_id not in known_lists:
            known = ", ".join(sorted(known_lists))
            raise InvalidArgument(f"{field}[{i}]", f"unknown list {list_id[:64]!r}; known: {known}")
    return tuple(dict.fromkeys(list_ids))


def validate_options(options: pb.ScreenOptions, known_lists: Collection[str]) -> ScreenOptions:
    for i, list_id in enumerate(options.list_ids):
        if list_id not in known_lists:
            raise InvalidArgument(
                f"options.list_ids[{i}]", f"unknown list {list_id[:64]!r}; known: {', '.join(sorted(known_lists))}"
            )
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
    context = request.context
    return (
        validate_party(request.party),
        # An order's items differ from order to order: only an item-less context is worth caching.
        validate_context(context)
        if context.items
        else _validated_context(context.SerializeToString(deterministic=True)),
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
