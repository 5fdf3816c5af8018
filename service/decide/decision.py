"""From matches, embargoed addresses and owners to one consolidated decision with its reasons.

Every reason names what triggered it (a listed entry, an address, the owners),
the policy rule, its legal basis and citation, and the next step. The decision
is the strictest action over all reasons; reasons about listings of the same
party on several lists share a `group`, so a response can say "this party is on
the SDN list, the Entity List and the UFLPA list" in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from service.decide.merchandise import merchandise_match
from service.decide.policy import SUBJECT_PARTY as FOR_PARTY
from service.decide.policy import SUBJECT_PRODUCER as FOR_PRODUCER
from service.decide.policy import Action, OwnershipRule, Policy, Rule
from service.index.linking import EntryKey, Link
from service.match.result import MatchResult
from service.model import Direction, PartyQuery, QueryItem, QueryOwner, TransactionContext
from service.model.entry import AliasStrength, Entry

if TYPE_CHECKING:
    from service.decide.regions import RegionHit
    from service.decide.sectors import SectorTable

SUBJECT_PARTY = "party"
SUBJECT_ADDRESS = "address"
SUBJECT_OWNERS = "owners"
SUBJECT_TRANSACTION = "transaction"
SUBJECT_ITEM = "item"
_SUBJECT_OF_HIT = {"address": SUBJECT_ADDRESS, "transaction": SUBJECT_TRANSACTION, "item": SUBJECT_ITEM}


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
    citation: str = ""
    # What the reason is about: the party's own listing, its address, or its owners.
    subject: str = SUBJECT_PARTY
    # Listings of the same party share a group ("ofac_sdn/22790"); "" when not about a listing.
    group: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class OwnerScreening:
    """One owner of the party and what screening its name found."""

    owner: QueryOwner
    matches: tuple[MatchResult, ...]


@dataclass(frozen=True, slots=True)
class ProducerScreening:
    """The producer of one item (or input) and what screening it found."""

    item: QueryItem
    producer: PartyQuery
    matches: tuple[MatchResult, ...]

    @property
    def path(self) -> str:
        return f"{self.item.path}.producer"

    @property
    def name(self) -> str:
        return self.producer.names[0].value


def _subject(match: MatchResult) -> str:
    entry = match.entry
    programs = ", ".join(entry.programs) or "no program stated"
    if match.by_identifier is not None:
        return f"{match.by_identifier.describe()} is on {match.list_id} entry {entry.entry_id} '{entry.primary_name}' ({programs})"
    return (
        f"'{match.query_name.value}' matched {match.list_id} entry {entry.entry_id} "
        f"'{entry.primary_name}' ({programs}) with score {match.score:.2f}"
    )


def _list_reasons(
    match: MatchResult, policy: Policy, context: TransactionContext, day: date, group: str
) -> list[Reason]:
    reasons = _listing_reasons(match, policy, context, day, group)
    if match.by_identifier is None or not reasons:
        return reasons
    # How the party was found, with a code of its own: by an identifier, whatever its name says.
    found = policy.spec.identifier_match
    return reasons + [
        Reason(
            max(reason.action for reason in reasons), found.code, match.list_id, match.entry.entry_id,
            "identifier-match", "", found.next_step, match.explanation.text, group=group,
        )
    ]  # fmt: skip


def _quoted(rule: Rule, match: MatchResult, policy: Policy) -> str:
    """The entry's own words the rule asks to quote ("licence requirement: For all items subject to the EAR")."""
    entry = match.entry
    parts = []
    for field in rule.quote:
        value = getattr(entry, field)
        text = ", ".join(value) if isinstance(value, tuple) else str(value or "")
        if text:
            parts.append(f"{field.replace('_', ' ').replace('license', 'licence')}: {text}")
    pattern = policy.remark_patterns.get(rule.id)
    if pattern is not None:
        found = list(dict.fromkeys(pattern.findall(entry.remarks)))
        if found:
            parts.append(f"subject to {', '.join(found)}")
    return "; ".join(parts)


