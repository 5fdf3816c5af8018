"""How a listed name gets written differently by the party, a clerk or another system.

Each generator takes a listed name and a seeded `random.Random` and returns the
changed name with a short note of what changed, or None when the change does not
apply to that name (no legal form to swap, no middle name to drop ...). They are
pure: the sampler in dataset.py decides which names to feed them.

Names are edited as written (case, commas, quotes kept) rather than rebuilt from
normalised tokens, so a query looks like something a person would type; the
edits are checked on normalised tokens (service.normalize.names) because that is
what every matcher compares.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from service.evaluation import tables
from service.normalize.names import fold, name_tokens

# A word is a run of letters or digits; separators (spaces, commas, quotes, hyphens) stay as written.
_WORD = re.compile(r"([^\W_]+)")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ACCENTS = {
    "a": "áàâä",
    "e": "éèêë",
    "i": "íîï",
    "o": "óôö",
    "u": "úüû",
    "n": "ñ",
    "c": "ç",
    "s": "š",
    "z": "ž",
    "y": "ý",
}
_GENERIC = frozenset(tables.GENERIC_ORG_WORDS)
_PLACES = frozenset(tables.PLACE_WORDS)
_SPELLINGS: dict[str, tuple[str, ...]] = {spelling: group for group in tables.SPELLING_GROUPS for spelling in group}


@dataclass(frozen=True)
class Party:
    """What a generator may need to know about the listed party besides its name."""

    person: bool
    organisation: bool
    countries: tuple[str, ...] = ()
    gender: str = ""


@dataclass(frozen=True)
class Variant:
    name: str
    note: str


Generator = Callable[[str, Party, random.Random], Variant | None]


# ---------------------------------------------------------------- words


def split_words(name: str) -> list[str]:
    """[sep, word, sep, word, ..., sep]: words at odd positions."""
    return _WORD.split(name)


def join_words(pieces: Sequence[str]) -> str:
    return re.sub(r"\s+", " ", "".join(pieces)).strip(" ,")


def words_align(name: str) -> bool:
    """True when the written words are exactly the normalised tokens (no O'Neil, U.S.A., digits glued)."""
    words = split_words(name)[1::2]
    return [fold(w) for w in words] == list(name_tokens(name))


def match_case(template: str, text: str) -> str:
    """Write `text` in the case style of `template` (UPPER, Title or lower)."""
    if template.isupper() and len(template) > 1:
        return text.upper()
    if template[:1].isupper():
        return text[:1].upper() + text[1:].lower()
    return text.lower()


def _editable(word: str) -> bool:
    return len(word) >= 4 and word.isascii() and word.isalpha()


def looks_like_organisation(name: str) -> bool:
    """For untyped entries (most BIS and State rows): a generic company word or a legal form."""
    tokens = name_tokens(name)
    return any(token in _GENERIC for token in tokens) or find_legal_form(name) is not None


# ---------------------------------------------------------------- typos


def _neighbours(char: str) -> str:
    for row_index, row in enumerate(_KEYBOARD_ROWS):
        column = row.find(char)
        if column < 0:
            continue
        near = row[max(0, column - 1) : column] + row[column + 1 : column + 2]
        for other in (row_index - 1, row_index + 1):
            if 0 <= other < len(_KEYBOARD_ROWS) and column < len(_KEYBOARD_ROWS[other]):
                near += _KEYBOARD_ROWS[other][column]
        return near
    return "etaoinsr"


EDIT_OPERATIONS = ("substitution", "insertion", "deletion", "transposition")


def edit_word(word: str, operation: str, rng: random.Random) -> str:
    """One keyboard-like edit of an ASCII word; the result has OSA distance 1 from it (case aside)."""
    lower = word.lower()
    if operation == "transposition":
        spots = [i for i in range(len(lower) - 1) if lower[i] != lower[i + 1]]
        if not spots:
            operation = "substitution"
        else:
            i = rng.choice(spots)
            lower = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2 :]
    if operation == "substitution":
        i = rng.randrange(len(lower))
        choices = [c for c in _neighbours(lower[i]) if c != lower[i]]
        lower = lower[:i] + rng.choice(choices) + lower[i + 1 :]
    elif operation == "insertion":
        i = rng.randrange(1, len(lower) + 1)
        # Half the time a doubled letter (the most common slip), else a neighbouring key.
        char = lower[i - 1] if rng.random() < 0.5 else rng.choice(_neighbours(lower[i - 1]))
        lower = lower[:i] + char + lower[i:]
    elif operation == "deletion":
        i = rng.randrange(len(lower))
        lower = lower[:i] + lower[i + 1 :]
    return match_case(word, lower) if word[:1].isupper() else lower


