"""The ticket state machine against a table written by hand from SPEC §3."""

import itertools

import pytest

from aftercare.domain.errors import Forbidden, InvalidTransition
from aftercare.domain.states import allowed_actions, next_status, support_type_for

STATUSES = [
    "submitted",
    "triaged",
    "assigned",
    "in_progress",
    "resolved",
    "confirmed",
    "closed",
    "rejected",
    "cancelled",
]
ROLES = ["firm", "meister", "manager", "auditor", "admin", "system"]

# action: (roles that may take it, {from status: to status}) — read off the SPEC §3 diagram.
#   submitted ─triage(accept)─▶ triaged ─assign─▶ assigned ─accept─▶ in_progress
#   submitted ─triage(reject)─▶ rejected;  assigned ─decline─▶ triaged
#   in_progress ─resolve─▶ resolved ─confirm(firm; the SLA job auto-confirms)─▶ confirmed
#   resolved ─reopen(firm)─▶ in_progress;  confirmed ─claim settled/rejected/voided─▶ closed
#   cancel (firm: own ticket; manager: any) from submitted, triaged, assigned, in_progress
EXPECTED = {
    "triage_accept": ({"manager"}, {"submitted": "triaged"}),
    "triage_reject": ({"manager"}, {"submitted": "rejected"}),
    "assign": ({"manager"}, {"triaged": "assigned"}),
    "accept": ({"meister"}, {"assigned": "in_progress"}),
    "decline": ({"meister"}, {"assigned": "triaged"}),
    "resolve": ({"meister"}, {"in_progress": "resolved"}),
    "confirm": ({"firm", "system"}, {"resolved": "confirmed"}),
    "reopen": ({"firm"}, {"resolved": "in_progress"}),
    "cancel": (
        {"firm", "manager"},
        {
            "submitted": "cancelled",
            "triaged": "cancelled",
            "assigned": "cancelled",
            "in_progress": "cancelled",
        },
    ),
    # settlement (system job) closes; a manager's claim reject/void closes too
    "close": ({"system", "manager"}, {"confirmed": "closed"}),
}

CASES = list(itertools.product(EXPECTED, STATUSES, ROLES))


def _case_id(case):
    return "-".join(case)


@pytest.mark.parametrize(("action", "status", "role"), CASES, ids=[_case_id(c) for c in CASES])
def test_every_action_status_and_role_matches_the_spec_table(action, status, role):
    roles, moves = EXPECTED[action]
    if role not in roles:
        with pytest.raises(Forbidden):
            next_status(action, status, role)
    elif status not in moves:
        with pytest.raises(InvalidTransition) as caught:
            next_status(action, status, role)
        assert caught.value.current_status == status
        assert caught.value.extra["current_status"] == status
        assert caught.value.http_status == 409
    else:
        assert next_status(action, status, role) == moves[status]


def test_role_is_checked_before_status():
    # an auditor asking to triage a closed ticket hears "forbidden", not "wrong state"
    with pytest.raises(Forbidden):
        next_status("triage_accept", "closed", "auditor")


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown ticket action"):
        next_status("teleport", "submitted", "manager")


def test_final_statuses_allow_nothing_to_anyone():
    for status, role in itertools.product(("closed", "rejected", "cancelled"), ROLES):
        for action in EXPECTED:
            with pytest.raises((Forbidden, InvalidTransition)):
                next_status(action, status, role)


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("submitted", "manager", {"triage_accept", "triage_reject", "cancel"}),
        ("submitted", "firm", {"cancel"}),
        ("submitted", "meister", set()),
        ("triaged", "manager", {"assign", "cancel"}),
        ("assigned", "meister", {"accept", "decline"}),
        ("assigned", "firm", {"cancel"}),
        ("in_progress", "meister", {"resolve"}),
        ("in_progress", "manager", {"cancel"}),
        ("resolved", "firm", {"confirm", "reopen"}),
        ("resolved", "system", {"confirm"}),
        ("resolved", "manager", set()),
        ("closed", "manager", set()),
        ("rejected", "firm", set()),
        ("cancelled", "manager", set()),
    ],
)
def test_allowed_actions_names_the_buttons_a_role_gets(status, role, expected):
    assert set(allowed_actions(status, role)) == expected


@pytest.mark.parametrize(("status", "role"), list(itertools.product(STATUSES, ROLES)))
def test_allowed_actions_agree_with_the_spec_table(status, role):
    # "close" follows the claim; it is never offered as a ticket button
    expected = {
        action
        for action, (roles, moves) in EXPECTED.items()
        if role in roles and status in moves and action != "close"
    }
    assert set(allowed_actions(status, role)) == expected


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_never_get_an_action(role):
    assert all(allowed_actions(status, role) == [] for status in STATUSES)


@pytest.mark.parametrize(
    ("category", "support_type"),
    [
        ("breakdown", "emergency"),
        ("defect", "emergency"),
        ("component_replacement", "emergency"),
        ("upgrade", "growth"),
    ],
)
def test_support_type_follows_the_category(category, support_type):
    assert support_type_for(category) == support_type