def _listing_reasons(
    match: MatchResult, policy: Policy, context: TransactionContext, day: date, group: str
) -> list[Reason]:
    """What the listing requires in this transaction (the rules that fire, or the fallbacks)."""
    entry = match.entry
    subject = _subject(match)
    direction = context.direction.value
    rules, goods_found = _fitting_rules(policy, match, context, day, FOR_PARTY, context.goods)
    if match.score < policy.match_threshold:
        near = policy.spec.near_match
        action = Action.parse(near.action)
        threshold = f"below the match threshold {policy.match_threshold:.2f}"
        text = f"{subject}, {threshold}: possible match, review needed."
        if near.at_most_confirmed:
            confirmed, why = _confirmed_action(match, rules, policy, direction)
            if confirmed < action:
                action = confirmed
                text = f"{subject}, {threshold}: possible match, shown for information: even a confirmed match {why}."
        return [
            Reason(
                action, near.code, match.list_id, entry.entry_id, "near-match", "", near.next_step, text, group=group
            )
        ]
    if not rules:
        fallback = policy.spec.unmapped_list
        return [
            Reason(
                Action.parse(fallback.action), fallback.code, match.list_id, entry.entry_id, "unmapped-list", "",
                fallback.next_step,
                f"{subject}; no policy rule in force covers {match.list_id} for direction '{direction}'"
                f"{' and programs ' + ', '.join(entry.programs) if entry.programs else ''}.",
                group=group,
            )
        ]  # fmt: skip
    strictest = max(rules, key=lambda rule: policy.actions[rule.id])
    if match.listed_name.strength is AliasStrength.WEAK and policy.actions[strictest.id] > Action.REVIEW:
        weak = policy.spec.weak_alias
        return [
            Reason(
                min(policy.actions[strictest.id], Action.parse(weak.action)), weak.code, match.list_id, entry.entry_id,
                strictest.id, strictest.legal_basis, weak.next_step,
                f"{subject} on the weak alias '{match.listed_name.value}' only; rule {strictest.id} would "
                f"{strictest.action} but a weak alias alone yields at most review.",
                citation=strictest.citation, group=group,
            )
        ]  # fmt: skip
    return _rule_reasons(rules, match, policy, context, subject, goods_found, SUBJECT_PARTY, group)


def _fitting_rules(
    policy: Policy,
    match: MatchResult,
    context: TransactionContext,
    day: date,
    applies_to: str,
    goods: Sequence[QueryItem],
) -> tuple[list[Rule], str]:
    """The rules in force for this match's entry and whom it is about (the party or a producer),
    in this transaction, and how the entry's merchandise was found among `goods` ("" if no rule asks)."""
    entry = match.entry
    rules = policy.rules_for(
        match.list_id,
        context.direction,
        entry.programs,
        entry.tags,
        day,
        applies_to,
        _destination(context),
        entry.status,
    )
    return _by_goods(rules, entry, goods)


def _rule_reasons(
    rules: Sequence[Rule],
    match: MatchResult,
    policy: Policy,
    context: TransactionContext,
    said: str,
    goods_found: str,
    subject: str,
    group: str = "",
) -> list[Reason]:
    """One reason per rule that fires on a confirmed match; `said` is what matched what, in words."""
    entry = match.entry
    direction = context.direction.value
    destination = _destination(context)
    reasons = []
    for rule in rules:
        quoted = _quoted(rule, match, policy)
        reasons.append(
            Reason(
                policy.actions[rule.id], rule.code, match.list_id, entry.entry_id, rule.id, rule.legal_basis,
                rule.next_step,
                f"{said}; rule {rule.id}: {rule.action} for direction '{direction}'"
                + (f" to {destination}" if rule.destinations and destination else "")
                + (f" ({quoted})" if quoted else "") + _order_state(rule, entry, goods_found) + ".",
                citation=rule.citation, subject=subject, group=group,
            )
        )  # fmt: skip
    return reasons


def _by_goods(rules: list[Rule], entry: Entry, goods: Sequence[QueryItem]) -> tuple[list[Rule], str]:
    """The rules whose merchandise filter the goods meet, and how the merchandise was found ("" if no rule asks)."""
    if not any(rule.merchandise for rule in rules):
        return rules, ""
    matched, how = merchandise_match(entry, goods)
    return [rule for rule in rules if not rule.merchandise or (rule.merchandise == "matched") == matched], how


def _order_state(rule: Rule, entry: Entry, goods_found: str) -> str:
    """What a status or merchandise filter found, for the reason's text: "; status active; merchandise ..."."""
    parts = [f"status {entry.status}"] if rule.status_any else []
    if rule.merchandise and goods_found:
        parts.append(goods_found)
    return "".join(f"; {part}" for part in parts)


def _confirmed_action(match: MatchResult, rules: Sequence[Rule], policy: Policy, direction: str) -> tuple[Action, str]:
    """What the same match at the match threshold would yield here, and why in words."""
    if not rules:
        fallback = Action.parse(policy.spec.unmapped_list.action)
        uncovered = f"no policy rule covers {match.list_id} for direction '{direction}'"
        return fallback, f"would {fallback.name.lower()}: {uncovered}"
    strictest = max(rules, key=lambda rule: policy.actions[rule.id])
    action = policy.actions[strictest.id]
    if match.listed_name.strength is AliasStrength.WEAK and action > Action.REVIEW:
        action = min(action, Action.parse(policy.spec.weak_alias.action))
    return action, f"on this entry would {action.name.lower()} for direction '{direction}' (rule {strictest.id})"


