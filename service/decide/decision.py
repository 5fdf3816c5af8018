"""From matches to one consolidated decision with its reasons."""

from __future__ import annotations

from dataclasses import dataclass

from service.decide.policy import Action, Policy
from service.match.result import MatchResult
from service.model import TransactionContext
from service.model.entry import AliasStrength


@dataclass(frozen=True, slots=True)
class Reason:
    action: Action
    code: str
    list_id: str
    entry_id: str
    rule_id: str
    legal_basis: str
    next_step: str
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reasons: tuple[Reason, ...]


def _reason_for(match: MatchResult, policy: Policy, context: TransactionContext) -> Reason:
    entry = match.entry
    programs = ", ".join(entry.programs) or "no program stated"
    subject = (
        f"'{match.query_name.value}' matched {match.list_id} entry {entry.entry_id} "
        f"'{entry.primary_name}' ({programs}) with score {match.score:.2f}"
    )
    if match.score < policy.match_threshold:
        near = policy.spec.near_match
        return Reason(
            Action.parse(near.action), near.code, match.list_id, entry.entry_id, "near-match", "", near.next_step,
            f"{subject}, below the match threshold {policy.match_threshold:.2f}: possible match, review needed.",
        )  # fmt: skip
    rule = policy.rule_for(match.list_id, context.direction)
    if rule is None:
        fallback = policy.spec.unmapped_list
        return Reason(
            Action.parse(fallback.action), fallback.code, match.list_id, entry.entry_id, "unmapped-list", "",
            fallback.next_step,
            f"{subject}; no policy rule covers {match.list_id} for direction '{context.direction.value}'.",
        )  # fmt: skip
    action = policy.actions[rule.id]
    if match.listed_name.strength is AliasStrength.WEAK and action > Action.REVIEW:
        weak = policy.spec.weak_alias
        return Reason(
            min(action, Action.parse(weak.action)), weak.code, match.list_id, entry.entry_id, rule.id,
            rule.legal_basis, weak.next_step,
            f"{subject} on the weak alias '{match.listed_name.value}' only; rule {rule.id} would "
            f"{rule.action} but a weak alias alone yields at most review.",
        )  # fmt: skip
    return Reason(
        action, rule.code, match.list_id, entry.entry_id, rule.id,
        f"{rule.legal_basis} {rule.citation}".strip(), rule.next_step,
        f"{subject}; rule {rule.id}: {rule.action} for direction '{context.direction.value}'.",
    )  # fmt: skip


def decide(matches: list[MatchResult], policy: Policy, context: TransactionContext) -> Decision:
    reasons = [_reason_for(match, policy, context) for match in matches]
    reasons.sort(key=lambda r: -r.action)
    action = max((r.action for r in reasons), default=Action.CLEAR)
    return Decision(action, tuple(reasons))
