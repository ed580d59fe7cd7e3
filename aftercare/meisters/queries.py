"""Meister reads: profiles with their derived load and rating."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from aftercare.domain.states import Status
from aftercare.extensions import db
from aftercare.meisters.models import MeisterProfile
from aftercare.tickets.models import Ticket

LOAD_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


def profile_by_user(user_id: int) -> MeisterProfile | None:
    return db.session.scalar(select(MeisterProfile).where(MeisterProfile.user_id == user_id))


def loads(user_ids: list[int] | None = None) -> dict[int, int]:
    """Open tickets (assigned or in progress) per Meister."""
    stmt = (
        select(Ticket.meister_id, func.count(Ticket.id))
        .where(Ticket.status.in_(LOAD_STATUSES), Ticket.meister_id.is_not(None))
        .group_by(Ticket.meister_id)
    )
    if user_ids is not None:
        stmt = stmt.where(Ticket.meister_id.in_(user_ids))
    return dict(db.session.execute(stmt).all())


def ratings(user_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Average rating per Meister, to two decimals (only rated tickets count)."""
    stmt = (
        select(Ticket.meister_id, func.sum(Ticket.rating), func.count(Ticket.rating))
        .where(Ticket.rating.is_not(None), Ticket.meister_id.is_not(None))
        .group_by(Ticket.meister_id)
    )
    if user_ids is not None:
        stmt = stmt.where(Ticket.meister_id.in_(user_ids))
    return {
        meister_id: (Decimal(int(total)) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for meister_id, total, count in db.session.execute(stmt).all()
        if count
    }


def loads_and_ratings(user_ids: list[int]) -> dict[int, tuple[int, Decimal | None]]:
    load_by, rating_by = loads(user_ids), ratings(user_ids)
    return {uid: (load_by.get(uid, 0), rating_by.get(uid)) for uid in user_ids}
