"""Claim lifecycle (SPEC §5, §11 "Four eyes").

pending → approved, or pending → awaiting_second_approval → approved when the share is
at or above the year's `second_approval_from`; approved → settled or voided; pending and
awaiting_second_approval → rejected. Settled, rejected and voided are final.
"""

from __future__ import annotations

from aftercare.domain.errors import InvalidTransition

AWAITING_SECOND_APPROVAL = "awaiting_second_approval"

CLAIM_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"pending"}), "approved"),
    "approve_first": (frozenset({"pending"}), AWAITING_SECOND_APPROVAL),
    "approve_second": (frozenset({AWAITING_SECOND_APPROVAL}), "approved"),
    "reject": (frozenset({"pending", AWAITING_SECOND_APPROVAL}), "rejected"),
    "void": (frozenset({"approved"}), "voided"),
    "settle": (frozenset({"approved"}), "settled"),
}
FINAL_CLAIM_STATUSES = frozenset({"settled", "rejected", "voided"})
# Statuses whose government share sits in pool_reserved (reserved, not yet paid).
RESERVED_CLAIM_STATUSES = ("approved", AWAITING_SECOND_APPROVAL)


def next_claim_status(action: str, current: str) -> str:
    """The status `action` leads to, or InvalidTransition (409) from `current`."""
    sources, target = CLAIM_TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(
            f"Cannot {action} a claim that is {current}", current_status=current
        )
    return target


def needs_second_approval(government_share: int, second_approval_from: int) -> bool:
    """A share at or above the year's threshold needs a second manager (four eyes)."""
    return government_share >= second_approval_from


def first_approval_action(government_share: int, second_approval_from: int) -> str:
    """`approve_first` when a second manager must follow, `approve` otherwise."""
    if needs_second_approval(government_share, second_approval_from):
        return "approve_first"
    return "approve"
