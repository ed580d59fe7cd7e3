"""Solution suppliers (공급기업): the companies that build and repair smart factories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import utcnow
from aftercare.extensions import db


class Supplier(db.Model):
    """A registry entry. Entries carried over from the firms' free text (migration 0016)
    may lack a registration number and a region until a manager completes them."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # 10 bare digits with a correct check digit, unique; NULL only on carried-over entries.
    registration_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    representative: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    region: Mapped[str | None] = mapped_column(String(16), index=True)
    # Solution tags: codes of the Meister specialty vocabulary (domain.vocab.SPECIALTIES).
    solutions: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.name}>"
