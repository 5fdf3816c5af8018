"""Held-out positives made from how a name is spelled: romanisation (class 3), native scripts, evasion
tricks (class 4), a strong alias re-typed and a middle name left out.

Every maker takes an entry, the shared Context and a seeded `random.Random`, and
returns (listed name used, Change) or None when the entry does not lend itself
to the category.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

from service.evaluation.heldout_common import (
    WORD,
    Change,
    Context,
    capitalised,
    countries_of,
    culture_of,
    fold,
    is_upper,
    key,
    person_name,
    recased,
    strong_names,
    tidy,
    tokens,
    valid_query,
    words,
)
from service.evaluation.heldout_scripts import (
    chinese_syllables,
    korean_syllables,
    to_chinese,
    to_cyrillic,
    to_hangul,
    to_korean_cyrillic,
)
from service.evaluation.heldout_tables import (
    ABD_FORMS,
    ALTERNATIONS,
    PARTICLE_WORDS,
    PATRONYMIC_SWAPS,
    POST_SOVIET,
    SUN_LETTERS,
    Alternation,
)
from service.model import Entry

Made = tuple[str, Change] | None
FAMILY_FIRST = ("KP", "KR", "CN", "TW", "HK", "MO", "VN", "JP")
_PARTICLES = frozenset(
    ("al", "el", "ul", "bin", "ibn", "ben", "bint", "binti", "abu", "abou", "umm", "abd", "de", "da", "del", "della",
     "di", "do", "dos", "das", "du", "la", "le", "van", "von", "der", "den", "y", "e", "ould", "ag", "ait", "mac",
     "abdul", "abdel", "abdol", "abdoul", "dr", "mr", "mrs", "ms", "prof", "eng", "gen", "col", "capt", "sir",
     *PARTICLE_WORDS)
)  # fmt: skip


def _person_source(entry: Entry, context: Context) -> str | None:
    if not context.is_person(entry):
        return None
    name = entry.primary_name
    return name if valid_query(name) and len(name) <= 90 and not re.search(r"[()\[\];]", name) else None


# ---------------------------------------------------------------- class 3: romanisation


def translit_systematic(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _person_source(entry, context)
    if name is None:
        return None
    cultures = culture_of(entry, name)
    options: list[tuple[re.Match[str], list[tuple[Alternation, re.Match[str]]]]] = []
    for word in WORD.finditer(name):
        lower = word.group().lower()
        if len(lower) < 3 or not lower.isascii() or not lower.isalpha() or lower in _PARTICLES:
            continue
        rules = [
            (rule, match)
            for rule in ALTERNATIONS
            if set(rule.cultures) & set(cultures)
            for match in re.finditer(rule.pattern, lower)
        ]
        if rules:
            options.append((word, rules))
    if not options:
        return None
    chosen = rng.sample(options, 2 if len(options) >= 2 and rng.random() < 0.4 else 1)
    edits: list[tuple[int, int, str]] = []
    notes: list[str] = []
    for word, rules in sorted(chosen, key=lambda option: option[0].start()):
        rule, match = rng.choice(rules)
        lower = word.group().lower()
        changed = lower[: match.start()] + match.expand(rule.replacement) + lower[match.end() :]
        if changed == lower or len(changed) < 3:
            return None
        new = recased(word.group(), changed)
        edits.append((word.start(), word.end(), new))
        notes.append(f"'{word.group()}'->'{new}' ({rule.label})")
    query = name
    for start, end, new in reversed(edits):
        query = query[:start] + new + query[end:]
    return name, Change(query, "romanisation: " + ", ".join(notes))


def _particle_case(original: str, new: str) -> str:
    if is_upper(original):
        return new.upper()
    return new if original[:1].islower() else new[:1].upper() + new[1:]


def _particle_edits(name: str, arabic: bool, context: Context) -> list[tuple[int, int, str, str]]:
    """Every particle edit the name allows: (start, end, replacement, note)."""
    edits: list[tuple[int, int, str, str]] = []
    for match in re.finditer(r"\b(bin|ibn|ben|bint|binti)\b(?=[ \-]+[^\W\d_]{2,})", name, re.IGNORECASE):
        particle = match.group(1).lower()
        if particle == "ben" and not arabic:
            continue
        for other in PATRONYMIC_SWAPS[particle]:
            edits.append((match.start(1), match.end(1), _particle_case(match.group(1), other),
                          f"'{match.group(1)}' -> '{other}'"))  # fmt: skip
        if particle in ("bin", "ibn") and match.start() > 0:
            end = match.end(1) + len(name[match.end(1) :]) - len(name[match.end(1) :].lstrip(" -"))
            edits.append((match.start(1), end, "", f"'{match.group(1)}' dropped"))
    article = r"\b(al|el|ul|ad|as|ash|at|ar|az|an|adh|ath)([\- ])([^\W\d_]{2,})"
    for match in re.finditer(article, name, re.IGNORECASE) if arabic else ():
        particle, separator, following = match.group(1), match.group(2), match.group(3)
        lower = particle.lower()
        if lower not in ("al", "el", "ul") and not fold(following).startswith(lower[1:]):
            continue  # as-, ash-, ar- ... only before their own (sun) letter
        start, end = match.start(1), match.end(2)
        if lower in ("al", "el", "ul"):
            other = {"al": "el", "el": "al", "ul": "al"}[lower]
            edits.append((start, match.end(1), _particle_case(particle, other), f"'{particle}' -> '{other}'"))
            sun = next((s for s in SUN_LETTERS if fold(following).startswith(s)), None)
            if sun and arabic:
                edits.append((start, match.end(1), _particle_case(particle, "a" + sun),
                              f"'{particle}' assimilated to 'a{sun}-'"))  # fmt: skip
        else:
            edits.append((start, match.end(1), _particle_case(particle, "al"), f"'{particle}' -> 'al'"))
        attached = particle + (following.lower() if not is_upper(following) else following)
        attached = attached[:1].upper() + attached[1:] if not is_upper(particle) else attached
        edits.append((start, match.end(3), attached, f"'{particle}{separator}{following}' attached"))
        edits.append((start, end, "", f"'{particle}{separator}' dropped"))
    abd = r"\b(abd[\s\-]?(?:al|el|ul)[\s\-]?|abdul|abdel|abdol|abdoul)\s*([^\W\d_]{4,})"
    for match in re.finditer(abd, name, re.IGNORECASE) if arabic else ():
        current = re.sub(r"[\s\-]+", " ", match.group(1).lower()).strip()
        following = match.group(2)
        if not re.search(r"\s", match.group()) and context.entry_frequency.get(fold(following), 0) < 3:
            continue  # "ABDULLAH" is not "ABDUL LAH"
        for other in ABD_FORMS:
            if other == current:
                continue
            written = f"{other}-{following}" if " " in other else f"{other} {following}"
            written = _particle_case(match.group(1), written)
            edits.append((match.start(), match.end(), written, f"'{match.group().strip()}' -> '{written}'"))
        attached = _particle_case(match.group(1), current.replace(" ", "") + following.lower())
        if " " not in current and re.search(r"\s", match.group()):
            edits.append((match.start(), match.end(), attached, f"'{match.group().strip()}' attached as '{attached}'"))
    for match in re.finditer(r"\b(al|el)([^\W\d_]{4,})", name, re.IGNORECASE):
        rest = match.group(2)
        if arabic and context.entry_frequency.get(fold(rest), 0) >= 3:
            rest = rest.upper() if is_upper(match.group()) else capitalised(rest)
            detached = f"{match.group(1)}-{rest}"
            edits.append((match.start(), match.end(), detached, f"'{match.group()}' detached as '{detached}'"))
            edits.append((match.start(), match.end(), rest, f"'{match.group(1)}' of '{match.group()}' dropped"))
    return edits


def particle(entry: Entry, context: Context, rng: random.Random) -> Made:
    for name in strong_names(entry):
        if not valid_query(name) or len(name) > 90:
            continue
        arabic = "arabic" in culture_of(entry, name)
        edits = _particle_edits(name, arabic, context)
        if not edits:
            continue
        first = rng.choice(edits)
        chosen = [first]
        others = [e for e in edits if e[1] <= first[0] or e[0] >= first[1]]
        if others and rng.random() < 0.3:
            chosen.append(rng.choice(others))
        query = name
        for start, end, new, _ in sorted(chosen, reverse=True):
            query = query[:start] + new + query[end:]
        return name, Change(tidy(query), "particles: " + "; ".join(e[3] for e in sorted(chosen)))
    return None


# ---------------------------------------------------------------- class 3: native scripts

Writer = Callable[[Entry, str, random.Random], tuple[str, str] | None]


def _in_script(entry: Entry, context: Context, rng: random.Random, write: Writer, country: str | None = None) -> Made:
    if not context.is_person(entry):
        return None
    for name in strong_names(entry):
        written = write(entry, name, rng)
        if written is not None:
            return name, Change(written[0], written[1], country)
    return None


def script_hangul(entry: Entry, context: Context, rng: random.Random) -> Made:
    return _in_script(entry, context, rng, to_hangul)


def script_chinese(entry: Entry, context: Context, rng: random.Random) -> Made:
    return _in_script(entry, context, rng, to_chinese)


def script_cyrillic_korean(entry: Entry, context: Context, rng: random.Random) -> Made:
    return _in_script(entry, context, rng, to_korean_cyrillic)


def script_cyrillic(entry: Entry, context: Context, rng: random.Random) -> Made:
    person = context.is_person(entry)
    if not person and not context.is_organisation(entry):
        return None
    countries = countries_of(entry)
    if not set(countries) & set(POST_SOVIET[:10]) and (
        countries or "slavic" not in culture_of(entry, entry.primary_name) or not person
    ):
        return None
    for name in strong_names(entry):
        if len(name) > 90:
            continue
        written = to_cyrillic(name, person, rng)
        if written is not None:
            return name, Change(*written)
    return None


# ---------------------------------------------------------------- class 4: evasion

_DIGITS = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5"}
_LOOKALIKES: dict[str, tuple[str, ...]] = {
    "a": ("а",), "c": ("с",), "e": ("е",), "o": ("о",), "p": ("р",), "x": ("х",), "y": ("у",), "i": ("і",),
    "j": ("ј",), "s": ("ѕ",),
    "A": ("А", "Α"), "B": ("В", "Β"), "C": ("С",), "E": ("Е", "Ε"), "H": ("Н", "Η"), "I": ("І", "Ι"), "J": ("Ј",),
    "K": ("К", "Κ"), "M": ("М", "Μ"), "N": ("Ν",), "O": ("О", "Ο"), "P": ("Р", "Ρ"), "S": ("Ѕ",), "T": ("Т", "Τ"),
    "X": ("Х", "Χ"), "Y": ("У", "Υ"), "Z": ("Ζ",),
}  # fmt: skip
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")


def _evasion_source(entry: Entry, context: Context) -> str | None:
    if not (context.is_person(entry) or context.is_organisation(entry)):
        return None
    name = entry.primary_name
    return name if valid_query(name) and len(name) <= 90 and len(words(name)) >= 1 else None


def _letter_positions(name: str, allowed: Callable[[str], bool]) -> list[int]:
    return [i for word in WORD.finditer(name) if len(word.group()) >= 3
            for i in range(word.start(), word.end()) if allowed(name[i])]  # fmt: skip


def evasion_digits(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _evasion_source(entry, context)
    if name is None:
        return None
    positions = _letter_positions(name, lambda c: c.lower() in _DIGITS)
    if len(positions) < 2:
        return None
    chosen = sorted(rng.sample(positions, min(len(positions) - 1, rng.choice((1, 1, 2, 2, 3)))))
    query = list(name)
    for i in chosen:
        query[i] = _DIGITS[name[i].lower()]
    notes = ", ".join(f"'{name[i]}'->'{query[i]}'" for i in chosen)
    return name, Change("".join(query), f"letters written as digits: {notes}")


def evasion_camel(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _evasion_source(entry, context)
    if name is None:
        return None
    pieces = words(name)
    if len(pieces) < 2 or len(pieces) > 6:
        return None
    keep_acronyms = context.is_organisation(entry) and not is_upper(name)
    camel = [p if (keep_acronyms and p.isupper() and len(p) <= 4) else capitalised(p) for p in pieces]
    if len(camel) >= 3 and rng.random() < 0.35:
        query = "".join(camel[:-1]) + " " + camel[-1]
        note = "words before the last run together in CamelCase"
    else:
        query = "".join(camel)
        note = "all words run together in CamelCase"
    return name, Change(query, note + ", punctuation dropped")


def evasion_homoglyph(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _evasion_source(entry, context)
    if name is None:
        return None
    positions = _letter_positions(name, lambda c: c in _LOOKALIKES)
    if not positions:
        return None
    chosen = sorted(rng.sample(positions, min(len(positions), rng.choice((1, 2, 2, 3, 4)))))
    query = list(name)
    notes = []
    for i in chosen:
        query[i] = rng.choice(_LOOKALIKES[name[i]])
        notes.append(f"'{name[i]}'->{unicodedata.name(query[i])}")
    return name, Change("".join(query), "look-alike letters: " + ", ".join(notes))


def evasion_invisible(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _evasion_source(entry, context)
    if name is None or len(name) < 4:
        return None
    inside = [i for word in WORD.finditer(name) for i in range(word.start() + 1, word.end())]
    between = [m.start() for m in re.finditer(r" ", name)]
    if not inside:
        return None
    inserts: dict[int, str] = {}
    notes: list[str] = []
    for _ in range(rng.choice((1, 2, 2, 3))):
        if rng.random() < 0.15 and len(inside) >= 2:
            at = rng.choice(inside[:-1])  # an override pair around one letter: it still shows as written
            inserts[at] = inserts.get(at, "") + "\u202e"
            inserts[at + 1] = "\u202c" + inserts.get(at + 1, "")
            notes.append(f"U+202E/U+202C around '{name[at]}'")
            continue
        char = rng.choice(_INVISIBLE)
        free_between = [i for i in between if i not in inserts]
        free_inside = [i for i in inside if i not in inserts]
        if not free_inside:
            break
        at = rng.choice(free_between) if free_between and rng.random() < 0.3 else rng.choice(free_inside)
        inserts[at] = inserts.get(at, "") + char
        notes.append(f"U+{ord(char):04X} at {at}")
    query = "".join(inserts.get(i, "") + c for i, c in enumerate(name)) + inserts.get(len(name), "")
    return name, Change(query, "invisible characters inserted: " + ", ".join(notes))


# ---------------------------------------------------------------- aliases and middle names


def alias_variant(entry: Entry, context: Context, rng: random.Random) -> Made:
    primary = key(entry.primary_name)
    aliases = [n for n in strong_names(entry)[1:] if key(n) != primary and valid_query(n) and len(n) <= 90]
    if not aliases:
        return None
    alias = rng.choice(aliases)
    changes: list[str] = []
    query = alias
    if is_upper(alias):
        query = " ".join(capitalised(w) for w in query.split(" "))
        changes.append("capitals to Title Case")
    elif rng.random() < 0.5:
        query = query.upper()
        changes.append("to capitals")
    else:
        query = query.lower()
        changes.append("to lower case")
    if re.search(r"[.,\-']", query) and rng.random() < 0.7:
        query = tidy(re.sub(r"[.,']", "", re.sub(r"-", " ", query)))
        changes.append("punctuation removed")
    if query == alias:
        return None
    return alias, Change(query, f"strong alias, {' and '.join(changes)}")


def middle_dropped(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _person_source(entry, context)
    parsed = person_name(name) if name else None
    if name is None or parsed is None or len(tokens(name)) < 3:
        return None
    if set(countries_of(entry)) & set(FAMILY_FIRST) or korean_syllables(entry, name) or chinese_syllables(entry, name):
        return None  # "KIM, Kyong Hyok": a two-syllable given name has no middle name
    family, given = parsed.family.split(), parsed.given.split()

    def droppable(chunks: list[str], i: int) -> bool:
        word = chunks[i]
        return (
            fold(word).strip(".,") not in _PARTICLES
            and fold(chunks[i - 1]).strip(".,") not in _PARTICLES
            and any(c.isalpha() for c in word)
        )

    # Never the first given name; of "FAMILY1 FAMILY2, Given" the second family name may go.
    spots: list[tuple[str, int]] = [("given", i) for i in range(1, len(given)) if droppable(given, i)]
    if parsed.comma and len(family) >= 2:
        spots += [("family", i) for i in range(1, len(family)) if droppable(family, i)]
    if not spots:
        return None
    part, i = rng.choice(spots)
    chunks = given if part == "given" else family
    dropped = chunks[i]
    kept = chunks[:i] + chunks[i + 1 :]
    query = parsed.write(given=" ".join(kept)) if part == "given" else parsed.write(family=" ".join(kept))
    return name, Change(tidy(query), f"{'middle' if part == 'given' else 'second family'} name '{dropped}' dropped")
