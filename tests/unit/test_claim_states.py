"""The claim state machine against a table written by hand from SPEC §5 and §11."""

import itertools

import pytest

from aftercare.domain.claim_states import (
    AWAITING_SECOND_APPROVAL,
    CLAIM_TRANSITIONS,
    FINAL_CLAIM_STATUSES,
    first_approval_action,
    needs_second_approval,
    next_claim_status,
)
from aftercare.domain.errors import InvalidTransition

AWAITING = AWAITING_SECOND_APPROVAL
STATUSES = ["pending", AWAITING, "approved", "rejected", "settled", "voided"]

#   pending ─approve (share < threshold)─▶ approved
#   pending ─approve (share ≥ threshold)─▶ awaiting_second_approval ─approve (another)─▶ approved
#   pending, awaiting_second_approval ─reject─▶ rejected (awaiting: the reservation is released)
#   approved ─void─▶ voided;  approved ─settle─▶ settled
EXPECTED = {
    "approve": {"pending": "approved"},
    "approve_first": {"pending": AWAITING},
    "approve_second": {AWAITING: "approved"},
    "reject": {"pending": "rejected", AWAITING: "rejected"},
    "void": {"approved": "voided"},
    "settle": {"approved": "settled"},
}


def test_the_table_names_every_action():
    assert set(EXPECTED) == set(CLAIM_TRANSITIONS)


@pytest.mark.parametrize(("action", "status"), list(itertools.product(EXPECTED, STATUSES)))
def test_each_action_from_each_status(action: str, status: str):
    target = EXPECTED[action].get(status)
    if target is None:
        with pytest.raises(InvalidTransition) as refused:
            next_claim_status(action, status)
        assert refused.value.current_status == status
        assert refused.value.reason == "invalid_transition"
    else:
        assert next_claim_status(action, status) == target


def test_final_statuses_lead_nowhere():
    for status in FINAL_CLAIM_STATUSES:
        assert not any(status in sources for sources, _ in CLAIM_TRANSITIONS.values())
    assert AWAITING not in FINAL_CLAIM_STATUSES


@pytest.mark.parametrize(
    ("share", "threshold", "two"),
    [
        (3_000_000, 3_000_000, True),  # exactly at the threshold: two managers
        (2_999_999, 3_000_000, False),  # one won below: one manager
        (2_999_000, 3_000_000, False),  # a rounded share below
        (3_001_000, 3_000_000, True),
        (1, 0, True),  # a threshold of 0: every claim needs two
        (20_000_000, 10**13, False),  # a threshold past any share: never
    ],
)
def test_second_approval_from_the_threshold_on(share: int, threshold: int, two: bool):
    assert needs_second_approval(share, threshold) is two
    assert first_approval_action(share, threshold) == ("approve_first" if two else "approve")
