"""Bulk actions on tickets: the selection rules and why a ticket was left out.

A bulk action is the single-ticket action run once per ticket; these pure helpers
check the selection and turn a refused ticket's error into a short reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from aftercare.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from aftercare.domain.text import N_
from aftercare.domain.vocab import MAX_ID

MAX_SELECTION = 100

ACTIONS = ("accept", "reject", "assign")

DONE_STATUSES = {
    # status the ticket is already in → reason, per bulk action kind
    "triage": {
        "triaged": N_("already triaged"),
        "rejected": N_("already rejected"),
        "assigned": N_("already triaged and assigned"),
        "in_progress": N_("already triaged and assigned"),
    },
    "assign": {
        "assigned": N_("already assigned"),
        "in_progress": N_("already assigned"),
        "submitted": N_("not triaged yet"),
    },
}
CONFLICT_REASONS = {
    "meister_at_max_load": N_("the Meister is at maximum load"),
    "meister_declined": N_("the Meister declined this ticket before"),
}


def selected_ids(raw: Iterable[int]) -> list[int]:
    """The ids in the order given, each once; ValidationFailed when none or too many."""
    ids = list(dict.fromkeys(raw))
    if any(not 1 <= i <= MAX_ID for i in ids):
        raise ValidationFailed(
            {"ticket_ids": [N_("Ticket numbers must be positive whole numbers.")]}
        )
    if not ids:
        raise ValidationFailed({"ticket_ids": [N_("Select at least one ticket.")]})
    if len(ids) > MAX_SELECTION:
        raise ValidationFailed(
            {"ticket_ids": [N_("Select at most 100 tickets at a time.")]},
        )
    return ids


def failure_reason(action: str, error: DomainError) -> tuple[str, dict[str, str]]:
    """A translatable reason (msgid and its parameters) for a ticket the action refused."""
    if isinstance(error, NotFound):
        return N_("no such ticket"), {}
    if isinstance(error, Forbidden):
        return N_("not allowed"), {}
    if isinstance(error, ValidationFailed):
        messages = [m for ms in error.errors.values() for m in ms]
        return (messages[0] if messages else N_("the input was not valid")), {}
    if isinstance(error, Conflict):
        if error.reason in CONFLICT_REASONS:
            return CONFLICT_REASONS[error.reason], {}
        status = str(error.extra.get("current_status", ""))
        group = "assign" if action == "assign" else "triage"
        if status in DONE_STATUSES[group]:
            return DONE_STATUSES[group][status], {}
        return N_("not possible while the ticket is %(status)s"), {"status": status}
    return N_("refused"), {}