def _edit_words(
    name: str, rng: random.Random, positions: Sequence[int], edits_each: int
) -> tuple[str, list[str]] | None:
    pieces = split_words(name)
    notes = []
    for position in positions:
        original = pieces[position]
        for _ in range(10):  # two edits can cancel out (insert then delete): try again
            edited, ops = original, []
            for _ in range(edits_each):
                op = rng.choice(EDIT_OPERATIONS)
                edited = edit_word(edited, op, rng)
                ops.append(op)
            if OSA.distance(original.lower(), edited.lower()) == edits_each:
                break
        else:
            return None
        pieces[position] = edited
        notes.append(f"{'+'.join(ops)} {original}->{edited}")
    return join_words(pieces), notes


def _editable_positions(name: str) -> list[int]:
    if not words_align(name):
        return []
    pieces = split_words(name)
    return [i for i in range(1, len(pieces), 2) if _editable(pieces[i])]


def typo1(name: str, party: Party, rng: random.Random) -> Variant | None:
    positions = _editable_positions(name)
    if not positions:
        return None
    edited = _edit_words(name, rng, [rng.choice(positions)], 1)
    return Variant(edited[0], "; ".join(edited[1])) if edited else None


def typo2(name: str, party: Party, rng: random.Random) -> Variant | None:
    positions = _editable_positions(name)
    pieces = split_words(name)
    long_words = [i for i in positions if len(pieces[i]) >= 7]
    modes = (["two tokens"] if len(positions) >= 2 else []) + (["one token"] if long_words else [])
    if not modes:
        return None
    mode = rng.choice(modes)
    if mode == "two tokens":
        edited = _edit_words(name, rng, sorted(rng.sample(positions, 2)), 1)
    else:
        edited = _edit_words(name, rng, [rng.choice(long_words)], 2)
    return Variant(edited[0], f"{mode}: " + "; ".join(edited[1])) if edited else None


def typo_every_token(name: str, party: Party, rng: random.Random) -> Variant | None:
    positions = _editable_positions(name)
    # Every normalised token of 4+ characters must be editable, and two of them at
    # least: with one it would be typo1 again.
    if len(positions) < 2 or len(positions) != sum(1 for t in name_tokens(name) if len(t) >= 4):
        return None
    edited = _edit_words(name, rng, positions, 1)
    return Variant(edited[0], "; ".join(edited[1])) if edited else None


# ---------------------------------------------------------------- case, punctuation, order


def _add_diacritics(name: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(name) if c.lower() in _ACCENTS]
    chars = list(name)
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
        accented = rng.choice(_ACCENTS[chars[i].lower()])
        chars[i] = accented.upper() if chars[i].isupper() else accented
    return "".join(chars)


def _remove_punctuation(name: str, rng: random.Random) -> str:
    return join_words([re.sub(r"[,;:/()\"«»-]+", " ", re.sub(r"[.'’`]", "", name))])


def _add_punctuation(name: str, rng: random.Random) -> str:
    pieces = split_words(name)
    gaps = [i for i in range(2, len(pieces) - 1, 2) if pieces[i] == " "]
    if not gaps:
        return name + "."
    pieces[rng.choice(gaps)] = rng.choice((", ", " - ", " / ", "  "))
    return "".join(pieces)


def _change_case(name: str, rng: random.Random) -> str:
    style = rng.choice(("lower", "upper", "title"))
    if style == "lower" or (style == "upper" and name.isupper()):
        return name.lower()
    return name.upper() if style == "upper" else name.title()


_CASE_PUNCT: tuple[tuple[str, Callable[[str, random.Random], str]], ...] = (
    ("case", _change_case),
    ("punctuation removed", _remove_punctuation),
    ("punctuation added", _add_punctuation),
    ("diacritics added", _add_diacritics),
)


def case_punct(name: str, party: Party, rng: random.Random) -> Variant | None:
    """Changes that normalisation undoes: the same tokens in the same order."""
    variant, applied = name, []
    for label, change in rng.sample(_CASE_PUNCT, rng.randint(1, 2)):
        changed = change(variant, rng)
        # Keep only changes normalisation undoes (dropping the dot of "U.S." in "U.S. Steel" would not be).
        if changed != variant and name_tokens(changed) == name_tokens(name):
            variant = changed
            applied.append(label)
    if not applied:
        variant, applied = (name.lower() if name != name.lower() else name.upper()), ["case"]
    return Variant(variant, ", ".join(applied))


