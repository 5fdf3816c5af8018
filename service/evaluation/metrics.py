"""Screen every case through the real request path and turn the outcomes into figures.

Decisions come from `screen_request`, so validation, the policy file and its
thresholds are the ones the service applies. The threshold sweep needs scores
below the review threshold too, which the service never returns, so it asks the
state's matcher directly (`Matcher.find` with the sweep's lowest threshold): the
same matcher object, only a lower cut-off.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from service.api.gen import screening_pb2 as pb
from service.api.screening import screen_request
from service.api.validation import InvalidArgument, validate_request
from service.engine.state import ScreeningState
from service.evaluation.dataset import HARD_NEGATIVE, KINDS, NEGATIVE, POSITIVE, Case

PARTY_TYPES = {
    "individual": pb.PARTY_TYPE_INDIVIDUAL,
    "organization": pb.PARTY_TYPE_ORGANIZATION,
    "unknown": pb.PARTY_TYPE_UNSPECIFIED,
}
SWEEP = tuple(round(0.50 + 0.05 * step, 2) for step in range(10))  # 0.50 .. 0.95
# Deep enough that an expected entry ranked behind near-duplicates still counts in the sweep.
SWEEP_LIMIT = 50


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: str  # CLEAR, REVIEW, HOLD, BLOCK, or ERROR when the request was rejected
    matches: tuple[tuple[str, str, float], ...]  # (list_id, entry_id, score) as returned, best first
    best_score: float  # positives: best score of an expected entry; negatives: best score of any; 0.0 if none
    latency_s: float
    error: str = ""

    @property
    def flagged(self) -> bool:
        """The screening put a listed entry in front of the user: a match at or above the review threshold.

        Not "decision not CLEAR": since the policy gives each list its consequence per
        direction and also looks at addresses, a UFLPA entity on an export is shown but
        CLEAR, and a clean party in Iran is BLOCKED without any match. What the
        evaluation judges is the matcher, so it counts surfaced matches (the same as
        "not CLEAR" under a policy where every listing is at least REVIEW).
        """
        return self.decision != "ERROR" and bool(self.matches)

    @property
    def found(self) -> bool:
        """Recall: an expected entry is among the matches at or above the review threshold."""
        expected = set(self.case.expected)
        return self.flagged and any((list_id, entry_id) in expected for list_id, entry_id, _ in self.matches)

    @property
    def top1(self) -> bool:
        return bool(self.matches) and self.matches[0][:2] in set(self.case.expected)


def request_for(case: Case) -> pb.ScreenRequest:
    party = pb.Party(name=case.query.name, type=PARTY_TYPES.get(case.query.type, pb.PARTY_TYPE_UNSPECIFIED))
    if case.query.country:
        party.addresses.add(country=case.query.country)
    # Export: the question the service answers ("may this order go ahead?").
    return pb.ScreenRequest(
        request_id=case.id, party=party, context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT)
    )


def screen_case(case: Case, state: ScreeningState, known_lists: Collection[str]) -> Outcome:
    request = request_for(case)
    started = time.perf_counter()
    try:
        response = screen_request(request, state, known_lists)
    except InvalidArgument as exc:
        return Outcome(case, "ERROR", (), 0.0, time.perf_counter() - started, str(exc))
    latency = time.perf_counter() - started
    query, _, _ = validate_request(request, known_lists)
    probe = state.matcher.find(query, frozenset(), SWEEP[0], SWEEP_LIMIT)
    if case.kind == POSITIVE:
        expected = set(case.expected)
        best = max((m.score for m in probe if (m.list_id, m.entry.entry_id) in expected), default=0.0)
    else:
        best = max((m.score for m in probe), default=0.0)
    return Outcome(
        case=case,
        decision=pb.Decision.Name(response.decision).removeprefix("DECISION_"),
        matches=tuple((m.list_id, m.entry_id, m.score) for m in response.matches),
        best_score=best,
        latency_s=latency,
    )


def screen_all(cases: Iterable[Case], state: ScreeningState, known_lists: Collection[str]) -> list[Outcome]:
    return [screen_case(case, state, known_lists) for case in cases]


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Row:
    kind: str
    category: str
    cases: int
    recall: float | None  # positives
    top1: float | None  # positives
    fpr: float | None  # negatives and hard negatives
    errors: int

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "category": self.category, "cases": self.cases, "recall": self.recall,
                "top1": self.top1, "fpr": self.fpr, "errors": self.errors}  # fmt: skip


def _share(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _row(kind: str, category: str, outcomes: Sequence[Outcome]) -> Row:
    n = len(outcomes)
    errors = sum(1 for o in outcomes if o.error)
    if kind == POSITIVE:
        return Row(
            kind,
            category,
            n,
            _share(sum(o.found for o in outcomes), n),
            _share(sum(o.top1 for o in outcomes), n),
            None,
            errors,
        )
    return Row(kind, category, n, None, None, _share(sum(o.flagged for o in outcomes), n), errors)


def table(outcomes: Sequence[Outcome]) -> list[Row]:
    """One row per category (in dataset order), then one 'ALL' row per kind."""
    rows: list[Row] = []
    for kind in KINDS:
        of_kind = [o for o in outcomes if o.case.kind == kind]
        categories = list(dict.fromkeys(o.case.category for o in of_kind))
        rows += [_row(kind, c, [o for o in of_kind if o.case.category == c]) for c in categories]
    rows += [_row(kind, "ALL", [o for o in outcomes if o.case.kind == kind]) for kind in KINDS]
    return rows


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    recall: float
    fpr_negative: float
    fpr_hard_negative: float

    def to_json(self) -> dict[str, float]:
        return {"threshold": self.threshold, "recall": self.recall, "fpr_negative": self.fpr_negative,
                "fpr_hard_negative": self.fpr_hard_negative}  # fmt: skip


def sweep(outcomes: Sequence[Outcome]) -> list[SweepPoint]:
    """Recall and false-positive rate if `threshold` alone decided, from each case's best matcher score."""

    def share(kind: str, threshold: float) -> float:
        scores = [o.best_score for o in outcomes if o.case.kind == kind]
        # A hair of tolerance: scores are rounded to 4 places and thresholds are decimal steps.
        return _share(sum(1 for s in scores if s >= threshold - 1e-9), len(scores))

    return [SweepPoint(t, share(POSITIVE, t), share(NEGATIVE, t), share(HARD_NEGATIVE, t)) for t in SWEEP]


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def latency(outcomes: Sequence[Outcome]) -> dict[str, float]:
    samples = [o.latency_s * 1000 for o in outcomes if not o.error]
    return {
        "calls": len(samples),
        "p50_ms": round(percentile(samples, 0.50), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "max_ms": round(max(samples, default=0.0), 3),
        "mean_ms": round(sum(samples) / len(samples), 3) if samples else 0.0,
    }