def _destination(context: TransactionContext) -> str:
    """The export destination rules may be narrowed to ("" unless the transaction is an export)."""
    return context.destination_country if context.direction is Direction.EXPORT else ""


def _region_reasons(hits: Sequence[RegionHit], policy: Policy, context: TransactionContext, day: date) -> list[Reason]:
    reasons = []
    direction = context.direction
    destination = _destination(context)
    to = f" to {destination}" if destination else ""
    for hit in hits:
        for rule in policy.region_rules_for(hit.region_id, direction, day, hit.found_in, destination):
            reasons.append(
                Reason(
                    policy.actions[rule.id], rule.code, "", "", rule.id, rule.legal_basis, rule.next_step,
                    f"{hit.name} ({hit.evidence}); rule {rule.id}: {rule.action} for direction '{direction.value}'"
                    f"{to if rule.destinations else ''}.",
                    citation=rule.citation, subject=_SUBJECT_OF_HIT[hit.found_in],
                )
            )  # fmt: skip
    return reasons


def _producer_reasons(
    producers: Sequence[ProducerScreening], policy: Policy, context: TransactionContext, day: date
) -> list[Reason]:
    """Reasons from the items' producers' matches, on the rules that apply to producers."""
    reasons: list[Reason] = []
    direction = context.direction
    destination = _destination(context)
    to = f" to {destination}" if destination else ""
    for screening in producers:
        for match in screening.matches:
            entry = match.entry
            rules, goods_found = _fitting_rules(policy, match, context, day, FOR_PRODUCER, (screening.item,))
            if not rules:
                continue  # the listing says nothing about goods this producer made, here
            subject = f"{screening.item.label}: producer {_subject(match)}"
            strictest = max(rules, key=lambda rule: policy.actions[rule.id])
            weak = match.listed_name.strength is AliasStrength.WEAK
            if match.score < policy.match_threshold or weak:
                near = policy.spec.near_match if not weak else policy.spec.weak_alias
                action = min(Action.parse(near.action), policy.actions[strictest.id])
                why = "below the match threshold" if not weak else "on a weak alias only"
                reasons.append(
                    Reason(
                        action, near.code, match.list_id, entry.entry_id, strictest.id, strictest.legal_basis,
                        near.next_step,
                        f"{subject}, {why}: possible match; rule {strictest.id} would {strictest.action} for "
                        f"direction '{direction.value}'{to if strictest.destinations else ''}.",
                        citation=strictest.citation, subject=SUBJECT_ITEM,
                    )
                )  # fmt: skip
                continue
            reasons += _rule_reasons(rules, match, policy, context, subject, goods_found, SUBJECT_ITEM)
    return reasons


def _sector_reasons(
    context: TransactionContext, sectors: SectorTable | None, hits: Sequence[RegionHit], policy: Policy, day: date
) -> list[Reason]:
    """Goods of a listed sector from a country a sector rule names, not already placed in its region."""
    rules = policy.sector_rules_for(context.direction, day) if sectors is not None else []
    if not rules:
        return []
    assert sectors is not None
    placed: dict[str, set[str]] = {}
    for hit in hits:
        if hit.found_in == "item":
            placed.setdefault(hit.path, set()).add(hit.region_id)
        else:  # the party's address or the transaction's origin places every item
            placed.setdefault("", set()).add(hit.region_id)
    reasons = []
    for goods in context.goods:
        if not goods.hs_code or (sector := sectors.sector_of(goods.hs_code)) is None or sector.named_on > day:
            continue
        country = goods.origin_country or context.origin_country
        regions = placed.get(goods.path, set()) | placed.get("", set())
        for rule in rules:
            if (rule.sectors and sector.id not in rule.sectors) or country not in rule.origin_countries:
                continue
            if regions & set(rule.unless_regions):
                continue
            reasons.append(
                Reason(
                    policy.actions[rule.id], rule.code, "", "", rule.id, rule.legal_basis, rule.next_step,
                    f"{goods.label}: HS {goods.hs_code} is in the high-priority sector '{sector.name}' "
                    f"(HS {sector.prefix}, named in {sector.source}), origin {country}; rule {rule.id}: {rule.action} "
                    f"for direction '{context.direction.value}'.",
                    citation=rule.citation, subject=SUBJECT_ITEM,
                )
            )  # fmt: skip
    return reasons


def _listed_owner_match(screening: OwnerScreening, rule: OwnershipRule, policy: Policy) -> MatchResult | None:
    """The owner's best match that makes it a listed person for this rule (strong name, at the match threshold)."""
    for match in screening.matches:
        if (
            match.list_id in rule.lists
            and match.score >= policy.match_threshold
            and match.listed_name.strength is AliasStrength.STRONG
        ):
            return match
    return None