def reordered(name: str, party: Party, rng: random.Random) -> Variant | None:
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        # A company's comma is mostly "Co., Ltd."; only "GAZ-OIL, OOO" turns round like a person's name.
        if last and first and (party.person or _comma_legal_form(name)):
            return Variant(f"{first} {last}", "'LAST, First' -> 'First LAST'")
        if party.person:
            return None
    # Whitespace-separated words, so "a.k.a." or "O'Neil" move as one token.
    words = name.split()
    if len(words) < 2:
        return None
    if party.person:
        return Variant(f"{words[-1]}, {' '.join(words[:-1])}", "'First Last' -> 'LAST, First'")
    if len(words) == 2 or rng.random() < 0.5:
        return Variant(" ".join(words[1:] + words[:1]), "first word moved to the end")
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return Variant(" ".join(words), f"words {i + 1} and {i + 2} swapped")


def _comma_legal_form(name: str) -> bool:
    found = find_legal_form(name)
    return found is not None and found.at_end and "," in split_words(name)[found.start - 1]


def middle_name_dropped(name: str, party: Party, rng: random.Random) -> Variant | None:
    """One given name after the first dropped; surnames are never dropped."""
    if not party.person or len(name_tokens(name)) < 3:
        return None
    if "," in name:
        last, given = name.split(",", 1)
        given_words = given.split()
        if len(given_words) < 2:
            return None  # "MADURO MOROS, Nicolas": two surnames, no middle name
        # One written word that is one token: a hyphenated "Abd-al-Barr" is a name of its own.
        choices = [i for i in range(1, len(given_words)) if len(name_tokens(given_words[i])) == 1]
        if not choices:
            return None
        dropped = rng.choice(choices)
        kept = given_words[:dropped] + given_words[dropped + 1 :]
        return Variant(f"{last}, {' '.join(kept)}", f"dropped '{given_words[dropped]}'")
    words = name.split()
    if len(words) < 3:
        return None
    choices = [i for i in range(1, len(words) - 1) if len(name_tokens(words[i])) == 1]
    if not choices:
        return None
    dropped = rng.choice(choices)
    return Variant(" ".join(words[:dropped] + words[dropped + 1 :]), f"dropped '{words[dropped]}'")


def glued_split(name: str, party: Party, rng: random.Random) -> Variant | None:
    """'Hik Vision' <-> 'Hikvision': two adjacent words joined, or a long word split."""
    pieces = split_words(name)
    joinable = [i for i in range(1, len(pieces) - 2, 2)
                if pieces[i + 1] in (" ", "-") and pieces[i].isalpha() and pieces[i + 2].isalpha()]  # fmt: skip
    splittable = [i for i in range(1, len(pieces), 2) if len(pieces[i]) >= 7 and pieces[i].isalpha()]
    if joinable and (not splittable or rng.random() < 0.5):
        i = rng.choice(joinable)
        glued = pieces[i] + (pieces[i + 2].lower() if pieces[i][-1:].islower() else pieces[i + 2])
        note = f"joined '{pieces[i]}{pieces[i + 1]}{pieces[i + 2]}'"
        pieces[i : i + 3] = [glued]
        return Variant(join_words(pieces), note)
    if splittable:
        i = rng.choice(splittable)
        word = pieces[i]
        cut = rng.randrange(3, len(word) - 2)
        second = word[cut:].upper() if word.isupper() else word[cut:].capitalize()
        pieces[i] = f"{word[:cut]} {second}"
        return Variant(join_words(pieces), f"split '{word}'")
    return None


def extra_words(name: str, party: Party, rng: random.Random) -> Variant | None:
    """A title before a person's name; a generic word in a company's name (before its legal form)."""
    if party.person:
        titles = tables.TITLES_FEMALE if party.gender.lower() == "female" else tables.TITLES_MALE
        title = rng.choice(titles)
        return Variant(f"{title} {name}", f"title '{title}'")
    if not party.organisation:
        return None
    tokens = set(name_tokens(name))
    choices = [w for w in tables.EXTRA_ORG_WORDS if w.lower() not in tokens]
    word = match_case(name if name.isupper() else "Title", rng.choice(choices))
    found = find_legal_form(name)
    if found is not None and found.at_end:
        pieces = split_words(name)
        before = join_words(pieces[: found.start])
        form = join_words(pieces[found.start :])
        return Variant(f"{before} {word} {form}", f"'{word}' before the legal form")
    return Variant(f"{name} {word}", f"'{word}' appended")


# ---------------------------------------------------------------- legal forms


@dataclass(frozen=True)
class LegalForm:
    family: str
    tokens: tuple[str, ...]
    # Piece indices (split_words) of the form's first word and one past its last.
    start: int
    end: int
    at_end: bool


