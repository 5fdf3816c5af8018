"""Which identifier is which: the vocabulary callers use, and what the lists call the same things.

A caller names an identifier's type from a small vocabulary (`imo`, `passport`, `wallet:XBT`, ...);
the lists label theirs in their own words ("Vessel Registration Identification", "Digital Currency
Address - XBT", "NIT #"). Both map to a *kind*. Two identifiers can only be the same thing when their
kinds are compatible: an IMO number equal to a tax id is a coincidence of digits, reported as
evidence, never a match.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the caller's word: "imo", "wallet" (a wallet's chain is said after a colon)
    label: str  # in explanations: "IMO", "passport", "wallet address"
    # Kinds a listed identifier of this kind may equal (itself, and e.g. a Chinese USCC: tax id too).
    answers: frozenset[str]


def _kind(name: str, label: str, *also: str) -> Kind:
    return Kind(name, label, frozenset((name, *also)))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        _kind("imo", "IMO"),
        _kind("mmsi", "MMSI"),
        _kind("call_sign", "call sign"),
        _kind("aircraft_serial", "aircraft serial number"),
        _kind("aircraft_registration", "aircraft registration mark"),
        _kind("aircraft_mode_s", "aircraft Mode S code"),
        _kind("passport", "passport"),
        _kind("national_id", "national id"),
        _kind("drivers_license", "driver's licence"),
        _kind("tax_id", "tax id"),
        _kind("registration", "registration number"),
        _kind("bic", "BIC"),
        _kind("lei", "LEI"),
        _kind("duns", "D-U-N-S number"),
        _kind("wallet", "wallet address"),
    )
}
# A Chinese Unified Social Credit Code is the company's registration and its tax number at once.
_USCC = Kind("registration", "unified social credit code", frozenset(("registration", "tax_id")))

# What the lists call them (lower case, as published by OFAC and trade.gov); anything else a list
# carries (websites, e-mail, phone numbers, gazette numbers) is not an identifier of the party.
LIST_LABELS: dict[str, Kind] = {
    "vessel registration identification": KINDS["imo"],
    "imo": KINDS["imo"],
    "imo number": KINDS["imo"],
    "mmsi": KINDS["mmsi"],
    "call sign": KINDS["call_sign"],
    "vessel call sign": KINDS["call_sign"],
    "aircraft manufacturer's serial number (msn)": KINDS["aircraft_serial"],
    "aircraft construction number (also called l/n or s/n or f/n)": KINDS["aircraft_serial"],
    "aircraft tail number": KINDS["aircraft_registration"],
    "aircraft mode s transponder code": KINDS["aircraft_mode_s"],
    "international maritime organization no.": KINDS["imo"],
    "passport": KINDS["passport"],
    "diplomatic passport": KINDS["passport"],
    "national id no.": KINDS["national_id"],
    "cedula no.": KINDS["national_id"],
    "personal id card": KINDS["national_id"],
    "citizen's card number": KINDS["national_id"],
    "residency number": KINDS["national_id"],
    "kenyan id no.": KINDS["national_id"],
    "electoral registry no.": KINDS["national_id"],
    "c.u.r.p. #": KINDS["national_id"],
    "refugee id card": KINDS["national_id"],
    "identification number": KINDS["national_id"],
    "moroccan personal id no.": KINDS["national_id"],
    "bosnian personal id no.": KINDS["national_id"],
    "stateless person id card": KINDS["national_id"],
    "immigration no.": KINDS["national_id"],
    "public security and immigration no.": KINDS["national_id"],
    "temporary suspension of deportation no.": KINDS["national_id"],
    "driver's license no.": KINDS["drivers_license"],
    "tax id no.": KINDS["tax_id"],
    "nit #": KINDS["tax_id"],
    "ruc #": KINDS["tax_id"],
    "v.a.t. number": KINDS["tax_id"],
    "rfc": KINDS["tax_id"],
    "r.f.c. #": KINDS["tax_id"],
    "c.u.i.t.": KINDS["tax_id"],
    "rif #": KINDS["tax_id"],
    "unified social credit code (uscc)": _USCC,
    "registration number": KINDS["registration"],
    "registration id": KINDS["registration"],
    "business registration number": KINDS["registration"],
    "business registration document #": KINDS["registration"],
    "company number": KINDS["registration"],
    "commercial registry number": KINDS["registration"],
    "folio mercantil no.": KINDS["registration"],
    "matricula mercantil no": KINDS["registration"],
    "c.r. no.": KINDS["registration"],
    "trade license no.": KINDS["registration"],
    "business number": KINDS["registration"],
    "certificate of incorporation number": KINDS["registration"],
    "istanbul chamber of comm. no.": KINDS["registration"],
    "dubai chamber of commerce membership no.": KINDS["registration"],
    "economic register number (cbls)": KINDS["registration"],
    "registered charity no.": KINDS["registration"],
    "tourism license no.": KINDS["registration"],
    "sre permit no.": KINDS["registration"],
    "swift/bic": KINDS["bic"],
    "legal entity number": KINDS["lei"],
    "d-u-n-s number": KINDS["duns"],
}
WALLET_LABEL = "digital currency address - "
# What the lists carry beside identifiers, and is not one of the party: contact data, the number of
# the gazette that published a designation, a name's telegraph code, a bare "Serial No." of anything.
NOT_IDENTIFIERS = frozenset((
    "website", "email address", "phone number", "phone no.", "telephone no.", "fax no.",
    "government gazette number", "chinese commercial code", "serial no.",
))  # fmt: skip


def listed_kind(label: str) -> tuple[Kind, str] | None:
    """The kind of a list's identifier label, and its chain for a wallet ("" otherwise); None: not one of ours."""
    text = " ".join(label.lower().split())
    if text.startswith(WALLET_LABEL):
        return KINDS["wallet"], label.strip()[len(WALLET_LABEL) :].strip().upper()
    kind = LIST_LABELS.get(text)
    return (kind, "") if kind is not None else None


