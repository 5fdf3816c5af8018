"""Pinyin syllables: Chinese name parts that differ by a whole syllable are different names.

"Zheng" and "Zhang", "Fang" and "Wang", "Chen" and "Cheng" are one letter apart,
which the typo and phonetic rules would call the same name part; in Chinese they
are different surnames and given names (郑 / 张, 方 / 王, 陈 / 程). When both tokens
are a single pinyin syllable, one for another is not a typo.

The syllables are not a hand-written list: they are what anyascii (already used to
transliterate CJK) reads for every character of the CJK Unified Ideographs block.
"""

from __future__ import annotations

from functools import cache, lru_cache

from anyascii import anyascii

_CJK_UNIFIED = range(0x4E00, 0x9FA6)
# Longest pinyin syllable ("zhuang", "shuang", "chuang").
_LONGEST = 6
_VOWELS = frozenset("aeiou")


@cache
def syllables() -> frozenset[str]:
    """Every pinyin syllable, toneless and lower case."""
    found = {anyascii(chr(code)).lower() for code in _CJK_UNIFIED}
    return frozenset(s for s in found if s.isalpha() and s.isascii())


@lru_cache(maxsize=100_000)
def split_syllables(token: str) -> tuple[str, ...]:
    """The token as pinyin syllables ("xiaoming" -> ("xiao", "ming")), or () when it is not pinyin.

    Longest syllable first, backtracking, so "xian" stays one syllable and "xianggang"
    is "xiang gang".
    """
    known = syllables()

    def split(start: int) -> tuple[str, ...] | None:
        if start == len(token):
            return ()
        for end in range(min(len(token), start + _LONGEST), start, -1):
            # A syllable without an initial ("a", "an", "er") only begins a name part: inside
            # one, pinyin writes an apostrophe (Xi'an), and allowing it would read Western names
            # as pinyin ("maria" as ma-ri-a).
            if start and token[start] in _VOWELS:
                break
            if token[start:end] in known and (rest := split(end)) is not None:
                return (token[start:end], *rest)
        return None

    return split(0) or () if token.isascii() and token.isalpha() else ()


def different_syllables(one: str, other: str) -> bool:
    """Both tokens are one pinyin syllable each, and not the same one ("zheng" / "zhang").

    Only single syllables: the syllables cover so many short strings that a typo in a longer
    word often reads as other syllables ("Baoding" typed "Boding" is bo-ding), while a Chinese
    surname or one-syllable given name is exactly where one letter makes another name.
    """
    first, second = split_syllables(one), split_syllables(other)
    return len(first) == 1 and len(second) == 1 and first != second
