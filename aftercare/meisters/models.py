"""Smart Meister profiles (1:1 with a `meister` user)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db


class MeisterProfile(db.Model):
    __tablename__ = "meister_profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_load: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user = relationship("User", lazy="joined")


class Visit(db.Model):
    """A Meister's visit to a factory, with its cost lines."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    meister_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    lines = relationship("CostLine", lazy="selectin", order_by="CostLine.id")


class CostLine(db.Model):
    """quantity × unit price = amount (integer won); eligibility may change while pending."""

    __tablename__ = "cost_line"
    __table_args__ = (Index("ix_cost_line_supplier_invoice", "supplier_id", "invoice_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    eligible: Mapped[bool] = mapped_column(Boolean)
    # The manager who last changed `eligible` (may then approve neither step: SPEC §11).
    eligibility_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Evidence (docs/evidence.md): the supplier's tax invoice, VAT apart, and the payment.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    invoice_number: Mapped[str | None] = mapped_column(String(24))  # 24 bare digits
    invoice_issued_on: Mapped[date | None] = mapped_column(Date)
    invoice_supply_amount: Mapped[int | None] = mapped_column(BigInteger)
    invoice_vat: Mapped[int | None] = mapped_column(BigInteger)
    payment_method: Mapped[str | None] = mapped_column(String(16))  # card | transfer | cash
    paid_on: Mapped[date | None] = mapped_column(Date)
    # The reviewer's decision: pending | verified | disallowed (with a reason).
    review_status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    review_reason: Mapped[str | None] = mapped_column(String(32))
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    supplier = relationship("Supplier")

    @property
    def counts(self) -> bool:
        """Counted in the eligible total: eligible and not disallowed by a reviewer."""
        return self.eligible and self.review_status != "disallowed"


class TicketDecline(db.Model):
    """A Meister declined a ticket: they are not suggested for it again."""

    __tablename__ = "ticket_decline"
    __table_args__ = (UniqueConstraint("ticket_id", "meister_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    meister_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
