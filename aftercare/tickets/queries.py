"""Ticket reads for pages and the API: scoped lists, filters, timelines."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, Text, bindparam, cast, column, select, table, text

from aftercare.auth.viewer import Viewer
from aftercare.domain.errors import Forbidden
from aftercare.domain.states import CATEGORIES, SEVERITIES, Status
from aftercare.extensions import db
from aftercare.pagination import MAX_ID, Page, decode_cursor, keyset_page, page_of
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


TICKET = Ticket.__table__  # Core columns: statements of plain rows skip the ORM layer
SCOPES = {"firm": TICKET.c.firm_id, "meister": TICKET.c.meister_id}


def scoped_tickets(actor: Viewer, stmt: Select | None = None) -> Select:
    """Every ticket `actor` may see: their firm's, their assignments, or all.

    `stmt` (default: the Ticket entity) is the select over the ticket table to narrow.
    """
    stmt = select(Ticket) if stmt is None else stmt
    scope, value = scope_of(actor)
    return stmt if scope is None else stmt.where(SCOPES[scope] == value)


def scope_of(actor: Viewer) -> tuple[str | None, int | None]:
    """(column name narrowing the actor's tickets, its value); (None, None) for all."""
    if actor.role == "firm":
        return "firm", actor.firm_id
    if actor.role == "meister":
        return "meister", actor.id
    if actor.role in ("manager", "auditor"):
        return None, None
    raise Forbidden("Administrators do not see tickets")


def scope_key(actor: Viewer) -> tuple[str, str | None, int | None]:
    """What of `actor` decides which tickets they see and how: role, scope and its value."""
    return (actor.role, *scope_of(actor))


def filtered(stmt: Select, filters: TicketFilters) -> Select:
    """`stmt` narrowed by `filters`, the values bound into it (exports and other one-off reads)."""
    shape, values = filter_shape(filters, db.session.get_bind().dialect.name)
    return stmt.where(*conditions(shape)).params(values)


# Filters compared for equality, in a fixed order: the order of the statement's WHERE.
EQUALS = ("status", "category", "severity", "firm_id", "meister_id", "sla_breached")
# Filters over a fixed vocabulary are written into the SQL (see `conditions`); a value
# outside it becomes one that no ticket has, so the texts stay few.
VOCABULARY = {
    "status": frozenset(Status),
    "category": frozenset(CATEGORIES),
    "severity": frozenset(SEVERITIES),
}
NO_SUCH_VALUE = ""


def filter_shape(filters: TicketFilters, dialect: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The filters as a shape (which conditions apply) and the values bound to them.

    Statements are cached by shape, so a list request only binds values: building
    and hashing the statement anew cost as much as running it.
    """
    shape: list[str] = []
    values: dict[str, Any] = {}
    for name in EQUALS:
        value = getattr(filters, name)
        if value or (name == "sla_breached" and value is not None):
            if name in VOCABULARY and value not in VOCABULARY[name]:
                value = NO_SUCH_VALUE
            shape.append(name)
            values[f"f_{name}"] = value
    if filters.q:
        words = filters.q.lower().split()[:5]
        if dialect == "sqlite":
            # SQLite answers words of 3+ characters from the FTS5 trigram index; shorter
            # words are checked with LIKE on the rows the index already narrowed.
            indexed = [w for w in words if len(w) >= 3]
            if indexed:
                shape.append("fts")
                values["f_fts"] = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
            words = [w for w in words if len(w) < 3]
        # PostgreSQL's trigram GIN index serves the LIKE.
        for n, word in enumerate(words):
            shape.append(f"like{n}")
            values[f"f_like{n}"] = _like(word)
    return tuple(shape), values


def conditions(shape: tuple[str, ...]) -> list[Any]:
    """The WHERE conditions of a filter shape, with bound parameters named f_<name>.

    Vocabulary values (status, category, severity) are written into the SQL at
    execution: PostgreSQL then keeps one plan per value, where with a parameter it
    planned the filtered list afresh on every request. Text search stays a parameter,
    planned per pattern: a rare word wants the trigram index, a common one does not.
    """
    clauses = []
    for name in shape:
        if name == "fts":
            fts = text("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :f_fts")
            clauses.append(TICKET.c.id.in_(fts.columns(rowid=Integer)))
        elif name.startswith("like"):
            clauses.append(TICKET.c.search_text.like(bindparam(f"f_{name}"), escape="\\"))
        else:
            value = bindparam(f"f_{name}", literal_execute=name in VOCABULARY)
            clauses.append(TICKET.c[name] == value)
    return clauses


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What the ticket JSON (and the list page) shows: the firm's name and the claim summary
# come along; long texts nobody lists (search text, resolution notes) stay behind.
JSON_COLUMNS = (
    "id",
    "firm_id",
    "category",
    "support_type",
    "severity",
    "title",
    "description",
    "system",
    "status",
    "meister_id",
    "asset_id",
    "sla_breached",
    "project_overdue",
    "project_deadline",
    "deadline_extended",
    "created_at",
    "updated_at",
    "triage_due_at",
    "resolution_due_at",
    "resolved_at",
    "rating",
)


@functools.cache
def _json_rows() -> Select:
    """The ticket columns of the JSON, its firm's name and its claim summary (Core only)."""
    from aftercare.claims.models import Claim
    from aftercare.firms.models import Firm

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


# SQLite's FTS5 index of ticket texts (a virtual table: not part of the models).
TICKET_FTS = table("ticket_fts", column("rowid", Integer))


@functools.lru_cache(maxsize=512)
def _page_statement(scope: str | None, shape: tuple[str, ...], after: bool, limit: int) -> Select:
    """One list statement per (scope, filter shape, cursor or not, limit), built once.

    A text search on SQLite joins the FTS5 index and pages by its rowid (the ticket
    id): FTS5 hands matches over newest first and stops at the limit, where an
    `IN (matches)` read every match of a common word first.
    """
    stmt = _json_rows()
    if scope is not None:
        stmt = stmt.where(SCOPES[scope] == bindparam("scope"))
    order = TICKET.c.id
    if "fts" in shape:
        stmt = stmt.join(TICKET_FTS, TICKET_FTS.c.rowid == TICKET.c.id).where(
            text("ticket_fts MATCH :f_fts")
        )
        order = TICKET_FTS.c.rowid
        shape = tuple(name for name in shape if name != "fts")
    stmt = stmt.where(*conditions(shape))
    if after:
        stmt = stmt.where(order < bindparam("after"))
    return stmt.order_by(order.desc()).limit(limit + 1)


def ticket_page(actor: Viewer, filters: TicketFilters, limit: int, cursor: str | None) -> Page:
    """One page of the actor's tickets as plain rows with firm name and claim summary.

    Rows, not ORM objects: building objects cost a third of a list request.
    """
    scope, scope_value = scope_of(actor)
    shape, values = filter_shape(filters, db.session.get_bind().dialect.name)
    after = decode_cursor(cursor)
    stmt = _page_statement(scope, shape, after is not None, limit)
    rows = db.session.execute(stmt, {"scope": scope_value, "after": after, **values}).all()
    return page_of(rows, limit)


@functools.lru_cache(maxsize=8)
def _row_statement(scope: str | None) -> Select:
    stmt = _json_rows().where(TICKET.c.id == bindparam("ticket_id"))
    return stmt if scope is None else stmt.where(SCOPES[scope] == bindparam("scope"))


def ticket_row(actor: Viewer, ticket_id: int) -> Any:
    """One ticket as a plain row if `actor` may see it, else None (existence not revealed)."""
    scope, scope_value = scope_of(actor)
    return db.session.execute(
        _row_statement(scope), {"ticket_id": ticket_id, "scope": scope_value}
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
    """The ticket's claim as a plain row (id, status), or None."""
    from aftercare.claims.models import Claim

    claim = Claim.__table__
    return db.session.execute(
        select(claim.c.id, claim.c.status).where(claim.c.ticket_id == ticket_id)
    ).first()
