"""The ticket lifecycle of SPEC §3 as one explicit state machine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aftercare.domain.errors import Forbidden, InvalidTransition

SYSTEM = "system"  # the scheduled jobs act as this role


class Status(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    roles: frozenset[str]


def _t(sources: set[Status], target: Status, roles: set[str]) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles))


TRANSITIONS: dict[str, Transition] = {
    "triage_accept": _t({Status.SUBMITTED}, Status.TRIAGED, {"manager"}),
    "triage_reject": _t({Status.SUBMITTED}, Status.REJECTED, {"manager"}),
    "assign": _t({Status.TRIAGED}, Status.ASSIGNED, {"manager"}),
    "accept": _t({Status.ASSIGNED}, Status.IN_PROGRESS, {"meister"}),
    "decline": _t({Status.ASSIGNED}, Status.TRIAGED, {"meister"}),
    "resolve": _t({Status.IN_PROGRESS}, Status.RESOLVED, {"meister"}),
    "confirm": _t({Status.RESOLVED}, Status.CONFIRMED, {"firm", SYSTEM}),
    "reopen": _t({Status.RESOLVED}, Status.IN_PROGRESS, {"firm"}),
    "cancel": _t(set(OPEN_STATUSES), Status.CANCELLED, {"firm", "manager"}),
    "close": _t({Status.CONFIRMED}, Status.CLOSED, {SYSTEM, "manager"}),
}


def next_status(action: str, current: str, role: str) -> Status:
    """The status `action` leads to, or Forbidden (role) / InvalidTransition (state)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValueError(f"unknown ticket action {action!r}")
    if role not in transition.roles:
        raise Forbidden(f"A {role} may not {action.replace('_', ' ')} a ticket")
    if current not in transition.sources:
        raise InvalidTransition(
            f"Cannot {action.replace('_', ' ')} a ticket that is {current}", current_status=current
        )
    return transition.target


def allowed_actions(current: str, role: str) -> list[str]:
    """Actions `role` may take from `current` (for showing the right buttons)."""
    return [
        action
        for action, t in TRANSITIONS.items()
        if current in t.sources and role in t.roles and action != "close"
    ]


def support_type_for(category: str) -> str:
    """Growth-linked for upgrades; emergency recovery for the rest (SPEC §2)."""
    return "growth" if category == "upgrade" else "emergency"


CATEGORIES = ("breakdown", "defect", "upgrade", "component_replacement")
SEVERITIES = ("critical", "high", "normal", "low")
SUPPORT_TYPES = ("emergency", "growth")
