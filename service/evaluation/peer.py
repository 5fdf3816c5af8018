"""`screening eval --peer nomenklatura`: the same cases scored by OpenSanctions' nomenklatura, side by side.

The peer is nomenklatura's `logic-v2` algorithm (the default of their yente
service) at yente's threshold 0.7. nomenklatura scores a pair of entities, it has
no index, so each query is first given candidates by a simple pre-filter that owes
nothing to either matcher: rapidfuzz `process.extract` over every listed name
(primary and aliases, normalised with `name_tokens` and joined by spaces), scorer
`fuzz.token_set_ratio`, limit 50, then the first 20 distinct entries. Our matcher
uses its own index and does not need it. The peer flags a case when any candidate
scores >= 0.7; recall counts a case whose expected entry scores >= 0.7. A query of
unknown party type is a LegalEntity, and takes a candidate's own schema where
LegalEntity cannot match it (vessels, aircraft), as our matcher screens it against any type.

nomenklatura is an optional extra (`pip install '.[peer]'`), never a CI dependency.
The peer is slow, so a stratified sample (the same share of every category) is scored;
our `screen_request` is timed on the same cases in the same run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from service.evaluation import metrics
from service.evaluation.dataset import KINDS, POSITIVE, Case
from service.model.entry import AliasStrength, EntityType, Entry, NameKind
from service.normalize.names import name_tokens

if TYPE_CHECKING:
    from service.engine.state import LoadedList, ScreeningState

PEERS = ("nomenklatura",)
THRESHOLD = 0.7
PREFILTER_LIMIT = 50
CANDIDATES = 20
DEFAULT_SAMPLE = 1000
INSTALL_HINT = "the peer comparison needs nomenklatura: pip install '.[peer]' (or pip install 'nomenklatura>=4.17')"
PREFILTER_NOTE = (
    f"pre-filter (peer only): rapidfuzz process.extract, fuzz.token_set_ratio over every listed name "
    f"(primary + aliases, name_tokens joined by spaces), limit {PREFILTER_LIMIT}, first {CANDIDATES} distinct entries"
)

_ENTRY_SCHEMA = {
    EntityType.INDIVIDUAL: "Person", EntityType.ORGANIZATION: "Company", EntityType.VESSEL: "Vessel",
    EntityType.AIRCRAFT: "Airplane", EntityType.UNKNOWN: "LegalEntity",
}  # fmt: skip
_QUERY_SCHEMA = {"individual": "Person", "organization": "Organization"}


def available() -> bool:
    try:
        import followthemoney  # noqa: F401
        import nomenklatura.matching  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- entities


def entry_entity(entry: Entry) -> Any:
    """The follow-the-money entity for a listed entry: names, type, countries, dates of birth."""
    from followthemoney import model

    entity = model.make_entity(_ENTRY_SCHEMA.get(entry.entity_type, "LegalEntity"))
    entity.id = f"{entry.list_id}-{entry.entry_id}"
    for index, name in enumerate(entry.names):
        prop = "name" if index == 0 else "weakAlias" if name.strength == AliasStrength.WEAK else "alias"
        if name.kind == NameKind.FKA and index:
            prop = "previousName"
        entity.add(prop, name.value, quiet=True)
    for country in entry.countries:
        entity.add("country", country.lower(), quiet=True)
    if entity.schema.name == "Person":
        for date in entry.dates_of_birth:
            entity.add("birthDate", date, quiet=True)
    return entity


def query_entity(case: Case, schema: str | None = None) -> Any:
    """The query as an entity; `schema` overrides the one its party type gives."""
    from followthemoney import model

    entity = model.make_entity(schema or _QUERY_SCHEMA.get(case.query.type, "LegalEntity"))
    entity.id = f"query-{case.id}"
    entity.add("name", case.query.name, quiet=True)
    if case.query.country:
        entity.add("country", case.query.country.lower(), quiet=True)
    return entity


def _key(name: str) -> str:
    return " ".join(name_tokens(name))


# ---------------------------------------------------------------- the peer


class Peer:
    """Pre-filter over every listed name, then logic-v2 on each candidate."""

    def __init__(self, lists: Mapping[str, LoadedList]) -> None:
        from nomenklatura.matching import LogicV2

        self.algorithm = LogicV2
        self.config = LogicV2.default_config()
        self.entries: list[Entry] = []
        self.names: list[str] = []
        self.owner: list[int] = []  # name index -> entry index
        for loaded in lists.values():
            for entry in loaded.entries:
                index = len(self.entries)
                self.entries.append(entry)
                for name in dict.fromkeys(_key(n.value) for n in entry.names):
                    if name:
                        self.names.append(name)
                        self.owner.append(index)
        self._entities: dict[int, Any] = {}
        # The first comparison loads nomenklatura's reference data (seconds): keep it out of the timings.
        warm = self.entries[0] if self.entries else None
        if warm is not None:
            self.algorithm.compare(entry_entity(warm), entry_entity(warm), self.config)

    def candidates(self, name: str) -> list[int]:
        from rapidfuzz import fuzz, process

        hits = process.extract(
            _key(name), self.names, scorer=fuzz.token_set_ratio, processor=None, limit=PREFILTER_LIMIT
        )
        chosen = list(dict.fromkeys(self.owner[index] for _, _, index in hits))
        return chosen[:CANDIDATES]

    def entity(self, index: int) -> Any:
        if index not in self._entities:
            self._entities[index] = entry_entity(self.entries[index])
        return self._entities[index]

    def screen(self, case: Case) -> PeerOutcome:
        started = time.perf_counter()
        candidates = self.candidates(case.query.name)
        prefilter_s = time.perf_counter() - started
        started = time.perf_counter()
        query = query_entity(case)
        scored = []
        for index in candidates:
            candidate = self.entity(index)
            matched = query
            if case.query.type not in _QUERY_SCHEMA and not query.schema.can_match(candidate.schema):
                # An untyped query may be anything, as for our matcher: a vessel or an aircraft too.
                matched = query_entity(case, candidate.schema.name)
            result = self.algorithm.compare(matched, candidate, self.config)
            entry = self.entries[index]
            scored.append((entry.list_id, entry.entry_id, float(result.score)))
        score_s = time.perf_counter() - started
        scored.sort(key=lambda item: -item[2])
        return PeerOutcome(case, tuple(scored), prefilter_s, score_s)


@dataclass(frozen=True)
class PeerOutcome:
    case: Case
    scored: tuple[tuple[str, str, float], ...]  # every candidate, best first
    prefilter_s: float
    score_s: float

    @property
    def flagged(self) -> bool:
        return any(score >= THRESHOLD for _, _, score in self.scored)

    @property
    def found(self) -> bool:
        expected = set(self.case.expected)
        return any(score >= THRESHOLD and (lid, eid) in expected for lid, eid, score in self.scored)

    @property
    def latency_s(self) -> float:
        return self.prefilter_s + self.score_s


# ---------------------------------------------------------------- the comparison


def stratified_sample(cases: Sequence[Case], size: int, seed: int = 0) -> list[Case]:
    """`size` cases taken round-robin over the categories (each shuffled with `seed`), in dataset order."""
    if size <= 0 or size >= len(cases):
        return list(cases)
    by_category: dict[tuple[str, str], list[int]] = {}
    for index, case in enumerate(cases):
        by_category.setdefault((case.kind, case.category), []).append(index)
    rng = random.Random(seed)
    pools = [rng.sample(indices, len(indices)) for indices in by_category.values()]
    chosen: list[int] = []
    while len(chosen) < size:
        for pool in pools:
            if pool and len(chosen) < size:
                chosen.append(pool.pop())
    return [cases[index] for index in sorted(chosen)]


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _ms(samples: Sequence[float], share: float) -> float:
    return round(metrics.percentile([s * 1000 for s in samples], share), 3)


def _row(kind: str, category: str, pairs: Sequence[tuple[metrics.Outcome, PeerOutcome]]) -> dict[str, object]:
    n = len(pairs)
    row: dict[str, object] = {"kind": kind, "category": category, "cases": n}
    if kind == POSITIVE:
        row |= {
            "ours_recall": _share(sum(o.found for o, _ in pairs), n),
            "peer_recall": _share(sum(p.found for _, p in pairs), n),
        }
    else:
        row |= {
            "ours_fpr": _share(sum(o.flagged for o, _ in pairs), n),
            "peer_fpr": _share(sum(p.flagged for _, p in pairs), n),
        }
    row |= {
        "ours_p50_ms": _ms([o.latency_s for o, _ in pairs], 0.5),
        "peer_p50_ms": _ms([p.latency_s for _, p in pairs], 0.5),
    }
    return row


def compare(
    cases: Sequence[Case], lists: Mapping[str, LoadedList], state: ScreeningState, known_lists: Collection[str],
    sample: int = DEFAULT_SAMPLE, seed: int = 0,
) -> dict[str, object]:  # fmt: skip
    """Ours and the peer on the same stratified sample, each case screened by both in turn."""
    started = time.perf_counter()
    peer = Peer(lists)
    setup_s = time.perf_counter() - started
    chosen = stratified_sample(cases, sample, seed)
    pairs = [(metrics.screen_case(case, state, known_lists), peer.screen(case)) for case in chosen]
    rows = []
    for kind in KINDS:
        of_kind = [pair for pair in pairs if pair[0].case.kind == kind]
        for category in dict.fromkeys(o.case.category for o, _ in of_kind):
            rows.append(_row(kind, category, [pair for pair in of_kind if pair[0].case.category == category]))
    rows += [_row(kind, "ALL", [pair for pair in pairs if pair[0].case.kind == kind]) for kind in KINDS]
    ours = [o.latency_s for o, _ in pairs if not o.error]
    prefilter = [p.prefilter_s for _, p in pairs]
    scoring = [p.score_s for _, p in pairs]
    total = [p.latency_s for _, p in pairs]
    timing = {
        "ours_p50_ms": _ms(ours, 0.5), "ours_p99_ms": _ms(ours, 0.99),
        "ours_mean_ms": round(1000 * sum(ours) / len(ours), 3) if ours else 0.0,
        "peer_prefilter_p50_ms": _ms(prefilter, 0.5), "peer_prefilter_mean_ms": round(1000 * sum(prefilter) / len(pairs), 3) if pairs else 0.0,
        "peer_scoring_p50_ms": _ms(scoring, 0.5), "peer_scoring_mean_ms": round(1000 * sum(scoring) / len(pairs), 3) if pairs else 0.0,
        "peer_p50_ms": _ms(total, 0.5), "peer_p99_ms": _ms(total, 0.99),
        "peer_mean_ms": round(1000 * sum(total) / len(pairs), 3) if pairs else 0.0,
        "peer_setup_s": round(setup_s, 3), "run_s": round(time.perf_counter() - started, 3),
    }  # fmt: skip
    from importlib.metadata import version

    return {
        "peer": "nomenklatura", "version": version("nomenklatura"), "algorithm": peer.algorithm.NAME,
        "threshold": THRESHOLD, "prefilter": PREFILTER_NOTE, "sample": len(chosen), "of": len(cases),
        "listed_names": len(peer.names), "rows": rows, "timing": timing,
    }  # fmt: skip


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def print_comparison(report: Mapping[str, Any], ours: str) -> None:
    print()
    print(f"peer     nomenklatura {report['version']} {report['algorithm']}, flagged at score >= {report['threshold']}; "
          f"ours {ours}, flagged with a match at or above the review threshold")  # fmt: skip
    print(f"         {report['prefilter']} ({report['listed_names']:,} names)")
    print(f"sample   {report['sample']:,} of {report['of']:,} cases, stratified across categories")
    print()
    print(f"{'kind':<14} {'category':<22} {'cases':>5} {'recall ours':>11} {'peer':>7} {'FPR ours':>9} {'peer':>7} "
          f"{'p50 ms ours':>11} {'peer':>8}")  # fmt: skip
    previous = ""
    for row in report["rows"]:
        if row["category"] == "ALL" and previous != "ALL":
            print("-" * 101)
        previous = "ALL" if row["category"] == "ALL" else row["kind"]
        print(f"{row['kind']:<14} {row['category']:<22} {row['cases']:>5} {_pct(row.get('ours_recall')):>11} "
              f"{_pct(row.get('peer_recall')):>7} {_pct(row.get('ours_fpr')):>9} {_pct(row.get('peer_fpr')):>7} "
              f"{row['ours_p50_ms']:>11.3f} {row['peer_p50_ms']:>8.1f}")  # fmt: skip
    t = report["timing"]
    ratio = t["peer_p50_ms"] / t["ours_p50_ms"] if t["ours_p50_ms"] else float("inf")
    mean_ratio = t["peer_mean_ms"] / t["ours_mean_ms"] if t["ours_mean_ms"] else float("inf")
    print()
    print(
        f"latency  ours screen_request p50 {t['ours_p50_ms']:.3f} ms (p99 {t['ours_p99_ms']:.3f}, mean {t['ours_mean_ms']:.3f})"
    )
    print(f"         peer p50 {t['peer_p50_ms']:.1f} ms (p99 {t['peer_p99_ms']:.1f}, mean {t['peer_mean_ms']:.1f}) = "
          f"pre-filter p50 {t['peer_prefilter_p50_ms']:.1f} ms (mean {t['peer_prefilter_mean_ms']:.1f}) + "
          f"logic-v2 scoring p50 {t['peer_scoring_p50_ms']:.1f} ms (mean {t['peer_scoring_mean_ms']:.1f})")  # fmt: skip
    print(f"         peer / ours: {ratio:.0f}x at p50, {mean_ratio:.0f}x on the mean; peer setup {t['peer_setup_s']:.1f} s "
          f"(reference data, not in the latencies), comparison run {t['run_s']:.1f} s")  # fmt: skip