# Forms by their letters: "S.A." is the words S, A and "Co., Ltd." the words Co, Ltd,
# so a run of words is a form when its letters, concatenated, are a key here.
_FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "".join(form): (family, form) for family, forms in tables.LEGAL_FORM_FAMILIES.items() for form in forms
}
# The most words a form spans ("S. DE R.L. DE C.V." is seven).
_MAX_FORM_WORDS = 8
# Only these are written before the name (Russian style: OOO "Romashka", JOINT STOCK COMPANY STAR).
_PREFIX_FAMILIES = ("llc", "jsc")


def find_legal_form(name: str) -> LegalForm | None:
    """The longest known legal form at the end of the name, else at its start; never the whole name."""
    pieces = split_words(name)
    words = [fold(w) for w in pieces[1::2]]
    best: LegalForm | None = None
    for k in range(1, min(len(words) - 1, _MAX_FORM_WORDS) + 1):
        found = _FORMS.get("".join(words[-k:]))
        if found is not None and (best is None or len("".join(found[1])) > len("".join(best.tokens))):
            best = LegalForm(found[0], found[1], len(pieces) - 2 * k, len(pieces) - 1, at_end=True)
    if best is not None:
        return best
    for k in range(1, min(len(words) - 1, _MAX_FORM_WORDS) + 1):
        found = _FORMS.get("".join(words[:k]))
        if (
            found is not None
            and found[0] in _PREFIX_FAMILIES
            and (best is None or len("".join(found[1])) > len("".join(best.tokens)))
        ):
            best = LegalForm(found[0], found[1], 1, 2 * k, at_end=False)
    return best


def core_name(name: str) -> str:
    """The name without its legal forms: "Chitron Electronics, Inc." -> "Chitron Electronics".

    Both ends: "LIMITED LIABILITY COMPANY SBERBANK FINANCIAL COMPANY" has two.
    """
    for _ in range(3):
        found = find_legal_form(name)
        if found is None:
            break
        pieces = split_words(name)
        name = join_words(pieces[: found.start] if found.at_end else pieces[found.end :])
    return name


def legal_form(name: str, party: Party, rng: random.Random) -> Variant | None:
    """Company legal form dropped, swapped for an equivalent (LLC <-> Ltd <-> OOO ...) or added."""
    if not party.organisation:
        return None
    found = find_legal_form(name)
    pieces = split_words(name)
    upper = name.isupper()
    if found is None:
        choices = [f for c in party.countries for f in tables.LEGAL_FORM_BY_COUNTRY.get(c, ())] or list(
            tables.LEGAL_FORM_DEFAULT
        )
        form = rng.choice(choices)
        form = form.upper() if upper else form
        return Variant(f"{name} {form}", f"added '{form}'")
    rest = pieces[: found.start] if found.at_end else pieces[found.end :]
    written_form = join_words(pieces[found.start :] if found.at_end else pieces[found.start : found.end])
    family = (
        "llc_ru" if found.family == "llc" and set(party.countries) & set(tables.CYRILLIC_COUNTRIES) else found.family
    )
    targets = [t for t in tables.LEGAL_FORM_WRITTEN.get(family, ()) if name_tokens(t) != found.tokens]
    if targets and rng.random() < 0.5:
        target = rng.choice(targets)
        target = target.upper() if upper else target
        if found.at_end:
            swapped = "".join(pieces[: found.start]) + target
        else:
            swapped = target + " " + join_words(rest)
        return Variant(join_words([swapped]), f"swapped '{written_form}' -> '{target}'")
    remaining = join_words(rest).strip(" ,'\"«»")
    if not name_tokens(remaining):
        return None
    return Variant(remaining, f"dropped '{written_form}'")


# ---------------------------------------------------------------- transliteration


def _respell(word: str, rng: random.Random, slavic: bool) -> str | None:
    folded = fold(word)
    group = _SPELLINGS.get(folded)
    if group is not None:
        return match_case(word, rng.choice([s for s in group if s != folded]))
    if slavic and len(folded) >= 5 and word.isascii():
        for ending, replacement in tables.SLAVIC_ENDINGS:
            if folded.endswith(ending):
                return match_case(word, folded[: -len(ending)] + replacement)
    return None


