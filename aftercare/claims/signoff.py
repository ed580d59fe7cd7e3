"""The firm's sign-off: confirm with a rating (creating the claim) or reopen."""

from __future__ import annotations

from aftercare.auth.models import User
from aftercare.claims.services import create_claim
from aftercare.db import utcnow
from aftercare.domain.errors import Forbidden, ValidationFailed
from aftercare.domain.states import Status, next_status
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.notifications.services import manager_ids
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import notify_event, ticket_for, transition


def _firm_ticket(actor: User, ticket_id: int) -> Ticket:
    ticket = ticket_for(actor, ticket_id, lock=True)
    if actor.role != "firm":
        raise Forbidden("Only the ticket's firm may sign off the work")
    return ticket


def confirm_ticket(actor: User, ticket_id: int, rating: object, comment: str = "") -> Ticket:
    """Confirm resolved work with a 1–5 rating; the cost-share claim is created pending."""
    ticket = _firm_ticket(actor, ticket_id)
    next_status("confirm", ticket.status, actor.role)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationFailed({"rating": [N_("Rate the work from 1 to 5.")]})
    comment = (comment or "").strip()
    if len(comment) > 10_000:
        raise ValidationFailed({"comment": [N_("The text is too long.")]})
    _confirm(ticket, actor, rating, comment)
    db.session.commit()
    return ticket


def _confirm(ticket: Ticket, actor: User | None, rating: int | None, comment: str) -> None:
    transition(ticket, actor, "confirm", comment, {"rating": rating} if rating else {"auto": True})
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.confirmed_at = utcnow()
    create_claim(ticket, actor)
    notify_event(
        ticket, "confirmed", [*manager_ids(), *([ticket.meister_id] if ticket.meister_id else [])]
    )


def reopen_ticket(actor: User, ticket_id: int, reason: str) -> Ticket:
    """Send resolved work back to the Meister, with a reason."""
    ticket = _firm_ticket(actor, ticket_id)
    next_status("reopen", ticket.status, actor.role)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("Give a reason.")]})
    transition(ticket, actor, "reopen", reason)
    ticket.resolved_at = None
    notify_event(ticket, "reopened", [ticket.meister_id] if ticket.meister_id else [])
    db.session.commit()
    return ticket


def confirm_by_system(ticket_id: int) -> bool:
    """Auto-confirm a resolved ticket (no rating); False when it is no longer resolved."""
    ticket = db.session.get(Ticket, ticket_id, with_for_update={"of": Ticket})
    if ticket is None or ticket.status != Status.RESOLVED:
        db.session.rollback()
        return False
    _confirm(ticket, None, None, "")
    db.session.commit()
    return True
