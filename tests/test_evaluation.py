"""The evaluation harness: a deterministic labelled dataset, variants that change what they claim to, and
figures computed through the real request path.

Tests on the real lists use a small dataset (a dozen cases per category) so the
module stays well under 20 seconds, most of it parsing the mirror and building
the default matcher's index once.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA, Levenshtein

from service.cli import build_parser
from service.engine.state import LoadedList
from service.evaluation import dataset as ds
from service.evaluation import metrics, tables
from service.evaluation import run as eval_module
from service.evaluation.defaults import Sizes
from service.evaluation.lists import build_state, load_mirror
from service.evaluation.variants import (
    Party,
    core_name,
    find_legal_form,
    legal_form,
    other_script,
    reordered,
    to_cyrillic,
    transliteration,
    typo1,
    typo2,
    typo_every_token,
)
from service.model import AliasStrength, NameKind
from service.normalize.names import name_tokens, order_free_key

REPO_ROOT = Path(__file__).resolve().parent.parent
SMALL = Sizes(per_category=12, negatives=150, hard_per_category=12)
SEED = 7
PERSON = Party(person=True, organisation=False, countries=("RU",), gender="Male")
COMPANY = Party(person=False, organisation=True, countries=("RU",))


@pytest.fixture(scope="module")
def mirror_lists(shared_data: Path) -> dict[str, LoadedList]:
    return load_mirror(shared_data / "mirror-2023-12")


@pytest.fixture(scope="module")
def small(mirror_lists: dict[str, LoadedList]) -> ds.Dataset:
    return ds.generate(mirror_lists, SEED, SMALL)


def _by_category(dataset: ds.Dataset, category: str) -> list[ds.Case]:
    return [case for case in dataset.cases if case.category == category]


def _source_tokens(case: ds.Case) -> tuple[str, ...]:
    assert case.source is not None
    return name_tokens(case.source[2])


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    remaining = iter(long)
    return all(token in remaining for token in short)


# ---------------------------------------------------------------- variants, no data needed


def test_typo_edits_have_the_intended_distance() -> None:
    name = "HASSANZADEH, Mohammadreza Abdolrahim"
    modes = set()
    for seed in range(40):
        one = typo1(name, PERSON, random.Random(seed))
        assert one is not None
        changed = [(a, b) for a, b in zip(name_tokens(name), name_tokens(one.name), strict=True) if a != b]
        assert len(changed) == 1 and OSA.distance(*changed[0]) == 1
        if "transposition" not in one.note:
            assert Levenshtein.distance(*changed[0]) == 1
        two = typo2(name, PERSON, random.Random(seed))
        assert two is not None
        pairs = [(a, b) for a, b in zip(name_tokens(name), name_tokens(two.name), strict=True) if a != b]
        assert sum(OSA.distance(a, b) for a, b in pairs) == 2
        modes.add(len(pairs))
        every = typo_every_token(name, PERSON, random.Random(seed))
        assert every is not None
        assert all(OSA.distance(a, b) == 1 for a, b in zip(name_tokens(name), name_tokens(every.name), strict=True))
    assert modes == {1, 2}  # both edits in one long token, and one edit in each of two tokens


def test_reorder_transliteration_scripts_and_legal_forms() -> None:
    rng = random.Random(1)
    assert reordered("MADURO MOROS, Nicolas", PERSON, rng).name == "Nicolas MADURO MOROS"  # type: ignore[union-attr]
    assert reordered("Nicolas Maduro", PERSON, rng).name == "Maduro, Nicolas"  # type: ignore[union-attr]
    respelt = transliteration("ABD AL-RAHMAN, Sergey Mohammed", PERSON, rng)
    assert respelt is not None and "ABD AL" not in respelt.name and "Sergey" not in respelt.name
    assert to_cyrillic("BLOTSKY") == "БЛОТСКИЙ" and to_cyrillic("Nikolayevich") == "Николаевич"
    assert other_script("KUZNETSOV, Ivan", PERSON, rng).name == "КУЗНЕЦОВ, Иван"  # type: ignore[union-attr]
    assert other_script("Ali Hassan", PERSON, rng).name == "علي حسن"  # type: ignore[union-attr]
    assert other_script("FREGAT, OOO", COMPANY, rng).name == "ООО «ФРЕГАТ»"  # type: ignore[union-attr]
    assert other_script("GAZ-OIL, OOO", COMPANY, rng) is None  # an English word: nobody writes it letter by letter
    found = find_legal_form("Hangzhou Hikvision Digital Technology Co., Ltd.")
    assert found is not None and found.family == "co_ltd"
    assert core_name("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU 'GAZ-OIL'").strip("'") == "GAZ-OIL"
    # Every form the generator writes is one it recognises, so a swap or an addition can be undone.
    written = {*tables.LEGAL_FORM_DEFAULT, *(f for forms in tables.LEGAL_FORM_WRITTEN.values() for f in forms),
               *(f for forms in tables.LEGAL_FORM_BY_COUNTRY.values() for f in forms)}  # fmt: skip
    assert not [form for form in sorted(written) if core_name(f"Acme Bolts {form}") != "Acme Bolts"]
    for seed in range(10):
        changed = legal_form("GAZ-OIL, OOO", COMPANY, random.Random(seed))
        assert changed is not None and name_tokens(core_name(changed.name)) == ("gaz", "oil")


# ---------------------------------------------------------------- the generated dataset


def test_same_seed_same_file_in_any_process(
    tmp_path: Path, shared_data: Path, mirror_lists: dict[str, LoadedList]
) -> None:
    # Without the SDN list, to keep the test quick; determinism does not depend on which lists.
    lists = {list_id: loaded for list_id, loaded in mirror_lists.items() if list_id != "ofac_sdn"}
    first, _ = ds.write_dataset(ds.generate(lists, SEED, SMALL), tmp_path / "a")
    again, _ = ds.write_dataset(ds.generate(lists, SEED, SMALL), tmp_path / "b")
    assert first.read_bytes() == again.read_bytes()
    other, _ = ds.write_dataset(ds.generate(lists, SEED + 1, SMALL), tmp_path / "c")
    assert other.read_bytes() != first.read_bytes()
    # Another interpreter with another string-hash seed: set iteration order must not leak into the file.
    code = (
        "from pathlib import Path\n"
        "import msgspec\n"
        "from service.catalog import load_catalog\n"
        "from service.evaluation import dataset as ds\n"
        "from service.evaluation.defaults import Sizes\n"
        "from service.evaluation.lists import load_mirror\n"
        "catalog = load_catalog()\n"
        "catalog = msgspec.structs.replace(catalog, lists={k: v for k, v in catalog.lists.items() if k != 'ofac_sdn'})\n"
        f"lists = load_mirror(Path({str(shared_data / 'mirror-2023-12')!r}), catalog)\n"
        f"ds.write_dataset(ds.generate(lists, {SEED}, Sizes({SMALL.per_category}, {SMALL.negatives}, "
        f"{SMALL.hard_per_category})), Path({str(tmp_path / 'd')!r}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    assert (tmp_path / "d" / ds.CASES_FILE).read_bytes() == first.read_bytes()


def test_cases_read_back_as_written(tmp_path: Path, small: ds.Dataset) -> None:
    ds.write_dataset(small, tmp_path)
    assert ds.read_cases(tmp_path) == small.cases
    assert ds.read_manifest(tmp_path) == small.manifest


def test_every_category_has_cases(small: ds.Dataset) -> None:
    counts = small.manifest["categories"]
    assert isinstance(counts, dict)
    assert list(counts) == [*ds.POSITIVE_CATEGORIES, *ds.NEGATIVE_CATEGORIES, *ds.HARD_CATEGORIES]
    assert all(counts[c] == SMALL.per_category for c in ds.POSITIVE_CATEGORIES)
    assert all(counts[c] > 0 for c in ds.NEGATIVE_CATEGORIES)
    assert sum(1 for c in small.cases if c.kind == ds.NEGATIVE) == SMALL.negatives
    assert all(counts[c] == SMALL.hard_per_category for c in ds.HARD_CATEGORIES)
    assert len({c.id for c in small.cases}) == len(small.cases)
    positives_by_list = small.manifest["positives_by_list"]
    assert isinstance(positives_by_list, dict) and len(positives_by_list) >= 7  # spread over the lists


def test_negatives_never_equal_a_listed_name(mirror_lists: dict[str, LoadedList], small: ds.Dataset) -> None:
    listed = {
        order_free_key(name_tokens(name.value))
        for loaded in mirror_lists.values() for entry in loaded.entries for name in entry.names
    }  # fmt: skip
    negatives = [c for c in small.cases if c.kind != ds.POSITIVE]
    assert negatives and all(not c.expected for c in negatives)
    assert not [c.query.name for c in negatives if order_free_key(name_tokens(c.query.name)) in listed]
    assert isinstance(small.manifest["dropped_as_listed"], dict)


def test_variants_differ_from_their_source_as_intended(mirror_lists: dict[str, LoadedList], small: ds.Dataset) -> None:
    entries = {(e.list_id, e.entry_id): e for loaded in mirror_lists.values() for e in loaded.entries}
    for case in _by_category(small, "exact"):
        assert case.source is not None and case.query.name == case.source[2]
    for case in _by_category(small, "alias"):
        entry = entries[case.expected[0]]
        alias = next(n for n in entry.names if n.value == case.query.name)
        assert alias.kind is not NameKind.PRIMARY and alias.strength is AliasStrength.STRONG
    for case in _by_category(small, "case_punct"):
        assert name_tokens(case.query.name) == _source_tokens(case)
    for case in _by_category(small, "reordered"):
        source, query = _source_tokens(case), name_tokens(case.query.name)
        assert query != source and sorted(query) == sorted(source)
    for case in _by_category(small, "typo1"):
        changed = [(a, b) for a, b in zip(_source_tokens(case), name_tokens(case.query.name), strict=True) if a != b]
        assert len(changed) == 1 and len(changed[0][0]) >= 4 and OSA.distance(*changed[0]) == 1, case
        if "transposition" not in case.note:
            assert Levenshtein.distance(*changed[0]) == 1, case
    for case in _by_category(small, "typo2"):
        pairs = [(a, b) for a, b in zip(_source_tokens(case), name_tokens(case.query.name), strict=True) if a != b]
        assert len(pairs) in (1, 2) and sum(OSA.distance(a, b) for a, b in pairs) == 2, case
    for case in _by_category(small, "typo_every_token"):
        for a, b in zip(_source_tokens(case), name_tokens(case.query.name), strict=True):
            assert OSA.distance(a, b) == (1 if len(a) >= 4 else 0), case
    for case in _by_category(small, "middle_name_dropped"):
        source, query = _source_tokens(case), name_tokens(case.query.name)
        assert len(query) == len(source) - 1 and _is_subsequence(query, source), case
    for case in _by_category(small, "glued_split"):
        source, query = _source_tokens(case), name_tokens(case.query.name)
        assert query != source and "".join(query) == "".join(source), case
    for case in _by_category(small, "extra_words"):
        source, query = _source_tokens(case), name_tokens(case.query.name)
        assert len(query) == len(source) + 1 and _is_subsequence(source, query), case
    for case in _by_category(small, "legal_form"):
        assert case.source is not None
        assert name_tokens(case.query.name) != _source_tokens(case)
        assert name_tokens(core_name(case.query.name)) == name_tokens(core_name(case.source[2])), case
    spellings = {s: group for group in tables.SPELLING_GROUPS for s in group}
    for case in _by_category(small, "transliteration"):
        source, query = _source_tokens(case), name_tokens(case.query.name)
        assert query != source and case.query.name.isascii()
        if len(query) == len(source):  # (merging "Abd al" into "Abdul" changes the count)
            for a, b in zip(source, query, strict=True):
                assert a == b or b in spellings.get(a, ()) or OSA.distance(a, b) <= 2, case
    for case in _by_category(small, "other_script"):
        assert not any(ch.isascii() and ch.isalpha() for ch in case.query.name), case


# ---------------------------------------------------------------- evaluation


def test_evaluation_figures_on_a_small_dataset(mirror_lists: dict[str, LoadedList], small: ds.Dataset) -> None:
    built = build_state(mirror_lists)  # the engine's default factory, as the service builds it
    outcomes = metrics.screen_all(small.cases, built.state, set(mirror_lists))
    rows = {(row.kind, row.category): row for row in metrics.table(outcomes)}
    assert {category for _, category in rows} == {
        *ds.POSITIVE_CATEGORIES,
        *ds.NEGATIVE_CATEGORIES,
        *ds.HARD_CATEGORIES,
        "ALL",
    }
    assert all(row.errors == 0 for row in rows.values())
    exact = rows[(ds.POSITIVE, "exact")]
    assert exact.cases == SMALL.per_category and exact.recall == 1.0
    assert rows[(ds.POSITIVE, "ALL")].fpr is None and rows[(ds.NEGATIVE, "ALL")].recall is None
    assert 0.0 <= rows[(ds.HARD_NEGATIVE, "ALL")].fpr <= 1.0  # type: ignore[operator]
    points = metrics.sweep(outcomes)
    assert [p.threshold for p in points] == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    for column in ("recall", "fpr_negative", "fpr_hard_negative"):
        values = [getattr(p, column) for p in points]
        assert values == sorted(values, reverse=True)  # a higher threshold never finds more
    timing = metrics.latency(outcomes)
    assert timing["calls"] == len(small.cases) and 0 < timing["p50_ms"] <= timing["p99_ms"]


def test_eval_subcommand_is_wired() -> None:
    args = build_parser().parse_args(["eval", "--generate", "--out", "somewhere", "--per-category", "5"])
    assert args.func is eval_module.main and args.generate and args.data == "somewhere" and args.per_category == 5
    args = build_parser().parse_args(["eval", "--data", "elsewhere", "--json", "figures.json", "--matcher", "exact"])
    assert not args.generate and args.data == "elsewhere" and args.json_path == "figures.json"
    assert args.sets == "generated,heldout,realworld" and args.peer == "auto"  # every set, the peer when installed
    args = build_parser().parse_args(["eval", "--sets", "heldout", "--peer", "none"])
    assert eval_module._chosen_sets(args.sets) == ("heldout",) and args.peer == "none"
    assert eval_module._chosen_sets("heldout,bogus") is None  # refused by main with the names it takes


def test_a_name_holding_a_listed_name_whole_is_not_a_negative(mirror_lists: dict[str, LoadedList]) -> None:
    listed = ds.ListedNames({list_id: loaded.entries for list_id, loaded in mirror_lists.items()})
    # Listed as "JABER, Ayman" (SDN 15606): screening must flag the longer name.
    assert listed.is_listed("JABER, Ayman Hussein")
    # The ISN listing's successor clause is not part of the name.
    assert listed.is_listed("Sinobright Import and Export Company; and any larchmont, sub-unit, or subsidiary thereof")
    assert not listed.is_listed("Ayman Hussein Qudsi")
    assert not listed.is_listed("Import and Export Company")  # generic words alone are not a listed name
