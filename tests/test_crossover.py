"""The crossover: one party on several lists, and human-rights / forced-labour tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.api.gen import screening_pb2 as pb
from service.api.screening import screen_request
from service.catalog.tags import Tagger, TagRules, load_tagger
from service.config_files import ConfigFileError
from service.decide.policy import load_policy
from service.engine.state import LoadedList, ScreeningState, build_exact_matcher
from service.index.evidence import entry_evidence
from service.index.linking import link_entries
from service.model import Address, EntityType, Entry, Name
from service.model.entry import AliasStrength, NameKind
from service.store.snapshots import VersionMeta

NOW = datetime.now(UTC)


def entry(
    list_id: str,
    entry_id: str,
    *names: str,
    country: str = "CN",
    kind: EntityType = EntityType.ORGANIZATION,
    **fields: object,
) -> Entry:
    return Entry(
        list_id=list_id,
        entry_id=entry_id,
        entity_type=kind,
        names=tuple(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names)),
        addresses=(Address(country=country),) if country else (),
        **fields,  # type: ignore[arg-type]
    )


HIKVISION_SDN = entry(
    "ofac_sdn", "40001", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", programs=("CMIC-EO13959",)
)
HIKVISION_EL = entry("bis_entity", "el-1", "Hangzhou Hikvision Digital Technology Co., Ltd.", kind=EntityType.UNKNOWN,
                     federal_register_notice="84  FR  54002")  # fmt: skip
HIKVISION_UFLPA = entry("dhs_uflpa", "uflpa-1", "Hikvision Limited", "Hangzhou Hikvision Digital Technology Co Ltd")
OTHER_COUNTRY = entry("bis_entity", "el-2", "Hangzhou Hikvision Digital Technology Co Ltd", country="US")
GENERIC = entry("ofac_sdn", "40002", "ALI", kind=EntityType.INDIVIDUAL)
GENERIC_EL = entry("bis_entity", "el-3", "Ali", kind=EntityType.INDIVIDUAL)


def links_of(entries: list[Entry]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    found = link_entries(entries, [entry_evidence(e) for e in entries])
    return {key: {(l.list_id, l.entry_id) for l in links} for key, links in found.items()}


def test_same_party_on_three_lists_forms_one_group() -> None:
    links = links_of([HIKVISION_SDN, HIKVISION_EL, HIKVISION_UFLPA, OTHER_COUNTRY, GENERIC, GENERIC_EL])
    assert links[("ofac_sdn", "40001")] == {("bis_entity", "el-1"), ("dhs_uflpa", "uflpa-1")}
    assert links[("dhs_uflpa", "uflpa-1")] == {("ofac_sdn", "40001"), ("bis_entity", "el-1")}
    # A different country contradicts the link; a one-token name is too weak to link.
    assert ("bis_entity", "el-2") not in links
    assert ("ofac_sdn", "40002") not in links


def test_no_link_within_one_list_or_across_types() -> None:
    same_list = entry("ofac_sdn", "40003", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD")
    person = entry("bis_entity", "el-4", "Hangzhou Hikvision Digital Technology Co Ltd", kind=EntityType.INDIVIDUAL)
    assert links_of([HIKVISION_SDN, same_list, person]) == {}


def test_weak_aliases_do_not_link() -> None:
    weak = Entry(
        list_id="bis_entity", entry_id="el-5", entity_type=EntityType.UNKNOWN,
        names=(Name("Someone Else Trading"), Name("Hangzhou Hikvision Digital Technology Co Ltd", NameKind.AKA, AliasStrength.WEAK)),
    )  # fmt: skip
    assert links_of([HIKVISION_SDN, weak]) == {}


def test_tags_by_program_citation_and_list() -> None:
    tagger = load_tagger()
    glomag = entry("ofac_sdn", "1", "Some Person", kind=EntityType.INDIVIDUAL, programs=("GLOMAG",))
    assert tagger.tags_for(glomag) == ("human_rights",)
    assert tagger.tags_for(HIKVISION_EL) == ("human_rights",)  # 84 FR 54002, spacing ignored
    assert tagger.tags_for(HIKVISION_UFLPA) == ("forced_labor",)
    assert tagger.tags_for(HIKVISION_SDN) == ()
    [tagged] = tagger.apply([glomag])
    assert tagged.tags == ("human_rights",)


def test_unknown_tag_in_the_rules_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"programs\.GLOMAG: unknown tag\(s\) humanrights"):
        Tagger(TagRules(version="x", programs={"GLOMAG": ["humanrights"]}), tmp_path / "tags.toml")


def test_a_match_says_where_else_the_party_is_listed_and_its_tags() -> None:
    def loaded(list_id: str, entries: list[Entry]) -> LoadedList:
        meta = VersionMeta(list_id, "v-" + list_id, "fixture", len(entries), "test", (), NOW, NOW)
        return LoadedList(meta, tuple(load_tagger().apply(entries)), NOW, timedelta(days=7))

    lists = {
        "ofac_sdn": loaded("ofac_sdn", [HIKVISION_SDN]),
        "bis_entity": loaded("bis_entity", [HIKVISION_EL]),
        "dhs_uflpa": loaded("dhs_uflpa", [HIKVISION_UFLPA]),
    }
    state = ScreeningState.build(lists, load_policy(), build_exact_matcher)
    response = screen_request(pb.ScreenRequest(party=pb.Party(name="Hikvision Limited")), state, set(lists))
    [match] = response.matches
    assert (match.list_id, list(match.entry.tags)) == ("dhs_uflpa", ["forced_labor"])
    assert {(l.list_id, l.entry_id) for l in match.also_listed_on} == {("ofac_sdn", "40001"), ("bis_entity", "el-1")}
    assert all(l.evidence for l in match.also_listed_on)
