"""Embargoed and forced-labour countries and regions (lists/regions.toml), recognised in a
party's addresses and in where goods come from.

The table is validated and compiled once at load time: per entry, one regular expression
over its folded place names (Latin letters, and other scripts through their
transliteration), one over the spellings kept in their own script (Chinese characters,
Uyghur), and integer postal code ranges keyed by digit count. Per call, each address field
is folded once and each entry costs at most two regex searches per field, so the cost does
not grow with the number of names.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import msgspec
import pycountry

from service.config_files import LISTS_DIR, ConfigFileError, read_toml
from service.model import QueryAddress
from service.normalize.countries import is_subdivision_code
from service.normalize.names import fold

# Apostrophes join: "Sevastopol'" (the transliterated soft sign) is "sevastopol",
# "People's" is "peoples". Unlike in names, a full stop separates: Russian
# addresses write "г.Донецк" and "ул.Артема" without a space.
_APOSTROPHES = re.compile(r"['’`´ʼ]")
_NON_WORD = re.compile(r"[\W_]+")
_REGION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_POSTAL_RANGE = re.compile(r"^(\d+)-(\d+)$")
# Arabic-script letters a keyboard may write for one another (Arabic, Persian and Uyghur
# layouts: ي ی ى, ك ک), unified on both sides; tatweel and zero-width joiners dropped.
_ARABIC_VARIANTS = str.maketrans({"\u064a": "\u0649", "\u06cc": "\u0649", "\u06a9": "\u0643",
                                  "\u0640": None, "\u200c": None, "\u200d": None})  # fmt: skip
_SPACES = re.compile(r"\s+")


class PostalRangeSpec(msgspec.Struct, forbid_unknown_fields=True):
    range: str
    label: str


class CountrySpec(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str
    legal_basis: str
    effective_from: date
    effective_until: date | None = None
    names: list[str] = []


class PlaceSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A place of a region (a prefecture, a city) with its spellings and where they come from."""

    name: str
    kind: str
    source: str
    spellings: list[str]


