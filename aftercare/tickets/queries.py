"""Ticket reads for pages and the API: scoped lists, filters, timelines."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, select, text

from aftercare.auth.models import User
from aftercare.domain.errors import Forbidden
from aftercare.extensions import db
from aftercare.pagination import MAX_ID, Page, keyset_page
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory


@dataclass
class TicketFilters:
    status: str | None = None
    category: str | None = None
    severity: str | None = None
    firm_id: int | None = None
    meister_id: int | None = None
    q: str | None = None
    sla_breached: bool | None = None

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> TicketFilters:
        def as_int(value: Any) -> int | None:
            text = str(value or "")
            if not text.isascii() or not text.isdigit():
                return None
            return min(int(text), MAX_ID)  # past any real id: matches nothing

        breached = args.get("sla_breached")
        return cls(
            status=args.get("status") or None,
            category=args.get("category") or None,
            severity=args.get("severity") or None,
            firm_id=as_int(args.get("firm_id")),
            meister_id=as_int(args.get("meister_id")),
            q=(args.get("q") or "").strip() or None,
            sla_breached=None
            if breached in (None, "")
            else str(breached).lower() in ("1", "true", "yes", "on"),
        )


def scoped_tickets(actor: User, stmt: Select | None = None) -> Select:
    """Every ticket `actor` may see: their firm's, their assignments, or all.

    `stmt` (default: the Ticket entity) is the select over the ticket table to narrow.
    """
    stmt = select(Ticket) if stmt is None else stmt
    if actor.role == "firm":
        return stmt.where(Ticket.firm_id == actor.firm_id)
    if actor.role == "meister":
        return stmt.where(Ticket.meister_id == actor.id)
    if actor.role in ("manager", "auditor"):
        return stmt
    raise Forbidden("Administrators do not see tickets")


def filtered(stmt: Select, filters: TicketFilters) -> Select:
    if filters.status:
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.category:
        stmt = stmt.where(Ticket.category == filters.category)
    if filters.severity:
        stmt = stmt.where(Ticket.severity == filters.severity)
    if filters.firm_id:
        stmt = stmt.where(Ticket.firm_id == filters.firm_id)
    if filters.meister_id:
        stmt = stmt.where(Ticket.meister_id == filters.meister_id)
    if filters.sla_breached is not None:
        stmt = stmt.where(Ticket.sla_breached.is_(filters.sla_breached))
    if filters.q:
        stmt = _text_search(stmt, filters.q)
    return stmt


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_search(stmt: Select, q: str) -> Select:
    """Every word must appear in the ticket's text (case-insensitive substring).

    SQLite answers words of 3+ characters from the FTS5 trigram index; PostgreSQL's
    trigram GIN index serves the LIKE. Shorter words are checked with LIKE on the rows
    the index already narrowed.
    """
    words = q.lower().split()[:5]
    if db.session.get_bind().dialect.name == "sqlite":
        indexed = [w for w in words if len(w) >= 3]
        if indexed:
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
            fts = text("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :match")
            stmt = stmt.where(Ticket.id.in_(fts.bindparams(match=match).columns(rowid=Integer)))
        words = [w for w in words if len(w) < 3]
    for word in words:
        stmt = stmt.where(Ticket.search_text.like(_like(word), escape="\\"))
    return stmt


@functools.cache
def _json_rows() -> Select:
    """A ticket's columns, its firm's name and its claim summary (the API's ticket JSON).

    Built once: coercing thirty columns per request cost more than running the query.
    """
    from aftercare.claims.models import Claim
    from aftercare.firms.models import Firm

    return (
        select(
            *Ticket.__table__.c,
            Firm.name.label("firm_name"),
            Claim.id.label("claim_id"),
            Claim.status.label("claim_status"),
            Claim.eligible_total.label("claim_eligible_total"),
            Claim.government_share.label("claim_government_share"),
        )
        .select_from(Ticket)
        .join(Firm, Firm.id == Ticket.firm_id)
        .outerjoin(Claim, Claim.ticket_id == Ticket.id)
    )


def ticket_page(actor: User, filters: TicketFilters, limit: int, cursor: str | None) -> Page:
    """One page of the actor's tickets as plain rows with firm name and claim summary.

    Rows, not ORM objects: building objects cost a third of a list request.
    """
    stmt = filtered(scoped_tickets(actor, _json_rows()), filters)
    return keyset_page(stmt, Ticket.id, limit, cursor, as_rows=True)


def ticket_row(actor: User, ticket_id: int) -> Any:
    """One ticket as a plain row if `actor` may see it, else None (existence not revealed)."""
    return db.session.execute(
        scoped_tickets(actor, _json_rows()).where(Ticket.id == ticket_id)
    ).first()


def history_page(ticket_id: int, limit: int, cursor: str | None) -> Page:
    stmt = select(TicketHistory).where(TicketHistory.ticket_id == ticket_id)
    return keyset_page(stmt, TicketHistory.id, limit, cursor)


def comment_page(ticket_id: int, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        select(Comment).where(Comment.ticket_id == ticket_id), Comment.id, limit, cursor
    )


def attachments_of(ticket_id: int) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
    )


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # history | comment | attachment
    item: Any = field(repr=False)


def timeline(ticket_id: int, limit: int = 200) -> list[TimelineEntry]:
    """History, comments and attachments of one ticket, oldest first."""
    history = db.session.scalars(
        select(TicketHistory)
        .where(TicketHistory.ticket_id == ticket_id)
        .order_by(TicketHistory.id.desc())
        .limit(limit)
    ).all()
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.ticket_id == ticket_id)
        .order_by(Comment.id.desc())
        .limit(limit)
    ).all()
    entries = [TimelineEntry(h.created_at, "history", h) for h in history]
    entries += [TimelineEntry(c.created_at, "comment", c) for c in comments]
    entries += [TimelineEntry(a.created_at, "attachment", a) for a in attachments_of(ticket_id)]
    return sorted(entries, key=lambda e: e.at)


def claim_summary(ticket_id: int) -> Any:
    """The ticket's claim (id, status, eligible total, government share) or None."""
    from aftercare.claims.models import Claim

    return db.session.scalar(select(Claim).where(Claim.ticket_id == ticket_id).limit(1))
