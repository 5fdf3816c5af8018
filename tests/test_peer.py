"""The optional peer comparison (`screening eval --peer nomenklatura`): skipped unless nomenklatura is installed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.cli import build_parser
from service.decide.policy import load_policy
from service.engine.state import LoadedList, ScreeningState, build_exact_matcher
from service.evaluation import dataset as ds
from service.evaluation import run as eval_module
from service.model import AliasStrength, NameKind
from service.model.entry import Address, EntityType, Entry, Name
from service.store.snapshots import VersionMeta

NOW = datetime(2024, 1, 2, tzinfo=UTC)
ENTRIES = (
    Entry("ofac_sdn", "100", EntityType.INDIVIDUAL, (Name("PETROV, Ivan Sergeyevich"),), dates_of_birth=("1970-05-01",),
          addresses=(Address(country="RU"),)),
    Entry("ofac_sdn", "200", EntityType.ORGANIZATION,
          (Name("ACME ROCKET WORKS LLC"), Name("ACME RW", NameKind.AKA, AliasStrength.WEAK)), addresses=(Address(country="IR"),)),
    Entry("ofac_sdn", "300", EntityType.INDIVIDUAL, (Name("GARCIA LOPEZ, Maria Elena"),)),
)  # fmt: skip


def _lists() -> dict[str, LoadedList]:
    meta = VersionMeta("ofac_sdn", "v1", "fixture", len(ENTRIES), "test", (), NOW, NOW)
    return {"ofac_sdn": LoadedList(meta, ENTRIES, NOW, timedelta(days=7))}


def _case(
    case_id: str, name: str, kind: str, expected: tuple[tuple[str, str], ...] = (), kind_type: str = "individual"
) -> ds.Case:
    category = "exact" if kind == ds.POSITIVE else "person_western"
    return ds.Case(case_id, category, kind, ds.Query(name, kind_type, ""), expected)


def test_peer_option_is_wired() -> None:
    args = build_parser().parse_args(["eval", "--peer", "nomenklatura", "--peer-sample", "50"])
    assert args.func is eval_module.main and args.peer == "nomenklatura" and args.peer_sample == 50
    assert build_parser().parse_args(["eval"]).peer == "auto"  # the peer side by side whenever it is installed


def test_peer_flags_an_exact_listed_name_on_a_tiny_state() -> None:
    pytest.importorskip("nomenklatura")
    from service.evaluation import peer

    lists = _lists()
    exact = _case("exact-1", "PETROV, Ivan Sergeyevich", ds.POSITIVE, (("ofac_sdn", "100"),))
    company = _case("exact-2", "Acme Rocket Works LLC", ds.POSITIVE, (("ofac_sdn", "200"),), "organization")
    negative = _case("neg-1", "Kenji Watanabe", ds.NEGATIVE)
    scorer = peer.Peer(lists)
    outcome = scorer.screen(exact)
    assert outcome.found and outcome.flagged and outcome.scored[0][:2] == ("ofac_sdn", "100")
    assert scorer.screen(company).found
    assert not scorer.screen(negative).flagged

    state = ScreeningState.build(lists, load_policy(), build_exact_matcher)
    report = peer.compare([exact, company, negative], lists, state, set(lists), sample=0)
    rows = {(row["kind"], row["category"]): row for row in report["rows"]}
    assert report["sample"] == 3 and rows[(ds.POSITIVE, "exact")]["peer_recall"] == 1.0
    assert rows[(ds.NEGATIVE, "ALL")]["peer_fpr"] == 0.0


def test_stratified_sample_takes_every_category() -> None:
    from service.evaluation.peer import stratified_sample

    cases = [_case(f"p{i}", f"name {i}", ds.POSITIVE) for i in range(10)]
    cases += [_case(f"n{i}", f"other {i}", ds.NEGATIVE) for i in range(3)]
    chosen = stratified_sample(cases, 6)
    assert len(chosen) == 6 and sum(c.kind == ds.NEGATIVE for c in chosen) == 3
    assert stratified_sample(cases, 0) == cases
