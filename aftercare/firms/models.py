"""Small manufacturers, and the register of those excluded from support (참여제한)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.suppliers.models import Supplier


class Firm(db.Model):
    __tablename__ = "firm"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    registration_number: Mapped[str] = mapped_column(String(10), unique=True)
    size: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(16), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    built_year: Mapped[int | None] = mapped_column(Integer)
    policy_fund_year: Mapped[int | None] = mapped_column(Integer)
    # The solution supplier, an entry of the registry (was free text before migration 0016).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    supplier: Mapped[Supplier | None] = relationship(Supplier)

    @property
    def supplier_name(self) -> str:
        """The supplier's name, "" without one (the API's `supplier` field, SPEC §11)."""
        return self.supplier.name if self.supplier is not None else ""

    def __repr__(self) -> str:
        return f"<Firm {self.id} {self.name}>"


class Restriction(db.Model):
    """A firm excluded from support from `starts_on` until the day before `ends_on`:
    by a decided case on false documents (`case`) or imposed elsewhere (`external`)."""

    __tablename__ = "participation_restriction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # case | external
    case_id: Mapped[int | None] = mapped_column(ForeignKey("recovery_case.id"), unique=True)
    source_note: Mapped[str] = mapped_column(Text, default="")  # who imposed it, on what
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    firm = relationship("Firm", lazy="joined", innerjoin=True)
