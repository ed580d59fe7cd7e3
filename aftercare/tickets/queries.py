"""Ticket reads for pages and the API: scoped lists, filters, timelines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, Text, bindparam, cast, column, select, table, text

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.core.pagination import Page, keyset_page, newest_first, page_of
from aftercare.domain.errors import Forbidden
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory
from aftercare.tickets.schemas import TicketSchema


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
    def from_args(
        cls, args: dict[str, Any], resolve: Callable[[str, Any], int | None] | None = None
    ) -> TicketFilters:
        """`resolve(kind, value)` turns a firm or Meister filter into an id (pages pass
        the choosers', which also take a name); without it the value must be an id."""
        resolve = resolve or id_only
        breached = args.get("sla_breached")
        return cls(
            status=args.get("status") or None,
            category=args.get("category") or None,
            severity=args.get("severity") or None,
            firm_id=resolve("firms", args.get("firm_id")),
            meister_id=resolve("meisters", args.get("meister_id")),
            q=(args.get("q") or "").strip() or None,
            sla_breached=None
            if breached in (None, "")
            else str(breached).lower() in ("1", "true", "yes", "on"),
        )


def id_only(_kind: str, value: Any) -> int | None:
    """A filter's value as an id; anything else matches nothing (never everything)."""
    text = str(value or "").strip()
    if not text:
        return None
    return min(int(text), MAX_ID) if text.isascii() and text.isdigit() else MAX_ID


TICKET = Ticket.__table__  # Core columns: list rows are plain rows, not ORM objects
SCOPES = {"firm": TICKET.c.firm_id, "meister": TICKET.c.meister_id}


def scoped_tickets(actor: User, stmt: Select | None = None) -> Select:
    """Every ticket `actor` may see: their firm's, their assignments, or all.

    `stmt` (default: the Ticket entity) is the select over the ticket table to narrow.
    """
    stmt = select(Ticket) if stmt is None else stmt
    scope, value = scope_of(actor)
    return stmt if scope is None else stmt.where(SCOPES[scope] == value)


def scope_of(actor: User) -> tuple[str | None, int | None]:
    """(column name narrowing the actor's tickets, its value); (None, None) for all."""
    if actor.role == "firm":
        return "firm", actor.firm_id
    if actor.role == "meister":
        return "meister", actor.id
    if actor.role in ("manager", "auditor"):
        return None, None
    raise Forbidden("Administrators do not see tickets")


# Filters compared for equality.
EQUALS = ("status", "category", "severity", "firm_id", "meister_id")
# SQLite's FTS5 index of ticket texts (a virtual table: not part of the models).
TICKET_FTS = table("ticket_fts", column("rowid", Integer))


def filtered(stmt: Select, filters: TicketFilters) -> Select:
    """`stmt` (a select over the ticket table) narrowed by `filters`."""
    for name in EQUALS:
        value = getattr(filters, name)
        if value:
            stmt = stmt.where(TICKET.c[name] == value)
    if filters.sla_breached is not None:
        stmt = stmt.where(TICKET.c.sla_breached == filters.sla_breached)
    if filters.q:
        stmt = _searched(stmt, filters.q)
    return stmt


def _searched(stmt: Select, q: str) -> Select:
    """Up to five words, each in the ticket's text (case-insensitive).

    SQLite answers words of 3+ characters from its FTS5 trigram index and checks
    shorter ones with LIKE on the rows the index narrowed; PostgreSQL's trigram GIN
    index serves every LIKE.
    """
    words = q.lower().split()[:5]
    if db.session.get_bind().dialect.name == "sqlite":
        indexed = [w for w in words if len(w) >= 3]
        if indexed:
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
            fts = text("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :match")
            stmt = stmt.where(TICKET.c.id.in_(fts.bindparams(match=match).columns(rowid=Integer)))
        words = [w for w in words if len(w) < 3]
    for word in words:
        stmt = stmt.where(TICKET.c.search_text.like(_like(word), escape="\\"))
    return stmt


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What the ticket JSON (and the list page) shows: the fields of the documented schema.
# The firm's name and the claim summary come along from their tables; long texts
# nobody lists (search text, resolution notes) stay behind.
JSON_COLUMNS = tuple(name for name in TicketSchema().fields if name in TICKET.c)


def _json_rows() -> Select:
    """The ticket columns of the JSON, its firm's name and its claim summary (Core only)."""
    ticket, firm, claim = TICKET, Firm.__table__, Claim.__table__
    return select(
        *(ticket.c[name] for name in JSON_COLUMNS),
        cast(ticket.c.tags, Text).label("tags_json"),  # the stored JSON text, not parsed
        firm.c.name.label("firm_name"),
        claim.c.id.label("claim_id"),
        claim.c.status.label("claim_status"),
        claim.c.eligible_total.label("claim_eligible_total"),
        claim.c.government_share.label("claim_government_share"),
    ).select_from(
        ticket.join(firm, firm.c.id == ticket.c.firm_id).outerjoin(
            claim, claim.c.ticket_id == ticket.c.id
        )
    )


# Built once: every list and detail call starts from it.
JSON_ROWS = _json_rows()
# One ticket by id, per scope (all, a firm's, a Meister's): a fixed statement, so its
# SQL and cache key are made once, not on every detail call.
TICKET_BY_ID = {
    scope: JSON_ROWS.where(TICKET.c.id == bindparam("ticket_id")).where(
        *(() if scope is None else (SCOPES[scope] == bindparam("scope_value"),))
    )
    for scope in (None, *SCOPES)
}


def ticket_page(actor: User, filters: TicketFilters, limit: int, cursor: str | None) -> Page:
    """One page of the actor's tickets (newest first) as plain rows for `serialize`."""
    stmt = filtered(scoped_tickets(actor, JSON_ROWS), filters)
    rows = db.session.execute(newest_first(stmt, TICKET.c.id, limit, cursor)).all()
    return page_of(rows, limit)


def ticket_row(actor: User, ticket_id: int) -> Any:
    """One ticket as a plain row if `actor` may see it, else None (existence not revealed)."""
    scope, value = scope_of(actor)
    params = {"ticket_id": ticket_id, "scope_value": value}
    return db.session.execute(TICKET_BY_ID[scope], params).first()


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
    """The ticket's claim as a plain row (id, status), or None."""
    claim = Claim.__table__
    return db.session.execute(
        select(claim.c.id, claim.c.status).where(claim.c.ticket_id == ticket_id)
    ).first()