class RegionSpec(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str
    legal_basis: str
    effective_from: date
    countries: list[str]
    effective_until: date | None = None
    # ISO 3166-2 codes of the region ("CN-XJ"): an origin_region with one of them is in it.
    subdivision_codes: list[str] = []
    names: list[str] = []
    province_names: list[str] = []
    not_names: list[str] = []
    places: list[PlaceSpec] = []
    # Words that, right after a name, make it a street named after the place ("Urumqi Road").
    street_after: list[str] = []
    postal_codes: list[PostalRangeSpec] = []


class RegionsFile(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    countries: list[CountrySpec]
    regions: list[RegionSpec]
    postal_codes_when_country_empty: bool = True


FOUND_IN_ADDRESS = "address"
FOUND_IN_TRANSACTION = "transaction"
FOUND_IN_ITEM = "item"
FOUND_IN = (FOUND_IN_ADDRESS, FOUND_IN_TRANSACTION, FOUND_IN_ITEM)


@dataclass(frozen=True, slots=True)
class RegionHit:
    region_id: str  # "IR", "crimea", "xinjiang" ...
    name: str  # "Iran", "Crimea region of Ukraine"
    kind: str  # "country" or "region"
    evidence: str  # "address 1: country IR", "address 1: 'Sevastopol' in city", ...
    legal_basis: str
    # Where it was found: the party's addresses, the transaction's destination / origin, or an
    # item (its origin, its producer's address, an input's).
    found_in: str = FOUND_IN_ADDRESS
    # For an item: its field path ("context.items[1].inputs[0]").
    path: str = ""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where goods come from, as the caller said it: any of a country, an ISO 3166-2 region,
    a place as written, and the producer's addresses."""

    # How evidence names it: "transaction origin", "item 2 'cotton yarn'".
    label: str
    # FOUND_IN_TRANSACTION or FOUND_IN_ITEM.
    found_in: str
    path: str = ""
    country: str = ""
    region: str = ""
    place: str = ""
    producer_addresses: tuple[QueryAddress, ...] = ()
    # Whether the country itself counts (an embargoed origin country); when not, it only says
    # under which country the place is (an export's origin is where the exporter ships from).
    country_counts: bool = True


@dataclass(frozen=True, slots=True)
class _Names:
    """Compiled alternations: `pattern` over folded words (whole words), `native` over text in
    its own script (Chinese characters anywhere, Arabic script as whole words); `spellings` maps
    a matched text back to how evidence shows it."""

    pattern: re.Pattern[str] | None
    native: re.Pattern[str] | None
    spellings: dict[str, str]

    def find(self, words: str, native: str = "") -> str | None:
        match = self.pattern.search(words) if self.pattern is not None else None
        if match is None and native and self.native is not None:
            match = self.native.search(native)
        return self.spellings[match.group(0)] if match else None


@dataclass(frozen=True, slots=True)
class _PostalRange:
    first: int
    last: int
    label: str


@dataclass(frozen=True, slots=True)
class _Entry:
    region_id: str
    name: str
    kind: str
    legal_basis: str
    effective_from: date
    effective_until: date | None
    # The embargoed country's own code; "" for a region.
    code: str
    # Address countries under which names and postal codes count (an empty country always may).
    scope: frozenset[str]
    # ISO 3166-2 codes of a region.
    subdivisions: frozenset[str]
    names: _Names | None
    province_names: _Names | None
    not_names: re.Pattern[str] | None
    # Digit count -> ranges, so a 5-digit German code is never compared with 6-digit ranges.
    postal: dict[int, tuple[_PostalRange, ...]]

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


@dataclass(frozen=True, slots=True)
class _Field:
    label: str  # "city", "state_or_province", "line 2"
    words: str
    # The text in its own script (native_text), "" when it is all ASCII.
    native: str = ""


@dataclass(frozen=True, slots=True)
class _Address:
    """One address prepared once per call: folded fields and the postal code as digits."""

    where: str  # "address 1", "origin", "producer address 2"
    country: str
    postal_digits: str
    postal_value: int
    fields: tuple[_Field, ...]

    @classmethod
    def of(cls, where: str, address: QueryAddress) -> _Address:
        labelled = [("city", address.city), ("state_or_province", address.state_or_province)]
        labelled += [(f"line {position}", line) for position, line in enumerate(address.lines, start=1)]
        return cls.prepared(where, address.country, address.postal_code, labelled)

    @classmethod
    def prepared(cls, where: str, country: str, postal_code: str, labelled: list[tuple[str, str]]) -> _Address:
        digits = "".join(postal_code.split())
        valid = digits.isascii() and digits.isdigit()
        fields = tuple(
            _Field(label, words, "" if text.isascii() else native_text(text))
            for label, text in labelled
            if (words := address_words(text))
        )
        return cls(
            where=where,
            country=country.strip().upper(),
            postal_digits=digits if valid else "",
            postal_value=int(digits) if valid else -1,
            fields=fields,
        )


def address_words(text: str) -> str:
    """Folded words separated by single spaces: "г.Севастополь" -> "g sevastopol"."""
    if not text:
        return ""
    return " ".join(_NON_WORD.sub(" ", _APOSTROPHES.sub("", fold(text))).split())


def native_text(text: str) -> str:
    """Text kept in its own script, compared as such: compatibility forms unified (NFKC), lower
    case, Arabic-script letter variants unified, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_VARIANTS)).strip()


def _script(text: str) -> str:
    """ "cjk" for a spelling with Chinese characters, "arabic" for Arabic script, else "latin"
    (matched through its folded words, as other scripts the transliteration reads well are)."""
    for ch in text:
        code = ord(ch)
        if 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F:
            return "cjk"
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
            return "arabic"
    return "latin"


class RegionTable:
    """Validated, precompiled table of embargoed countries and regions."""

    def __init__(self, spec: RegionsFile, raw: bytes, path: Path) -> None:
        self.path = path
        self.version = f"{spec.version}+{hashlib.sha256(raw).hexdigest()[:8]}"
        self._postal_when_country_empty = spec.postal_codes_when_country_empty
        entries: list[_Entry] = []
        for position, country in enumerate(spec.countries):
            entries.append(_compile_country(country, f"{path}: countries[{position}]"))
        for position, region in enumerate(spec.regions):
            entries.append(_compile_region(region, f"{path}: regions[{position}]"))
        seen: set[str] = set()
        for entry in entries:
            if entry.region_id in seen:
                raise ConfigFileError(f"{path}: {entry.region_id!r} is defined twice")
            seen.add(entry.region_id)
        self._entries = tuple(entries)
        # The entries in force on the last day asked about: every screening of a day asks the same.
        self._in_force_cache: tuple[date, tuple[_Entry, ...]] | None = None

    def _in_force(self, on: date) -> tuple[_Entry, ...]:
        cached = self._in_force_cache
        if cached is None or cached[0] != on:
            cached = self._in_force_cache = (on, tuple(entry for entry in self._entries if entry.in_force(on)))
        return cached[1]

    @property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(entry.region_id for entry in self._entries)

    def hits(
        self,
        addresses: Sequence[QueryAddress],
        on: date,
        extra_countries: Sequence[str | tuple[str, str]] = (),
    ) -> list[RegionHit]:
        """Entries in force on `on` that the addresses or transaction countries point to, in table order.

        `extra_countries` holds transaction countries, either a code ("CU") or a
        (role, code) pair (("destination", "CU")); they are checked against
        country entries only, since a country code alone cannot place a party in a region.
        """
        active = self._in_force(on)
        if not active:
            return []
        prepared = [_Address.of(f"address {number}", address) for number, address in enumerate(addresses, start=1)]
        transaction = [_role_and_code(item) for item in extra_countries]
        active = _reachable(active, prepared, {code for _, code in transaction})
        found: list[RegionHit] = []
        for entry in active:
            evidence = self._address_evidence(entry, prepared)
            in_transaction = False
            if evidence is None:
                evidence = _transaction_evidence(entry, transaction)
                in_transaction = evidence is not None
            if evidence:
                where = FOUND_IN_TRANSACTION if in_transaction else FOUND_IN_ADDRESS
                found.append(RegionHit(entry.region_id, entry.name, entry.kind, evidence, entry.legal_basis, where))
        return found

    def origin_hits(self, origins: Sequence[Origin], on: date) -> list[RegionHit]:
        """Entries in force on `on` that an origin of the goods points to: its country (country
        entries), its ISO 3166-2 region, the place as written or the producer's addresses."""
        active = self._in_force(on)
        found: list[RegionHit] = []
        for origin in origins:
            prepared = []
            if origin.place:
                prepared.append(_Address.prepared("", origin.country, "", [("origin place", origin.place)]))
            prepared += [
                _Address.of(f"producer address {number}", address)
                for number, address in enumerate(origin.producer_addresses, start=1)
            ]
            candidates = active if origin.region else _reachable(active, prepared, {origin.country})
            for entry in candidates:
                if entry.code and entry.code == origin.country and origin.country_counts:
                    evidence: str | None = f"origin country {origin.country}"
                elif origin.region and origin.region in entry.subdivisions:
                    evidence = f"origin region {origin.region}"
                else:
                    evidence = self._address_evidence(entry, prepared)
                if evidence:
                    hit = RegionHit(
                        entry.region_id, entry.name, entry.kind,
                        f"{origin.label}: {evidence}" if origin.label else evidence, entry.legal_basis,
                        origin.found_in, origin.path,
                    )  # fmt: skip
                    found.append(hit)
        return found

    def _address_evidence(self, entry: _Entry, addresses: list[_Address]) -> str | None:
        for address in addresses:
            where = address.where
            said = f"{where}: " if where else ""
            if entry.code and address.country == entry.code:
                return f"{said}country {address.country}"
            if address.country and address.country not in entry.scope:
                continue  # "Saki, NG" is not Crimea; "95000, DE" is not a Crimean postcode
            if address.postal_digits and (address.country or self._postal_when_country_empty):
                for postal in entry.postal.get(len(address.postal_digits), ()):
                    if postal.first <= address.postal_value <= postal.last:
                        return f"{said}postal code {address.postal_digits} ({postal.label})"
            for field in address.fields:
                words = entry.not_names.sub(" ", field.words) if entry.not_names else field.words
                spelling = entry.names.find(words, field.native) if entry.names else None
                if spelling is None and entry.province_names and field.label == "state_or_province":
                    spelling = entry.province_names.find(words)
                if spelling is not None:
                    return f"{said}{spelling} in {field.label}"
        return None


def _reachable(active: tuple[_Entry, ...], addresses: list[_Address], codes: set[str]) -> tuple[_Entry, ...]:
    """The entries these addresses and country codes can match: when country codes are all there
    is (most batch rows, most items), only country entries with one of them."""
    if any(address.fields or address.postal_digits for address in addresses):
        return active
    codes = codes | {address.country for address in addresses}
    return tuple(entry for entry in active if entry.code and entry.code in codes)


def _transaction_evidence(entry: _Entry, transaction: list[tuple[str, str]]) -> str | None:
    if not entry.code:
        return None
    for role, code in transaction:
        if code == entry.code:
            return f"{role} country {code}"
    return None


def _role_and_code(item: str | tuple[str, str]) -> tuple[str, str]:
    role, code = ("transaction", item) if isinstance(item, str) else item
    return role, code.strip().upper()


def _compile_country(spec: CountrySpec, where: str) -> _Entry:
    _check_common(spec.name, spec.legal_basis, spec.effective_from, spec.effective_until, where)
    _check_country_code(spec.code, f"{where}.code")
    return _Entry(
        region_id=spec.code,
        name=spec.name,
        kind="country",
        legal_basis=spec.legal_basis,
        effective_from=spec.effective_from,
        effective_until=spec.effective_until,
        code=spec.code,
        # A country's names count only when the address has no country: with a
        # country, the code decides ("Havana, US" is Havana, Florida).
        scope=frozenset(),
        subdivisions=frozenset(),
        names=_compile_names(spec.names, f"{where}.names"),
        province_names=None,
        not_names=None,
        postal={},
    )


def _compile_region(spec: RegionSpec, where: str) -> _Entry:
    _check_common(spec.name, spec.legal_basis, spec.effective_from, spec.effective_until, where)
    if not _REGION_ID.match(spec.id):
        # Lower case keeps region ids apart from country codes ("crimea", never "CR").
        raise ConfigFileError(f"{where}.id: {spec.id!r} must be lower-case letters, digits and _")
    if not spec.countries:
        raise ConfigFileError(f"{where}.countries: list at least one country code the region appears under")
    for position, code in enumerate(spec.countries):
        _check_country_code(code, f"{where}.countries[{position}]")
    for position, code in enumerate(spec.subdivision_codes):
        if not is_subdivision_code(code):
            message = f"{code!r} is not an ISO 3166-2 code (e.g. 'CN-XJ')"
            raise ConfigFileError(f"{where}.subdivision_codes[{position}]: {message}")
        if code[:2] not in spec.countries:
            raise ConfigFileError(f"{where}.subdivision_codes[{position}]: {code!r} is not in the region's countries")
    not_names = _compile_names(spec.not_names, f"{where}.not_names")
    places: list[tuple[str, str]] = []
    for position, place in enumerate(spec.places):
        at = f"{where}.places[{position}]"
        for name in ("name", "kind", "source"):
            if not getattr(place, name).strip():
                why = "every place says what it is and where it comes from"
                raise ConfigFileError(f"{at}.{name}: must not be empty ({why})")
        if not place.spellings:
            raise ConfigFileError(f"{at}.spellings: list at least one spelling")
        places += [(spelling, f"{place.name}, {place.kind}; {place.source}") for spelling in place.spellings]
    return _Entry(
        region_id=spec.id,
        name=spec.name,
        kind="region",
        legal_basis=spec.legal_basis,
        effective_from=spec.effective_from,
        effective_until=spec.effective_until,
        code="",
        scope=frozenset(spec.countries),
        subdivisions=frozenset(spec.subdivision_codes),
        names=_compile_names(
            [*spec.names, *(spelling for spelling, _ in places)], f"{where}.names", dict(places), spec.street_after
        ),
        province_names=_compile_names(spec.province_names, f"{where}.province_names"),
        not_names=not_names.pattern if not_names else None,
        postal=_compile_postal(spec.postal_codes, f"{where}.postal_codes"),
    )


def _check_common(name: str, legal_basis: str, start: date, end: date | None, where: str) -> None:
    if not name.strip():
        raise ConfigFileError(f"{where}.name: must not be empty")
    if not legal_basis.strip():
        raise ConfigFileError(f"{where}.legal_basis: must not be empty")
    if end is not None and end < start:
        raise ConfigFileError(f"{where}.effective_until: {end} is before effective_from {start}")


def _check_country_code(code: str, where: str) -> None:
    if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        raise ConfigFileError(f"{where}: {code!r} is not an ISO 3166-1 alpha-2 code (upper case)")


def _compile_names(
    phrases: list[str], where: str, notes: dict[str, str] | None = None, street_after: list[str] | None = None
) -> _Names | None:
    """The names' patterns; `notes` says what place a spelling names (for the evidence), and
    `street_after` the words after which a name is a street's, not the place's."""
    notes = notes or {}
    spellings: dict[str, str] = {}
    by_script: dict[str, list[str]] = {"latin": [], "cjk": [], "arabic": []}
    for position, phrase in enumerate(phrases):
        script = _script(phrase)
        key = address_words(phrase) if script == "latin" else native_text(phrase)
        if not key:
            raise ConfigFileError(f"{where}[{position}]: {phrase!r} has no letters or digits")
        if key not in spellings:
            note = notes.get(phrase)
            spellings[key] = f"{phrase!r} ({note})" if note else repr(phrase)
            by_script[script].append(key)
    if not spellings:
        return None
    latin_after = [address_words(word) for word in street_after or () if _script(word) == "latin"]
    cjk_after = [native_text(word) for word in street_after or () if _script(word) == "cjk"]
    not_street = rf"(?!\s+(?:{_alternation(latin_after)})\b)" if latin_after else ""
    not_cjk_street = rf"(?!(?:{_alternation(cjk_after)}))" if cjk_after else ""
    patterns = []
    if by_script["cjk"]:
        # Chinese writes addresses without spaces: a name counts anywhere in the text.
        patterns.append(rf"(?:{_alternation(by_script['cjk'])}){not_cjk_street}")
    if by_script["arabic"]:
        patterns.append(rf"(?<!\w)(?:{_alternation(by_script['arabic'])})(?!\w)")
    return _Names(
        re.compile(rf"\b(?:{_alternation(by_script['latin'])})\b{not_street}") if by_script["latin"] else None,
        re.compile("|".join(patterns)) if patterns else None,
        spellings,
    )


def _alternation(texts: list[str]) -> str:
    # Longest first, so "respublika krym" is reported rather than "krym" when both start at one place.
    return "|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True))


def _compile_postal(specs: list[PostalRangeSpec], where: str) -> dict[int, tuple[_PostalRange, ...]]:
    by_length: dict[int, list[_PostalRange]] = {}
    for position, spec in enumerate(specs):
        match = _POSTAL_RANGE.match(spec.range)
        if not match or len(match.group(1)) != len(match.group(2)):
            raise ConfigFileError(
                f"{where}[{position}].range: {spec.range!r} is not 'first-last' with both ends all digits "
                "of the same length (e.g. '95000-98999')"
            )
        first, last = int(match.group(1)), int(match.group(2))
        if first > last:
            raise ConfigFileError(f"{where}[{position}].range: {spec.range!r} starts after it ends")
        if not spec.label.strip():
            raise ConfigFileError(f"{where}[{position}].label: must not be empty")
        by_length.setdefault(len(match.group(1)), []).append(_PostalRange(first, last, spec.label))
    return {length: tuple(ranges) for length, ranges in by_length.items()}


def default_regions_path() -> Path:
    return Path(os.environ.get("SCREENING_REGIONS", LISTS_DIR / "regions.toml"))


def load_regions(path: Path | None = None) -> RegionTable:
    path = path or default_regions_path()
    spec, raw = read_toml(path, RegionsFile)
    return RegionTable(spec, raw, path)
