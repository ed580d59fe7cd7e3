"""Report rows for the ticket and claim exports (same filters and scope as the lists)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.core.exports import streamed
from aftercare.domain.time import to_seoul
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket
from aftercare.tickets.queries import TicketFilters, filtered, scoped_tickets

TICKET_COLUMNS = (
    "id",
    "filed_at_kst",
    "firm_id",
    "firm_name",
    "category",
    "severity",
    "status",
    "support_type",
    "meister_id",
    "sla_breached",
    "project_deadline",
    "title",
)
CLAIM_COLUMNS = (
    "id",
    "ticket_id",
    "firm_id",
    "firm_name",
    "support_type",
    "status",
    "fiscal_year_id",
    "eligible_total_won",
    "government_share_won",
    "firm_share_won",
    "limited_by",
)


def ticket_rows(actor: User, filters: TicketFilters) -> Iterator[tuple[Any, ...]]:
    """The actor's tickets matching `filters`, newest first, streamed from the database."""
    ids = filtered(scoped_tickets(actor), filters).with_only_columns(Ticket.id).scalar_subquery()
    stmt = (
        select(
            Ticket.id,
            Ticket.created_at,
            Ticket.firm_id,
            Firm.name,
            Ticket.category,
            Ticket.severity,
            Ticket.status,
            Ticket.support_type,
            Ticket.meister_id,
            Ticket.sla_breached,
            Ticket.project_deadline,
            Ticket.title,
        )
        .join(Firm, Firm.id == Ticket.firm_id)
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id.desc())
    )
    for row in streamed(stmt):
        yield (
            row[0],
            to_seoul(row[1]).strftime("%Y-%m-%d %H:%M"),
            *row[2:9],
            bool(row[9]),
            row[10].isoformat() if row[10] else "",
            row[11],
        )


def claim_rows(actor: User, status: str | None) -> Iterator[tuple[Any, ...]]:
    stmt = select(
        Claim.id,
        Claim.ticket_id,
        Claim.firm_id,
        Firm.name,
        Claim.support_type,
        Claim.status,
        Claim.fiscal_year_id,
        Claim.eligible_total,
        Claim.government_share,
        Claim.firm_share,
        Claim.limited_by,
    ).join(Firm, Firm.id == Claim.firm_id)
    if actor.role == "firm":
        stmt = stmt.where(Claim.firm_id == actor.firm_id)
    if status:
        stmt = stmt.where(Claim.status == status)
    for row in streamed(stmt.order_by(Claim.id.desc())):
        yield tuple(row)