def _ownership_reasons(
    owners: Sequence[OwnerScreening], policy: Policy, context: TransactionContext, day: date
) -> list[Reason]:
    reasons: list[Reason] = []
    if not owners:
        return reasons
    near = policy.spec.owner_near_match
    flagged_near: set[str] = set()
    for rule in policy.ownership_rules_for(context.direction, day):
        listed = [(s, m) for s in owners if (m := _listed_owner_match(s, rule, policy)) is not None]
        for screening in owners:
            possible = [m for m in screening.matches if m.list_id in rule.lists]
            if possible and all(s is not screening for s, _ in listed) and screening.owner.name not in flagged_near:
                flagged_near.add(screening.owner.name)
                best = possible[0]
                reasons.append(
                    Reason(
                        Action.parse(near.action), near.code, best.list_id, best.entry.entry_id, "owner-near-match", "",
                        near.next_step,
                        f"Owner '{screening.owner.name}' ({screening.owner.share_percent:g}%) possibly matches "
                        f"{best.list_id} entry {best.entry.entry_id} '{best.entry.primary_name}' "
                        f"(score {best.score:.2f}{', weak alias' if best.listed_name.strength is AliasStrength.WEAK else ''}).",
                        subject=SUBJECT_OWNERS,
                    )
                )  # fmt: skip
        if not listed:
            continue
        # Rounded: shares arrive as doubles, and 8.2 + 23.9 + 17.9 must be 50, not 49.99999999999999.
        total = round(min(100.0, sum(s.owner.share_percent for s, _ in listed)), 6)
        who = ", ".join(
            f"'{s.owner.name}' {s.owner.share_percent:g}% ({m.list_id} entry {m.entry.entry_id} '{m.entry.primary_name}')"
            for s, m in listed
        )
        if total >= rule.threshold_percent:
            reasons.append(
                Reason(
                    policy.actions[rule.id], rule.code, "", "", rule.id, rule.legal_basis, rule.next_step,
                    f"Owned {total:g}% in aggregate by listed persons ({who}), at or above {rule.threshold_percent:g}%; "
                    f"rule {rule.id}: {rule.action} for direction '{context.direction.value}'.",
                    citation=rule.citation, subject=SUBJECT_OWNERS,
                )
            )  # fmt: skip
        else:
            reasons.append(
                Reason(
                    Action.REVIEW, f"{rule.code}_BELOW_THRESHOLD", "", "", rule.id, rule.legal_basis,
                    "The listed owners hold less than the threshold, so the rule does not apply; ownership can change and "
                    "other listed persons may control the party: proceed with caution and document the ownership check.",
                    f"Owned {total:g}% in aggregate by listed persons ({who}), below {rule.threshold_percent:g}%: "
                    f"rule {rule.id} does not apply.",
                    citation=rule.citation, subject=SUBJECT_OWNERS,
                )
            )  # fmt: skip
    return reasons


def party_groups(matches: Sequence[MatchResult], links: Mapping[EntryKey, tuple[Link, ...]]) -> dict[EntryKey, str]:
    """Each matched entry -> the id of its party group: the first of its linked listings, by list and entry id."""
    groups = {}
    for match in matches:
        key = (match.list_id, match.entry.entry_id)
        members = [key, *((link.list_id, link.entry_id) for link in links.get(key, ()))]
        first = min(members)
        groups[key] = f"{first[0]}/{first[1]}"
    return groups


def decide(
    matches: Sequence[MatchResult],
    policy: Policy,
    context: TransactionContext,
    *,
    day: date | None = None,
    regions: Sequence[RegionHit] = (),
    owners: Sequence[OwnerScreening] = (),
    links: Mapping[EntryKey, tuple[Link, ...]] | None = None,
    producers: Sequence[ProducerScreening] = (),
    sectors: SectorTable | None = None,
) -> Decision:
    day = day or datetime.now(UTC).date()
    groups = party_groups(matches, links or {})
    reasons: list[Reason] = []
    for match in matches:
        reasons += _list_reasons(match, policy, context, day, groups[(match.list_id, match.entry.entry_id)])
    reasons += _region_reasons(regions, policy, context, day)
    reasons += _ownership_reasons(owners, policy, context, day)
    reasons += _producer_reasons(producers, policy, context, day)
    reasons += _sector_reasons(context, sectors, regions, policy, day)
    # Grouped by party (a party's listings together, its strictest reason first),
    # the strictest group first; reasons about addresses and owners stand alone.
    strictest: dict[str, Action] = {}
    for reason in reasons:
        if reason.group:
            strictest[reason.group] = max(strictest.get(reason.group, Action.CLEAR), reason.action)
    reasons.sort(key=lambda r: (-strictest.get(r.group, r.action), r.group == "", r.group, -r.action))
    action = max((r.action for r in reasons), default=Action.CLEAR)
    return Decision(action, tuple(reasons))
