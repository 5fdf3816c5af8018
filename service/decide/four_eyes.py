"""Four eyes: whether clearing a listed entry as a false positive needs a second reviewer.

One reviewer's false positive used to turn every later BLOCK of that party into
CLEAR. The policy's [four_eyes] section now names the actions (default: block)
and the lists for which nobody may clear a party alone. The question is asked
when the disposition is recorded, about the entry rather than one screening:
a false positive outlives the transaction it was made in, and the same party
may later be screened in a direction whose rules are stricter. So every
direction counts, with the rules in force on the day of the decision.
"""

from __future__ import annotations

from datetime import date

from service.decide.policy import Action, Policy
from service.dispositions.store import Disposition, suppresses
from service.model import Direction, Entry

# How a reason says what an action does ("ofac_sdn rule ofac-sdn-blocked blocks").
_DOES = {Action.CLEAR: "clears", Action.REVIEW: "asks for review", Action.HOLD: "holds", Action.BLOCK: "blocks"}
_SECOND_REVIEWER = "a second reviewer must approve"


def approval_required(policy: Policy, list_id: str, entry: Entry, day: date) -> str:
    """Why a false positive on `entry` of `list_id` needs a second reviewer; "" when one reviewer suffices.

    The strictest rule that reaches one of the [four_eyes] actions is named
    (policy order breaks ties). Where no rule fits the entry in a direction,
    the decision falls back to [unmapped_list], so that action counts too.
    """
    four_eyes = policy.four_eyes
    strictest: tuple[Action, str] | None = None  # (action, reason text)
    for direction in Direction:
        rules = policy.rules_for(list_id, direction, entry.programs, entry.tags, day, status=entry.status)
        if rules:
            found = [(policy.actions[rule.id], f"{list_id} rule {rule.id}") for rule in rules]
        else:
            fallback = Action.parse(policy.spec.unmapped_list.action)
            unmapped = f"{list_id} has no rule for this entry in direction '{direction.value}' and [unmapped_list]"
            found = [(fallback, unmapped)]
        for action, text in found:
            if action in four_eyes.actions and (strictest is None or action > strictest[0]):
                strictest = (action, text)
    if strictest is not None:
        return f"{strictest[1]} {_DOES[strictest[0]]}: {_SECOND_REVIEWER}"
    if list_id in four_eyes.lists:
        return f"{list_id} is one of the [four_eyes] lists: {_SECOND_REVIEWER}"
    return ""


def clears(
    disposition: Disposition, list_id: str, entry: Entry, entry_hash: str, score: float, policy: Policy, day: date
) -> bool:
    """Whether a false positive hides this match today: the one rule screening and re-screening apply.

    Besides `suppresses` (active, entry unchanged, approved or below the match
    threshold), a false positive nobody approved clears only where one reviewer
    is enough under the policy in force now: a policy tightened since it was
    recorded, or a disposition from before four eyes, no longer clears alone.
    """
    if not suppresses(disposition, entry_hash, score, policy.match_threshold):
        return False
    return bool(disposition.approved_by) or not approval_required(policy, list_id, entry, day)
