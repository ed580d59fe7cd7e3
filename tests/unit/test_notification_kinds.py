"""Which events reach which role, and their default channels."""

import pytest

from aftercare.domain.notification_kinds import (
    KIND_ROLES,
    default_channels,
    kinds_for_role,
)


@pytest.mark.parametrize(
    ("role", "kinds"),
    [
        (
            "firm",
            [
                "ticket_rejected",
                "accepted",
                "resolved",
                "claim_approved",
                "claim_rejected",
                "recovery_opened",
                "recovery_decided",
                "recovery_objection_decided",
                "recovery_due_soon",
                "recovery_overdue",
            ],
        ),
        ("meister", ["assigned", "confirmed", "reopened"]),
        ("auditor", []),
        ("admin", []),
    ],
)
def test_each_role_has_its_own_events(role, kinds):
    assert kinds_for_role(role) == kinds


def test_every_event_reaches_some_role():
    roles = {"firm", "meister", "manager"}
    assert all(KIND_ROLES[kind] <= roles and KIND_ROLES[kind] for kind in KIND_ROLES)


@pytest.mark.parametrize("kind", sorted(KIND_ROLES))
def test_everything_shows_in_the_app_by_default(kind):
    assert default_channels(kind).in_app


@pytest.mark.parametrize(
    ("kind", "email"),
    [("resolved", True), ("assigned", True), ("sla_breach", True), ("claim_rejected", True),
     ("accepted", False), ("confirmed", False), ("never_heard_of", True)],
)  # fmt: skip
def test_only_informational_events_skip_email_by_default(kind, email):
    assert default_channels(kind).email is email
