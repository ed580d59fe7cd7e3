"""The assigned Meister's work: accept or decline, log visits with costs, resolve."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.domain.errors import Conflict, Forbidden, ValidationFailed
from aftercare.domain.money import DEFAULT_ELIGIBLE, line_amount, validate_cost_line
from aftercare.domain.states import Status, next_status
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today, to_seoul
from aftercare.extensions import db
from aftercare.meisters.evidence import apply_evidence, evidence_errors
from aftercare.meisters.models import CostLine, TicketDecline, Visit
from aftercare.notifications.services import firm_user_ids, manager_ids
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import notify_event, ticket_for, transition, write_history

MAX_LINES = 50


def _assigned_ticket(actor: User, ticket_id: int) -> Ticket:
    """The ticket, locked, if `actor` is its assigned Meister (others: 404 or 403)."""
    ticket = ticket_for(actor, ticket_id, lock=True)
    if actor.role != "meister":
        raise Forbidden("Only the assigned Smart Meister may do this")
    return ticket


def accept_ticket(actor: User, ticket_id: int) -> Ticket:
    ticket = _assigned_ticket(actor, ticket_id)
    transition(ticket, actor, "accept")
    notify_event(ticket, "accepted", firm_user_ids(ticket.firm_id))
    db.session.commit()
    return ticket


def decline_ticket(actor: User, ticket_id: int, reason: str) -> Ticket:
    """Decline: back to the triage queue, and this Meister is not suggested again."""
    ticket = _assigned_ticket(actor, ticket_id)
    next_status("decline", ticket.status, actor.role)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("Give a reason.")]})
    transition(ticket, actor, "decline", reason, {"meister_id": actor.id})
    ticket.meister_id = None
    if (
        db.session.scalar(
            select(TicketDecline.id).where(
                TicketDecline.ticket_id == ticket.id, TicketDecline.meister_id == actor.id
            )
        )
        is None
    ):
        db.session.add(TicketDecline(ticket_id=ticket.id, meister_id=actor.id, reason=reason))
    notify_event(ticket, "declined", manager_ids())
    db.session.commit()
    return ticket


def parse_hours(raw: Any) -> Decimal | None:
    try:
        hours = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite() or hours <= 0 or hours > 24 or hours != hours.quantize(Decimal("0.1")):
        return None
    return hours


def validate_visit(
    ticket: Ticket, visited_on: Any, hours: Any, notes: str, lines: list[dict[str, Any]]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    filed_on = to_seoul(ticket.created_at).date()
    if not isinstance(visited_on, date):
        errors["visited_on"] = [N_("Enter the visit date.")]
    elif visited_on > seoul_today():
        errors["visited_on"] = [N_("The visit date cannot be in the future.")]
    elif visited_on < filed_on:
        errors["visited_on"] = [N_("The visit date cannot be before the ticket was filed.")]
    if parse_hours(hours) is None:
        errors["hours"] = [N_("Hours on site must be more than 0 and at most 24 (one decimal).")]
    if len(notes or "") > 10_000:
        errors["notes"] = [N_("The text is too long.")]
    if len(lines) > MAX_LINES:
        errors["cost_lines"] = [N_("At most 50 cost lines per visit.")]
    for index, line in enumerate(lines):
        problems = validate_cost_line(
            line.get("kind"),
            line.get("description") or "",
            line.get("quantity"),
            line.get("unit_price"),
        )
        if problems:
            errors[f"cost_lines.{index}"] = problems
        elif found := evidence_errors(
            ticket, line_amount(line["quantity"], line["unit_price"]), line, seoul_today()
        ):
            errors |= {f"cost_lines.{index}.{name}": messages for name, messages in found.items()}
    return errors


def log_visit(
    actor: User,
    ticket_id: int,
    visited_on: date,
    hours: Any,
    notes: str,
    cost_lines: list[dict[str, Any]],
) -> Visit:
    """Record a visit and its cost lines (in progress tickets only)."""
    ticket = _assigned_ticket(actor, ticket_id)
    if ticket.status != Status.IN_PROGRESS:
        raise Conflict(
            "Visits are logged while the ticket is in progress",
            reason="invalid_transition",
            current_status=ticket.status,
        )
    if errors := validate_visit(ticket, visited_on, hours, notes, cost_lines):
        raise ValidationFailed(errors)
    visit = Visit(
        ticket_id=ticket.id,
        meister_id=actor.id,
        visited_on=visited_on,
        hours=parse_hours(hours),
        notes=(notes or "").strip(),
        created_at=utcnow(),
    )
    db.session.add(visit)
    db.session.flush()
    for line in cost_lines:
        cost_line = CostLine(
            visit_id=visit.id,
            ticket_id=ticket.id,
            kind=line["kind"],
            description=line["description"].strip(),
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            amount=line_amount(line["quantity"], line["unit_price"]),
            eligible=DEFAULT_ELIGIBLE[line["kind"]],
        )
        apply_evidence(cost_line, line)  # the invoice and payment, when given with the visit
        db.session.add(cost_line)
    db.session.flush()
    total = sum(line_amount(x["quantity"], x["unit_price"]) for x in cost_lines)
    write_history(
        ticket,
        actor,
        "visit",
        ticket.status,
        ticket.status,
        "",
        {"visit_id": visit.id, "visited_on": visited_on.isoformat(), "total": total},
    )
    db.session.commit()
    return visit


def resolve_ticket(actor: User, ticket_id: int, summary: str) -> Ticket:
    """Resolve with a summary; at least one visit must be logged."""
    ticket = _assigned_ticket(actor, ticket_id)
    next_status("resolve", ticket.status, actor.role)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed({"summary": [N_("Summarise the work done.")]})
    visits = db.session.scalar(select(func.count(Visit.id)).where(Visit.ticket_id == ticket.id))
    if not visits:
        raise Conflict(
            "Log at least one visit before resolving",
            reason="no_visit",
            current_status=ticket.status,
        )
    transition(ticket, actor, "resolve", summary)
    ticket.resolution_summary = summary
    ticket.resolved_at = utcnow()
    notify_event(ticket, "resolved", firm_user_ids(ticket.firm_id))
    db.session.commit()
    return ticket


def visits_of(ticket_id: int) -> list[Visit]:
    return list(
        db.session.scalars(select(Visit).where(Visit.ticket_id == ticket_id).order_by(Visit.id))
    )
