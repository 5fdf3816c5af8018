"""Real-world negatives: real company names and common personal names, not derived from the lists at all.

The plain negatives of dataset.py are built from name pools and a company-name
generator; these are real names as they occur in screening traffic (issue 14):

* every company of data/real_companies.tsv: globally known brands ("Nokia",
  "Siemens AG"), category real_brand, and ordinary mid-size companies of many
  countries with their local legal forms ("Koç Holding A.Ş.", "PT Astra
  International Tbk"), category real_company;
* exactly PERSONS_PER_CULTURE distinct full names per naming culture, made from
  the common given and family names of data/real_person_names.toml in the
  culture's order (Chinese and Korean family name first), category
  real_person_<culture>.

A real name can be a listed one ("Mohammed Al-Sayed", a company sharing a listed
name): such a name is not an innocent negative, so it is dropped and counted per
category, as dataset.py does for its own negatives (a person's name by the same
rule as dataset.py, a company only when it is a listed name as written). Person names are drawn again
until the category is full; companies are not replaced.

Deterministic: each person category draws from its own
`random.Random(f"{seed}/{category}")`, so the same seed and the same lists give
the same cases, and adding a category does not reshuffle the others.
"""

from __future__ import annotations

import csv
import io
import random
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from service.evaluation.dataset import NEGATIVE, Case, ListedNames, Query, name_key

REALWORLD_SEED = 4242  # not dataset.DEFAULT_SEED: these cases are drawn independently of the list-derived ones
PERSONS_PER_CULTURE = 1000
CULTURES: tuple[str, ...] = ("arabic", "persian", "chinese", "korean", "russian", "hispanic", "south_asian", "anglo")
CATEGORIES: tuple[str, ...] = ("real_brand", "real_company", *(f"real_person_{culture}" for culture in CULTURES))
COMPANY_KINDS: dict[str, str] = {"brand": "real_brand", "company": "real_company"}

COMPANIES_FILE = "real_companies.tsv"
PERSON_NAMES_FILE = "real_person_names.toml"
ORDERS = ("given_family", "family_given")
# Draws per wanted name before a culture is declared too small (or too listed) to fill its category.
MAX_DRAWS_PER_NAME = 100
# Shares of the longer name forms.
FATHER_NAME_SHARE = 0.3  # Arabic: given + father's given + family ("Ahmed Mahmoud Al-Sayed")
PATRONYMIC_SHARE = 0.3  # Russian: given + patronymic + family ("Ivan Sergeyevich Petrov")
TWO_SURNAMES_SHARE = 0.6  # Hispanic: paternal + maternal surname ("María López García")


@dataclass(frozen=True)
class Company:
    name: str
    country: str  # ISO 3166-1 alpha-2 of the headquarters
    kind: str  # "brand" or "company"

    @property
    def category(self) -> str:
        return COMPANY_KINDS[self.kind]


@dataclass(frozen=True)
class NameCulture:
    name: str
    order: str  # "given_family" or "family_given"
    countries: tuple[str, ...]
    given_male: tuple[str, ...]
    given_female: tuple[str, ...]
    family: tuple[str, ...]
    patronymic_male: tuple[str, ...] = ()
    patronymic_female: tuple[str, ...] = ()

    @property
    def category(self) -> str:
        return f"real_person_{self.name}"


# ---------------------------------------------------------------- data files


def _data_text(filename: str) -> str:
    return resources.files("service.evaluation").joinpath("data", filename).read_text(encoding="utf-8")


@cache
def load_companies() -> tuple[Company, ...]:
    """The rows of data/real_companies.tsv (header `name<TAB>country<TAB>kind`), in file order."""
    reader = csv.DictReader(io.StringIO(_data_text(COMPANIES_FILE)), delimiter="\t", quoting=csv.QUOTE_NONE)
    if reader.fieldnames != ["name", "country", "kind"]:
        raise ValueError(f"{COMPANIES_FILE}: header must be name, country, kind (got {reader.fieldnames})")
    companies = []
    for line, row in enumerate(reader, 2):
        name, country, kind = (row.get(column) or "" for column in ("name", "country", "kind"))
        name = name.strip()
        if not name or len(country) != 2 or not country.isupper() or kind not in COMPANY_KINDS:
            raise ValueError(f"{COMPANIES_FILE}:{line}: bad row {row}")
        companies.append(Company(name, country, kind))
    return tuple(companies)


@cache
def load_cultures() -> dict[str, NameCulture]:
    """The naming cultures of data/real_person_names.toml, in CULTURES order."""
    data = tomllib.loads(_data_text(PERSON_NAMES_FILE))
    if sorted(data) != sorted(CULTURES):
        raise ValueError(f"{PERSON_NAMES_FILE}: cultures must be {CULTURES} (got {sorted(data)})")
    cultures = {}
    for name in CULTURES:
        table = data[name]
        if table.get("order") not in ORDERS:
            raise ValueError(f"{PERSON_NAMES_FILE}: [{name}] order must be one of {ORDERS}")
        culture = NameCulture(
            name=name,
            order=str(table["order"]),
            countries=_names(table, name, "countries"),
            given_male=_names(table, name, "given_male"),
            given_female=_names(table, name, "given_female"),
            family=_names(table, name, "family"),
            patronymic_male=_names(table, name, "patronymic_male", required=False),
            patronymic_female=_names(table, name, "patronymic_female", required=False),
        )
        if bool(culture.patronymic_male) != bool(culture.patronymic_female):
            raise ValueError(f"{PERSON_NAMES_FILE}: [{name}] needs both patronymic lists or neither")
        cultures[name] = culture
    return cultures


