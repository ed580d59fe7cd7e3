"""Bulk triage and bulk assignment: the single-ticket services, once per ticket.

Each ticket is its own transaction, so it gets its history row, audit event and
notifications exactly as if it had been done alone, and a refusal of one never
undoes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from aftercare.auth.models import User
from aftercare.domain.bulk import ACTIONS, failure_reason, selected_ids
from aftercare.domain.errors import DomainError, Forbidden, ValidationFailed
from aftercare.domain.ranking import Candidate
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.meisters.assignment import assign_meister, candidates
from aftercare.meisters.models import MeisterProfile
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import triage_ticket

BUSY = N_("the database was busy; try this ticket again")


@dataclass(frozen=True)
class BulkRequest:
    """What the manager asked for: an action, the tickets, and what the action needs."""

    action: str
    ticket_ids: list[int]
    reason: str = ""
    meister_id: int | None = None
    force_reason: str = ""


@dataclass
class Failure:
    ticket_id: int
    message: str  # a msgid, translated by the page
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class BulkOutcome:
    succeeded: list[int] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def check_request(actor: User, request: BulkRequest) -> BulkRequest:
    """The request with its selection cleaned; ValidationFailed names what is missing."""
    if actor.role != "manager":
        raise Forbidden("Only programme managers take bulk actions")
    errors: dict[str, list[str]] = {}
    try:
        ids = selected_ids(request.ticket_ids)
    except ValidationFailed as error:
        errors.update(error.errors)
        ids = []
    if request.action not in ACTIONS:
        errors["action"] = [N_("Choose an action.")]
    if request.action == "reject" and not request.reason.strip():
        errors["reason"] = [N_("Give a reason for rejecting.")]
    if request.action == "assign" and not _active_meister(request.meister_id):
        errors["meister_id"] = [N_("Choose an active Smart Meister.")]
    if errors:
        raise ValidationFailed(errors)
    return BulkRequest(
        request.action,
        ids,
        request.reason.strip(),
        request.meister_id,
        request.force_reason.strip(),
    )


def _active_meister(meister_id: int | None) -> bool:
    profile = db.session.scalar(select(MeisterProfile).where(MeisterProfile.user_id == meister_id))
    return profile is not None and profile.active and profile.user.active


def selected_tickets(ticket_ids: list[int]) -> dict[int, Ticket]:
    """The selected tickets that exist, by id (one query), for the confirmation page."""
    rows = db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))
    return {t.id: t for t in rows}


def _run_one(actor: User, request: BulkRequest, ticket_id: int) -> None:
    if request.action == "assign":
        assign_meister(actor, ticket_id, request.meister_id or 0, request.force_reason)
    else:
        reason = request.reason if request.action == "reject" else ""
        triage_ticket(actor, ticket_id, request.action, reason=reason)


def run_bulk(actor: User, request: BulkRequest) -> BulkOutcome:
    """Apply the action to each selected ticket on its own; report who succeeded and why not."""
    request = check_request(actor, request)
    outcome = BulkOutcome()
    for ticket_id in request.ticket_ids:
        try:
            _run_one(actor, request, ticket_id)
        except DomainError as error:
            db.session.rollback()  # this ticket only; the ones before are committed
            message, params = failure_reason(request.action, error)
            outcome.failed.append(Failure(ticket_id, message, params))
        except SQLAlchemyError:  # e.g. a deadlock victim: this ticket can simply be retried
            db.session.rollback()
            outcome.failed.append(Failure(ticket_id, BUSY, {}))
        else:
            outcome.succeeded.append(ticket_id)
    return outcome


def active_meisters() -> list[Candidate]:
    """Active Meisters by name, with their load, for the assignment select."""
    return sorted((c for c in candidates() if c.active), key=lambda c: (c.name, c.meister_id))
