"""Which events notify which role, and how each is delivered unless a user chooses otherwise.

Users choose per event kind whether to get it in the app and by e-mail. Without a
choice of their own, everything shows in the app, and e-mail goes out for the events
that ask someone to act or that decide about money.
"""

from __future__ import annotations

from dataclasses import dataclass

# Event kind → the roles it is sent to (kept in step with the services that notify).
KIND_ROLES: dict[str, frozenset[str]] = {
    "ticket_filed": frozenset({"manager"}),
    "ticket_rejected": frozenset({"firm"}),
    "assigned": frozenset({"meister"}),
    "accepted": frozenset({"firm"}),
    "declined": frozenset({"manager"}),
    "resolved": frozenset({"firm"}),
    "confirmed": frozenset({"manager", "meister"}),
    "reopened": frozenset({"meister"}),
    "sla_breach": frozenset({"manager"}),
    "project_overdue": frozenset({"manager"}),
    "claim_approved": frozenset({"firm"}),
    "claim_rejected": frozenset({"firm"}),
    "reconciliation_breach": frozenset({"manager"}),
    "firm_payment_overdue": frozenset({"manager"}),
    "recovery_opened": frozenset({"manager", "firm"}),
    "recovery_decided": frozenset({"firm"}),
    "recovery_objection": frozenset({"manager"}),
    "recovery_objection_decided": frozenset({"firm"}),
    "recovery_due_soon": frozenset({"firm"}),
    "recovery_overdue": frozenset({"manager", "firm"}),
}
# Informational kinds: in the app only, unless the user asks for e-mail too.
QUIET_KINDS = frozenset({"accepted", "confirmed"})


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool


def kinds_for_role(role: str) -> list[str]:
    """The event kinds a user of `role` can receive, in a stable order."""
    return [kind for kind, roles in KIND_ROLES.items() if role in roles]


def default_channels(kind: str) -> Channels:
    """What a user gets of `kind` before choosing anything."""
    return Channels(in_app=True, email=kind not in QUIET_KINDS)