def transliteration(name: str, party: Party, rng: random.Random) -> Variant | None:
    """Every name part found in the spelling table respelt (Mohammed -> Muhammad, Sergey -> Sergei ...)."""
    if not party.person:
        return None
    slavic = bool(set(party.countries) & set(tables.SLAVIC_COUNTRIES))
    pieces = split_words(name)
    changes: dict[int, str] = {}
    merged: list[int] = []  # the "al" of "Abd al", merged into "Abdul"
    for i in range(1, len(pieces) - 2, 2):
        if fold(pieces[i]) == "abd" and fold(pieces[i + 2]) in ("al", "el", "ul"):
            changes[i] = match_case(pieces[i], rng.choice(["abdul", "abdel", "abdal"]))
            merged.append(i + 2)
    for i in range(1, len(pieces), 2):
        if i not in changes and i not in merged and (respelt := _respell(pieces[i], rng, slavic)) is not None:
            changes[i] = respelt
    # al/el alone is too easy a change; use it only when nothing else applies.
    meaningful = {i: v for i, v in changes.items() if fold(pieces[i]) not in ("al", "el")}
    changes = meaningful or changes
    if not changes:
        return None
    notes = []
    for i, respelt in sorted(changes.items()):
        notes.append(f"{pieces[i]}{' ' + pieces[i + 2] if i + 2 in merged else ''}->{respelt}")
        pieces[i] = respelt
    for i in merged:
        if i - 2 in changes:
            pieces[i] = ""
            pieces[i + 1] = " "
    return Variant(join_words(pieces), ", ".join(notes))


# ---------------------------------------------------------------- other scripts


def to_cyrillic(word: str) -> str:
    """A Latin-written Russian word in Cyrillic, in the same case style."""
    lower = word.lower()
    out = ""
    for ending, cyrillic in tables.CYRILLIC_FINAL:
        if lower.endswith(ending) and len(lower) > len(ending) + 1:
            lower, out = lower[: -len(ending)], cyrillic
            break
    result = ""
    i = 0
    while i < len(lower):
        for latin, cyrillic in tables.CYRILLIC_LETTERS:
            if lower.startswith(latin, i):
                result += cyrillic
                i += len(latin)
                break
        else:
            result += lower[i]
            i += 1
            continue
        if lower[i - 1] == "y" and result.endswith("ы") and i >= 2 and lower[i - 2] in "aeiou":
            result = result[:-1] + "й"
    return match_case(word, result + out)


def _arabic(words: Sequence[str]) -> str | None:
    folded = [fold(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(folded):
        word = folded[i]
        if word in tables.ARABIC_ARTICLES and i + 1 < len(folded) and folded[i + 1] in tables.ARABIC_PARTS:
            out.append(tables.ARABIC_ARTICLE + tables.ARABIC_PARTS[folded[i + 1]])
            i += 2
            continue
        if word not in tables.ARABIC_PARTS:
            return None
        out.append(tables.ARABIC_PARTS[word])
        i += 1
    return " ".join(out)


def other_script(name: str, party: Party, rng: random.Random) -> Variant | None:
    """Arabic script for names made only of common Arabic parts; Cyrillic for Russian, Belarusian, Ukrainian parties."""
    if not name.isascii():
        return None
    if party.person:
        # Written as spoken: given names first, no comma.
        ordered = " ".join(part.strip() for part in reversed(name.split(",", 1))) if "," in name else name
        arabic = _arabic(split_words(ordered)[1::2])
        if arabic is not None:
            return Variant(arabic, "Arabic script")
    if not set(party.countries) & set(tables.CYRILLIC_COUNTRIES):
        return None
    if party.person:
        return Variant(
            join_words([to_cyrillic(p) if i % 2 else p for i, p in enumerate(split_words(name))]), "Cyrillic"
        )
    # Companies only with a Russian-style legal form and no English words: "GAZPROM GAZNADZOR, OOO" is
    # written in Cyrillic by Russians, "Luhansk People's Republic" letter by letter is written by nobody.
    found = find_legal_form(name)
    if not party.organisation or found is None or found.family not in ("llc", "jsc"):
        return None
    pieces = split_words(name)
    pieces = pieces[: found.start] if found.at_end else pieces[found.end :]
    if any(fold(word) in _GENERIC for word in pieces[1::2]):
        return None
    prefix = tables.CYRILLIC_LEGAL_FORMS[found.family] + " "
    body = join_words([to_cyrillic(p) if i % 2 else p for i, p in enumerate(pieces)]).strip(" ,'\"")
    if not name_tokens(body):
        return None
    return Variant(f"{prefix}«{body}»", "Cyrillic")


GENERATORS: dict[str, Generator] = {
    "case_punct": case_punct,
    "reordered": reordered,
    "typo1": typo1,
    "typo2": typo2,
    "typo_every_token": typo_every_token,
    "legal_form": legal_form,
    "transliteration": transliteration,
    "middle_name_dropped": middle_name_dropped,
    "other_script": other_script,
    "glued_split": glued_split,
    "extra_words": extra_words,
}
