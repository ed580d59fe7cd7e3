"""Suggesting and assigning Smart Meisters (SPEC §4)."""

from __future__ import annotations

from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.domain.errors import Conflict, Forbidden, ValidationFailed
from aftercare.domain.ranking import Candidate, Suggestion, rank
from aftercare.domain.states import next_status
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.meisters.models import MeisterProfile, TicketDecline
from aftercare.meisters.queries import loads, ratings
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import notify_event, ticket_for, transition


def declined_by(ticket_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(TicketDecline.meister_id).where(TicketDecline.ticket_id == ticket_id)
        )
    )


def candidates() -> list[Candidate]:
    """Every Meister profile with its load and rating (three queries, whatever the count)."""
    profiles = db.session.scalars(select(MeisterProfile)).all()
    load_by, rating_by = loads(), ratings()
    return [
        Candidate(
            meister_id=p.user_id,
            name=p.user.name,
            specialties=frozenset(p.specialties),
            regions=frozenset(p.regions),
            load=load_by.get(p.user_id, 0),
            max_load=p.max_load,
            rating=rating_by.get(p.user_id),
            active=p.active and p.user.active,
        )
        for p in profiles
    ]


def suggest_meisters(actor: User, ticket_id: int) -> list[Suggestion]:
    """The top 5 Meisters for a ticket, with score and reasons."""
    ticket = ticket_for(actor, ticket_id)
    if actor.role != "manager":
        raise Forbidden("Only programme managers assign Meisters")
    return rank(candidates(), ticket.tags, ticket.firm.region, declined_by(ticket.id))


def assign_meister(actor: User, ticket_id: int, meister_id: int, force_reason: str = "") -> Ticket:
    """Assign a triaged ticket; a Meister at maximum load only with a force reason."""
    ticket = ticket_for(actor, ticket_id, lock=True)
    if actor.role != "manager":
        raise Forbidden("Only programme managers assign Meisters")
    next_status("assign", ticket.status, actor.role)  # 409 before checking the Meister
    transition_check = ticket.status
    profile = db.session.scalar(
        select(MeisterProfile)
        .where(MeisterProfile.user_id == meister_id)
        .with_for_update(of=MeisterProfile)
    )
    if profile is None or not profile.active or not profile.user.active:
        raise ValidationFailed({"meister_id": [N_("Choose an active Smart Meister.")]})
    force_reason = (force_reason or "").strip()
    load = loads([meister_id]).get(meister_id, 0)
    details: dict = {"meister_id": meister_id, "load": load}
    if load >= profile.max_load:
        if not force_reason:
            raise Conflict(
                "The Meister is at maximum load; give a force reason to assign anyway",
                reason="meister_at_max_load",
                current_status=transition_check,
            )
        details["forced"] = True
    if meister_id in declined_by(ticket.id):
        if not force_reason:
            raise Conflict(
                "This Meister declined the ticket; give a force reason to assign again",
                reason="meister_declined",
                current_status=transition_check,
            )
        details["forced"] = True
    transition(ticket, actor, "assign", force_reason, details)
    ticket.meister_id = meister_id
    notify_event(ticket, "assigned", [meister_id])
    db.session.commit()
    return ticket
