"""One identifier value -> the key it is compared by, and what looks wrong with it.

Check digits and formats come from python-stdnum where it knows the identifier (IMO, BIC, LEI,
bitcoin addresses). A value that fails them is still compared exactly as given: a typo in the
caller's data must not hide a hit; the caller is told instead.

Case: documents, registrations, BICs and LEIs compare on upper-case letters and digits only
("A-123 456" == "a123456"). Wallet addresses compare as their chain encodes them: hex
(Ethereum-style, `0x...`) and bech32 (`bc1...`) addresses ignore case, base58 ones (most
bitcoin, TRON) do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import bitcoin as stdnum_bitcoin
from stdnum import imo as stdnum_imo
from stdnum import lei as stdnum_lei

from service.identifiers.kinds import Kind

# Shorter keys identify nothing (a "12" would meet some entry's number by chance).
MIN_KEY_CHARS = 4
_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_BECH32_PREFIXES = ("bc1", "tb1", "ltc1", "bcrt1")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
# A label a caller wrote into the value as a word of its own ("MMSI: 215123456"); a code that merely
# begins with those letters ("BICSFRPP") keeps them.
_LABELS = {
    "mmsi": re.compile(r"^\s*mmsi\b[\s:#.-]*", re.IGNORECASE),
    "bic": re.compile(r"^\s*(?:swift(?:\s*/\s*bic)?|bic)\b[\s:#.-]*", re.IGNORECASE),
    "lei": re.compile(r"^\s*lei\b[\s:#.-]*", re.IGNORECASE),
}


@dataclass(frozen=True, slots=True)
class Normalized:
    key: str  # "" when nothing comparable is left
    problem: str = ""  # why the value looks wrong ("IMO check digit does not match"), "" when it looks right


def alnum_upper(value: str) -> str:
    return _NOT_ALNUM.sub("", value).upper()


def normalize(kind: Kind, value: str, chain: str = "") -> Normalized:
    found = _normalize(kind, value.strip(), chain)
    if found.key and len(found.key) < MIN_KEY_CHARS:
        return Normalized("", f"too short to identify anything (at least {MIN_KEY_CHARS} letters or digits)")
    return found


def _normalize(kind: Kind, value: str, chain: str) -> Normalized:
    name = kind.name
    if name == "wallet":
        return _wallet(value, chain)
    key = alnum_upper(value)
    if name == "imo":
        key = key.removeprefix("IMO")
        if not key.isdigit() or len(key) != 7:
            return Normalized(key, "an IMO number is 7 digits")
        return Normalized(key, "" if stdnum_imo.is_valid(key) else "IMO check digit does not match")
    if name == "mmsi":
        key = alnum_upper(_LABELS["mmsi"].sub("", value, count=1))
        return Normalized(key, "" if key.isdigit() and len(key) == 9 else "an MMSI is 9 digits")
    if name == "bic":
        # "SWIFT: AGBLIRTH", "BIC AGBLIRTHXXX": the label written into the value, as a word of its own.
        key = alnum_upper(_LABELS["bic"].sub("", value, count=1))
        problem = "" if stdnum_bic.is_valid(key) else "not a BIC (8 or 11 characters: bank, country, place, branch)"
        # A BIC names a bank in 8 characters; the optional 3 more name a branch ("XXX": the head office).
        return Normalized(key[:8], problem)
    if name == "lei":
        key = alnum_upper(_LABELS["lei"].sub("", value, count=1))
        if len(key) != 20:
            return Normalized(key, "an LEI is 20 characters")
        return Normalized(key, "" if stdnum_lei.is_valid(key) else "LEI check digits do not match")
    return Normalized(key)


def _wallet(value: str, chain: str) -> Normalized:
    address = "".join(value.split())
    if _HEX_ADDRESS.fullmatch(address):
        return Normalized(address.lower())
    if address[:2].lower() == "0x":
        return Normalized(address.lower(), "a 0x address is 40 hexadecimal digits after 0x")
    if address.lower().startswith(_BECH32_PREFIXES):
        lowered = address.lower()
        if chain in ("", "XBT") and lowered.startswith(("bc1", "tb1")) and not stdnum_bitcoin.is_valid(lowered):
            return Normalized(lowered, "bitcoin address checksum does not match")
        return Normalized(lowered)
    if chain == "XBT" and not stdnum_bitcoin.is_valid(address):
        return Normalized(address, "bitcoin address checksum does not match")
    return Normalized(address)
