"""Transliteration variants of common name parts, mapped to one canonical spelling.

Metaphone already unites most spellings (Mohammed / Muhammad, Sergey / Sergei);
this table covers the ones whose sounds drift too far for it (Hossein / Husayn,
Abdul / Abd / Abdel) and is the place to add what an evaluation shows missing.
"""

from __future__ import annotations

_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "muhammad",
        "mohammed",
        "mohammad",
        "mohamed",
        "mohamad",
        "muhammed",
        "mohamud",
        "mohd",
        "mhmd",
        "mohammod",
        "mouhamed",
        "muhamed",
        "muhamad",
        "mehmet",
        "mehmed",
    ),
    ("husayn", "hussein", "hossein", "husein", "hussain", "husain", "hosein", "hossain", "hussien", "hsyn"),
    ("hasan", "hassan", "hasen", "hassen"),
    ("abd", "abdul", "abdel", "abdol", "abdal", "abdoul", "abdu"),
    ("ahmad", "ahmed", "ahmet", "ahmat", "ehmed"),
    ("yusuf", "yousef", "youssef", "yousuf", "yusef", "yousif", "yossef"),
    ("umar", "omar", "omer", "umer"),
    ("usama", "osama", "oussama"),
    ("khalid", "khaled", "halid"),
    ("mahmud", "mahmoud", "mahmood", "mehmood"),
    ("ibrahim", "ebrahim", "ibraheem", "brahim"),
    ("mustafa", "mostafa", "moustafa", "mustapha"),
    ("jafar", "jaafar", "jafer", "djafar"),
    ("abu", "abou", "abo"),
    # The Arabic article, as romanised, also assimilated to a "sun letter" that follows it
    # (ash-Sheikh, an-Nasser, ad-Din, ar-Rahman, as-Sayed, at-Tayyib, az-Zawahiri).
    ("al", "el", "ul", "ash", "as", "an", "ad", "ar", "at", "az", "ath", "adh"),
    ("bin", "ibn", "ben"),  # "son of", as romanised (Arabic bin / ibn, Maghrebi and Hebrew ben)
    ("bint", "binti"),  # "daughter of" (Arabic, Malay)
    ("said", "saeed", "saeid", "saied", "sayeed"),
    ("qasim", "kassem", "qassem", "kasim", "qassim", "kasem"),
    ("salih", "saleh"),
    ("aleksandr", "alexander", "aleksander", "alexandr", "oleksandr"),
    ("sergei", "sergey", "serhiy", "serhii", "sergiy"),
    ("yuri", "yuriy", "yury", "iurii", "yurii"),
    ("dmitri", "dmitriy", "dmitry", "dmytro"),
    ("mikhail", "mihail", "mykhailo", "michail"),
    ("aleksei", "alexei", "alexey", "aleksey", "oleksii"),
    ("andrei", "andrey", "andriy", "andrii"),
    ("petr", "pyotr", "piotr", "petro"),
    ("evgeni", "evgeny", "evgeniy", "yevgeny", "yevgeniy", "yevhen"),
    ("choi", "choe"),
    ("ri", "lee", "yi", "rhee"),
)

CANONICAL: dict[str, str] = {variant: group[0] for group in _GROUPS for variant in group}


def canonical(token: str) -> str:
    return CANONICAL.get(token, token)


def variants_of(token: str) -> tuple[str, ...]:
    """Every spelling in the token's variant group (just the token if none)."""
    key = CANONICAL.get(token)
    if key is None:
        return (token,)
    return next(group for group in _GROUPS if group[0] == key)
