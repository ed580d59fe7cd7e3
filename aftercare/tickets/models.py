"""Tickets, their history, comments and attachments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_firm_id_id", "firm_id", "id"),
        Index("ix_ticket_status_id", "status", "id"),
        Index("ix_ticket_meister_id_id", "meister_id", "id"),
        Index("ix_ticket_category_status_id", "category", "status", "id"),
        Index("ix_ticket_status_triage_due_at", "status", "triage_due_at"),
        Index("ix_ticket_meister_id_status", "meister_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    system: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    support_type: Mapped[str] = mapped_column(String(16))
    meister_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime)
    triage_due_at: Mapped[datetime] = mapped_column(DateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    project_started_on: Mapped[date | None] = mapped_column(Date)
    project_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    project_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    resolution_summary: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    # Lower-cased title, description, system and tags: what text search looks in.
    search_text: Mapped[str] = mapped_column(Text, default="")

    firm = relationship("Firm", lazy="joined", innerjoin=True)
    meister = relationship("User", foreign_keys=[meister_id], lazy="select")
    asset = relationship("Asset", lazy="select")
    # The cost-share claim, once the ticket is confirmed (loaded in bulk for lists).
    claim = relationship("Claim", uselist=False, viewonly=True, lazy="select")


class TicketHistory(db.Model):
    """One row per change: who, when, from, to, why."""

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("User", lazy="joined")


class Comment(db.Model):
    __tablename__ = "ticket_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author = relationship("User", lazy="joined")


class Attachment(db.Model):
    """A file kept outside static/ under a random name; served only through a checked route."""

    __tablename__ = "ticket_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # ticket (a photo or document of the ticket) | evidence (of a cost line) | firm_payment
    kind: Mapped[str] = mapped_column(String(16), default="ticket", server_default="ticket")
    cost_line_id: Mapped[int | None] = mapped_column(ForeignKey("cost_line.id"), index=True)

    uploaded_by = relationship("User", lazy="joined")
