"""Small manufacturers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import utcnow
from aftercare.extensions import db


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
    supplier: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Firm {self.id} {self.name}>"
