"""The held-out evaluation set (service/evaluation/heldout.py) on a handful of hand-made entries.

No list files needed: the entries below exercise every category a small list
can (hard_common_parts needs words shared by 30 listed persons, so only the real
lists produce it).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.engine.state import LoadedList
from service.evaluation import heldout
from service.evaluation.dataset import HARD_NEGATIVE, POSITIVE, Case, Dataset
from service.evaluation.heldout_common import plain
from service.model import Address, AliasStrength, EntityType, Entry, Name, NameKind
from service.store.snapshots import VersionMeta

REPO_ROOT = Path(__file__).resolve().parent.parent
HELDOUT_MODULES = sorted((REPO_ROOT / "service" / "evaluation").glob("heldout*.py"))
NOT_FROM_FIXTURE = {"hard_common_parts"}
SCRIPTS = {
    "script_hangul": r"[\uac00-\ud7a3 ]+",
    "script_chinese": r"[\u4e00-\u9fff ]+",
    "script_cyrillic": r"[\u0400-\u04ff ]+",
    "script_cyrillic_korean": r"[\u0400-\u04ff ]+",
}


def _person(list_id: str, entry_id: str, *names: str, country: str = "", weak: tuple[str, ...] = ()) -> Entry:
    return Entry(
        list_id, entry_id, EntityType.INDIVIDUAL,
        tuple(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names))
        + tuple(Name(n, NameKind.AKA, AliasStrength.WEAK) for n in weak),
        nationalities=(country,) if country else (),
        addresses=(Address(country=country),) if country else (),
    )  # fmt: skip


def _organisation(list_id: str, entry_id: str, *names: str, country: str = "") -> Entry:
    return Entry(
        list_id, entry_id, EntityType.ORGANIZATION,
        tuple(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names)),
        addresses=(Address(country=country),) if country else (),
    )  # fmt: skip


ENTRIES: dict[str, tuple[Entry, ...]] = {
    "ofac_sdn": (
        _person("ofac_sdn", "1", "KIM, Jong Un", "KIM, Chong-un", country="KP"),
        _person("ofac_sdn", "2", "LI, Fangwei", "LI, Karl", country="CN"),
        _person("ofac_sdn", "3", "GHAFOORI, Hamed Rasoul", country="IR"),
        _person("ofac_sdn", "4", "AL-MASRI, Hamza Mustafa", weak=("ABU HAMZA",), country="EG"),
        _person("ofac_sdn", "5", "BIN LADIN, Usama bin Muhammad bin Awad", "BIN LADEN, Osama", country="SA"),
        _person("ofac_sdn", "6", "IVANOV, Sergei Petrovich", country="RU"),
        _person("ofac_sdn", "7", "KASKAR, Dawood Ibrahim", country="PK"),
        _person("ofac_sdn", "8", "SHAIKH, Dawood Hasan", country="PK"),
        _organisation("ofac_sdn", "9", "OOO Tekhnologii Budushchego", country="RU"),
        _organisation("ofac_sdn", "10", "SONAR"),
        _organisation("ofac_sdn", "11", "DAWOOD IBRAHIM ORGANIZATION", country="PK"),
    ),
    "bis_entity": (
        _organisation("bis_entity", "20", "Acme Rocket Propulsion Academy (ARPA)", country="US"),
        _organisation("bis_entity", "21", "Northern Lights Trading Company Limited", country="HK"),
        _organisation("bis_entity", "22", "Shenzhen Bluewave Optronics Co., Ltd.", country="CN"),
    ),
}


def _loaded(entries: dict[str, tuple[Entry, ...]]) -> dict[str, LoadedList]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        list_id: LoadedList(
            VersionMeta(list_id, f"v-{list_id}", "test", len(list_entries), "fixture", (), now, now),
            list_entries,
            now,
            timedelta(days=1),
        )
        for list_id, list_entries in entries.items()
    }


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return heldout.generate(_loaded(ENTRIES), per_category=6)


def _by_category(data: Dataset, category: str) -> list[Case]:
    return [case for case in data.cases if case.category == category]


def _text(data: Dataset) -> str:
    return "\n".join(json.dumps(case.to_json(), ensure_ascii=False) for case in data.cases) + json.dumps(
        data.manifest, sort_keys=True
    )


# ---------------------------------------------------------------- coverage


def test_every_category_the_fixture_supports_is_produced(dataset: Dataset) -> None:
    produced = {case.category for case in dataset.cases}
    missing = set(heldout.CATEGORIES) - produced - NOT_FROM_FIXTURE
    assert not missing, f"categories without a case: {sorted(missing)}"
    counts = dataset.manifest["categories"]
    assert isinstance(counts, dict) and set(counts) == set(heldout.CATEGORIES)
    assert dataset.manifest["seed"] == heldout.HELDOUT_SEED
    assert dataset.manifest["lists"] == {
        "ofac_sdn": {"version": "v-ofac_sdn", "entries": 11},
        "bis_entity": {"version": "v-bis_entity", "entries": 3},
    }


def test_cases_are_numbered_per_category(dataset: Dataset) -> None:
    for category in heldout.CATEGORIES:
        ids = [case.id for case in _by_category(dataset, category)]
        assert ids == [f"{category}-{n:04d}" for n in range(1, len(ids) + 1)]


# ---------------------------------------------------------------- what the cases say


def test_positives_differ_from_their_source_and_expect_it(dataset: Dataset) -> None:
    positives = [case for case in dataset.cases if case.kind == POSITIVE]
    assert positives
    for case in positives:
        assert case.source is not None and case.expected[0] == case.source[:2], case
        assert case.note
        if case.category in ("evasion_invisible", "evasion_homoglyph"):
            assert case.query.name != case.source[2]
            visible = "".join(c for c in case.query.name if c.isprintable() and not 0x200B <= ord(c) <= 0x206F)
            assert len(visible.replace("\u00ad", "").replace("\ufeff", "")) == len(case.source[2]), case
        elif case.category == "alias_variant":
            assert case.query.name != case.source[2]
        else:
            assert plain(case.query.name) != plain(case.source[2]), case
        assert case.query.type in ("individual", "organization", "unknown")


def test_hard_negatives_expect_nothing(dataset: Dataset) -> None:
    hard = [case for case in dataset.cases if case.kind == HARD_NEGATIVE]
    assert {case.category for case in hard} >= {"hard_one_word_near", "hard_kunya", "hard_shared_word"}
    assert all(case.expected == () and case.source is not None for case in hard)
    near = _by_category(dataset, "hard_one_word_near")
    assert all(case.source is not None and case.source[2] == "SONAR" for case in near)
    kunya = _by_category(dataset, "hard_kunya")
    assert all(case.query.name.startswith("Hamza ") for case in kunya)


@pytest.mark.parametrize("category", sorted(SCRIPTS))
def test_native_script_queries_hold_only_that_script(dataset: Dataset, category: str) -> None:
    cases = _by_category(dataset, category)
    assert cases
    for case in cases:
        assert re.fullmatch(SCRIPTS[category], case.query.name), case.query.name


def test_known_native_forms(dataset: Dataset) -> None:
    queries = {(case.category, case.query.name.replace(" ", "")) for case in dataset.cases}
    assert ("script_hangul", "김정은") in queries
    assert ("script_chinese", "李方伟") in queries
    assert ("script_cyrillic_korean", "КимЧенЫн") in queries
    cyrillic = {case.query.name.lower() for case in _by_category(dataset, "script_cyrillic")}
    assert "иванов сергей петрович" in cyrillic or "ооо технологии будущего" in cyrillic


def test_class_two_and_five_cases(dataset: Dataset) -> None:
    acronym = _by_category(dataset, "partial_no_acronym")
    assert [case.query.name for case in acronym] == ["Acme Rocket Propulsion Academy"]
    surnames = {case.query.name.lower() for case in _by_category(dataset, "partial_rare_surname")}
    assert "ghafoori" in surnames
    network = _by_category(dataset, "partial_family_network")
    assert network and all(case.query.name.lower().startswith("ibrahim ") for case in network)
    expanded = {case.query.name for case in _by_category(dataset, "legal_form_expand")}
    assert any(name.startswith("Obshchestvo s Ogranichenn") for name in expanded)
    abbreviated = {case.query.name for case in _by_category(dataset, "legal_form_abbreviate")}
    assert any(name.startswith("Northern Lights Trading Co") for name in abbreviated)


# ---------------------------------------------------------------- determinism and independence


def test_same_seed_same_cases_other_seed_other_cases() -> None:
    lists = _loaded(ENTRIES)
    first = heldout.generate(lists, per_category=6)
    again = heldout.generate(lists, per_category=6)
    other = heldout.generate(lists, seed=heldout.HELDOUT_SEED + 1, per_category=6)
    assert _text(first) == _text(again)
    assert _text(first) != _text(other)


def test_heldout_modules_do_not_borrow_the_matcher_or_the_first_generator() -> None:
    assert len(HELDOUT_MODULES) >= 2
    forbidden = re.compile(
        r"service\.normalize|service\.match|evaluation\.(variants|pools|tables)\b"
        r"|from service\.evaluation import .*\b(variants|pools|tables)\b"
    )
    for module in HELDOUT_MODULES:
        imports = [
            line for line in module.read_text(encoding="utf-8").splitlines()
            if line.lstrip().startswith(("import ", "from "))
        ]  # fmt: skip
        offending = [line for line in imports if forbidden.search(line)]
        assert not offending, f"{module.name}: {offending}"
