"""Claim lifecycle (SPEC §5): pending → approved → settled; rejected and voided are final."""

from __future__ import annotations

from aftercare.domain.errors import InvalidTransition

CLAIM_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"pending"}), "approved"),
    "reject": (frozenset({"pending"}), "rejected"),
    "void": (frozenset({"approved"}), "voided"),
    "settle": (frozenset({"approved"}), "settled"),
}
FINAL_CLAIM_STATUSES = frozenset({"settled", "rejected", "voided"})


def next_claim_status(action: str, current: str) -> str:
    """The status `action` leads to, or InvalidTransition (409) from `current`."""
    sources, target = CLAIM_TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(
            f"Cannot {action} a claim that is {current}", current_status=current
        )
    return target
