"""Aggregates for the role dashboards (computed in SQL, a few queries per page)."""

from __future__ import annotations

from sqlalchemy import func, select

from aftercare.cache import cached_for
from aftercare.claims.models import Claim
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.models import Visit
from aftercare.tickets.models import Ticket

QUEUE_SIZE = 10


def triage_queue() -> list[Ticket]:
    """Submitted tickets, the most urgent deadline first."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.status == "submitted")
            .order_by(Ticket.triage_due_at, Ticket.id)
            .limit(QUEUE_SIZE)
        )
    )


def approval_queue() -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim).where(Claim.status == "pending").order_by(Claim.id).limit(QUEUE_SIZE)
        )
    )


@cached_for()
def open_breaches() -> int:
    """Open tickets flagged past their SLA."""
    return db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.sla_breached.is_(True), Ticket.status.not_in(("closed", "rejected", "cancelled"))
        )
    )


@cached_for()
def status_counts() -> dict[str, int]:
    return dict(
        db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    )


def spending_by(column, fiscal_year_id: int | None) -> list[tuple[str, int]]:
    """Government share of approved and settled claims, grouped by a firm or ticket column."""
    stmt = (
        select(column, func.sum(Claim.government_share))
        .join(Ticket, Ticket.id == Claim.ticket_id)
        .join(Firm, Firm.id == Claim.firm_id)
        .where(Claim.status.in_(("approved", "settled")))
        .group_by(column)
        .order_by(func.sum(Claim.government_share).desc())
    )
    if fiscal_year_id is not None:
        stmt = stmt.where(Claim.fiscal_year_id == fiscal_year_id)
    return [(key, int(total or 0)) for key, total in db.session.execute(stmt).all()]


@cached_for()
def spending_by_region(fiscal_year_id: int | None) -> list[tuple[str, int]]:
    return spending_by(Firm.region, fiscal_year_id)


@cached_for()
def spending_by_category(fiscal_year_id: int | None) -> list[tuple[str, int]]:
    return spending_by(Ticket.category, fiscal_year_id)


def firm_open_tickets(firm_id: int) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.firm_id == firm_id, Ticket.status.not_in(("closed", "rejected", "cancelled"))
            )
            .order_by(Ticket.id.desc())
            .limit(QUEUE_SIZE)
        )
    )


def meister_queue(meister_id: int) -> list[Ticket]:
    """Assigned and in-progress tickets, by resolution due time."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.meister_id == meister_id, Ticket.status.in_(("assigned", "in_progress")))
            .order_by(Ticket.resolution_due_at, Ticket.id)
            .limit(50)
        )
    )


def meister_recent_visits(meister_id: int) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.meister_id == meister_id)
            .order_by(Visit.id.desc())
            .limit(QUEUE_SIZE)
        )
    )


def meister_ratings(meister_id: int) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.meister_id == meister_id, Ticket.rating.is_not(None))
            .order_by(Ticket.confirmed_at.desc())
            .limit(QUEUE_SIZE)
        )
    )