def accepted_types() -> list[str]:
    """The caller's vocabulary, as an error message lists it."""
    return [name for name in KINDS if name != "wallet"] + ["wallet:CHAIN (e.g. wallet:XBT, wallet:ETH)"]


# Other words callers use for the same kinds (ERP field names, common abbreviations); compared
# lower-case with spaces and hyphens as underscores.
QUERY_ALIASES: dict[str, str] = {
    "imo_number": "imo", "imo_no": "imo", "vessel_imo": "imo",
    "mmsi_number": "mmsi", "callsign": "call_sign",
    "msn": "aircraft_serial", "aircraft_msn": "aircraft_serial", "serial_number": "aircraft_serial",
    "tail_number": "aircraft_registration", "aircraft_tail_number": "aircraft_registration",
    "mode_s": "aircraft_mode_s",
    "passport_number": "passport", "passport_no": "passport",
    "national_id_number": "national_id", "id_card": "national_id", "id_number": "national_id", "nid": "national_id",
    "cedula": "national_id",
    "driver_license": "drivers_license", "drivers_licence": "drivers_license", "driving_licence": "drivers_license",
    "tax_number": "tax_id", "tin": "tax_id", "vat": "tax_id", "vat_number": "tax_id", "vat_id": "tax_id",
    "ein": "tax_id", "nit": "tax_id", "rfc": "tax_id", "ruc": "tax_id",
    "registration_number": "registration", "company_number": "registration", "company_registration": "registration",
    "business_registration_number": "registration", "uscc": "registration",
    "swift": "bic", "swift_bic": "bic", "swift_code": "bic", "bic_code": "bic",
    "lei_code": "lei", "legal_entity_identifier": "lei",
    "d_u_n_s": "duns", "duns_number": "duns",
}  # fmt: skip
# Chains by the words callers use for them ("wallet:BTC" is the XBT of OFAC's labels).
CHAIN_ALIASES = {"BTC": "XBT", "BITCOIN": "XBT", "ETHEREUM": "ETH", "TRON": "TRX", "LITECOIN": "LTC",
                 "MONERO": "XMR", "ZCASH": "ZEC", "TETHER": "USDT"}  # fmt: skip
_WALLET_WORDS = ("wallet", "digital_currency_address", "crypto_address", "crypto_wallet", "address")


def query_kind(type_name: str) -> tuple[Kind, str] | None:
    """A caller's type ("imo", "IMO", "wallet:XBT", or a list's own label such as "Passport") -> (kind, chain)."""
    text = type_name.strip()
    word, _, chain = text.partition(":")
    word = word.strip().lower().replace(" ", "_").replace("-", "_")
    if word in _WALLET_WORDS and (chain or word != "address"):
        chain = chain.strip().upper()
        return KINDS["wallet"], CHAIN_ALIASES.get(chain, chain)
    kind = KINDS.get(QUERY_ALIASES.get(word, word))
    if kind is not None and not chain:
        return kind, ""
    return listed_kind(text)
