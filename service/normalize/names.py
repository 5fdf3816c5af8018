"""Name normalisation: small pure functions shared by index build and queries.

Both sides of a comparison go through the same `name_tokens`, so "MADURO MOROS,
Nicolás" and "nicolas maduro-moros" reduce to the same tokens. Later matchers
(typo, phonetic, transliteration) build on these tokens rather than replace them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

from service.normalize.hangul import HANGUL_WORD, romanise_word

# Characters that join rather than separate: O'Neil -> oneil, U.S.A. -> usa.
_JOINERS = re.compile(r"['’`´.]")
_SEPARATORS = re.compile(r"[^\w]+|_")
# Letters NFKD does not decompose into base + combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower case, no diacritics, compatibility forms unified (ﬁ -> fi, full-width -> ASCII)."""
    if text.isascii():  # most listed and queried names: skip Unicode work
        return text.lower()
    # Hangul before decomposition (NFKD splits each syllable into its letters), composed
    # first so that a name sent as separate letters is read the same.
    text = HANGUL_WORD.sub(_romanised_hangul, unicodedata.normalize("NFC", text))
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_LETTERS))
    latin = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if latin.isascii():
        return latin
    return transliterate(latin).lower()


def _romanised_hangul(word: re.Match[str]) -> str:
    """A word in Hangul as the lists spell Korean names: "김정은" -> "kim jong un" (service.normalize.hangul)."""
    return f" {romanise_word(word.group())} "


def transliterate(text: str) -> str:
    """Other scripts to Latin letters (Cyrillic, Arabic, Greek, CJK ...).

    anyascii (ISC licence, table-driven, no native code) is used rather than
    Unidecode (GPL). CJK characters are transliterated one by one and separated,
    so "中泰化学" gives "zhong tai hua xue", tokens a glued-token comparison can
    rejoin ("zhongtai").
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif _is_cjk(ch):
            out.append(f" {anyascii(ch)} ")
        else:
            out.append(anyascii(ch))
    return "".join(out)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF


@lru_cache(maxsize=65_536)
def name_tokens(name: str) -> tuple[str, ...]:
    """Folded tokens in written order; punctuation and extra spaces removed.

    Cached: a request normalises the same name for matching and for its log
    fingerprint, and batch screening sees the same names again and again.
    """
    joined = _JOINERS.sub("", fold(name))
    return tuple(token for token in _SEPARATORS.split(joined) if token)


def order_free_key(tokens: tuple[str, ...]) -> str:
    """Key equal for the same tokens in any order: "maduro moros, nicolas" == "nicolas maduro moros"."""
    return " ".join(sorted(tokens))