def _names(table: dict[str, object], culture: str, key: str, required: bool = True) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f"{PERSON_NAMES_FILE}: [{culture}] {key} must be a list of names")
    if required and not values:
        raise ValueError(f"{PERSON_NAMES_FILE}: [{culture}] {key} is missing or empty")
    return tuple(v.strip() for v in values)


# ---------------------------------------------------------------- person names


def feminine_russian(family: str) -> str:
    """A Russian family name's feminine form: Ivanov -> Ivanova, Ilyin -> Ilyina, Kovalevsky -> Kovalevskaya."""
    if family.endswith(("ov", "ev", "in", "yn")):
        return family + "a"
    if family.endswith(("sky", "skiy")):
        return family[: family.rindex("sk")] + "skaya"
    if family.endswith("oy"):
        return family[:-2] + "aya"  # Tolstoy -> Tolstaya
    return family


def person_name(culture: NameCulture, rng: random.Random) -> tuple[str, str]:
    """One full name of the culture and what it is made of (the case's note)."""
    female = rng.random() < 0.5
    given = rng.choice(culture.given_female if female else culture.given_male)
    family = rng.choice(culture.family)
    style = rng.random()
    if culture.name == "russian":
        if female:
            family = feminine_russian(family)
        if culture.patronymic_male and style < PATRONYMIC_SHARE:
            patronymic = rng.choice(culture.patronymic_female if female else culture.patronymic_male)
            return f"{given} {patronymic} {family}", "given + patronymic + family"
    elif culture.name == "arabic" and style < FATHER_NAME_SHARE:
        father = rng.choice([name for name in culture.given_male if name != given])
        return f"{given} {father} {family}", "given + father's given + family"
    elif culture.name == "hispanic" and style < TWO_SURNAMES_SHARE:
        maternal = rng.choice([name for name in culture.family if name != family])
        return f"{given} {family} {maternal}", "given + two surnames"
    if culture.order == "family_given":
        return f"{family} {given}", "family + given"
    return f"{given} {family}", "given + family"


# ---------------------------------------------------------------- cases


def realworld_cases(listed: ListedNames, seed: int = REALWORLD_SEED) -> tuple[list[Case], dict[str, int]]:
    """The real-world negatives, and per category how many names were dropped because they are listed.

    Cases come in CATEGORIES order with ids `<category>-0001`... Every category
    appears in the dropped counts (0 when nothing was dropped).
    """
    cases: list[Case] = []
    dropped = {category: 0 for category in CATEGORIES}
    numbers = {category: 0 for category in CATEGORIES}

    def add(category: str, name: str, party_type: str, country: str, note: str) -> None:
        numbers[category] += 1
        query = Query(name, party_type, country)
        cases.append(Case(f"{category}-{numbers[category]:04d}", category, NEGATIVE, query, note=note))

    companies = load_companies()
    for category in ("real_brand", "real_company"):
        for company in companies:
            if company.category != category:
                continue
            # Only a company that carries a listed name as written ("Metro AG", a listed "METRO")
            # is dropped: no matcher can tell them apart by name. The wider rule of is_listed
            # ("holds a listed name whole") would drop "Mitsubishi Chemical Group Corporation"
            # for a listed "CHEMICAL GROUP": that alert is what this set measures.
            if listed.is_listed_as_written(company.name):
                dropped[category] += 1
                continue
            add(category, company.name, "organization", company.country, f"real company, {company.kind}")

    for culture in load_cultures().values():
        category = culture.category
        rng = random.Random(f"{seed}/{category}")
        seen: set[str] = set()
        for _ in range(PERSONS_PER_CULTURE * MAX_DRAWS_PER_NAME):
            if numbers[category] >= PERSONS_PER_CULTURE:
                break
            name, layout = person_name(culture, rng)
            country = rng.choice(culture.countries)
            key = name_key(name)
            if key in seen:  # drawn before (kept or dropped): neither a new case nor a new drop
                continue
            seen.add(key)
            if listed.is_listed(name):
                dropped[category] += 1
                continue
            add(category, name, "individual", country, f"common name, {culture.name}: {layout}")
        if numbers[category] < PERSONS_PER_CULTURE:
            raise ValueError(
                f"{category}: only {numbers[category]} of {PERSONS_PER_CULTURE} distinct unlisted names "
                f"({dropped[category]} listed); add names to {PERSON_NAMES_FILE}"
            )
    return cases, dropped
