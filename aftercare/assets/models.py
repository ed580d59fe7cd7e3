"""A firm's equipment or system that tickets can name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.domain.assets import label_caption
from aftercare.extensions import db


class Asset(db.Model):
    __tablename__ = "asset"
    __table_args__ = (
        # NULL serials never collide, so assets without a serial number are fine.
        UniqueConstraint("firm_id", "serial", name="uq_asset_firm_id_serial"),
        Index("ix_asset_firm_id_active_name", "firm_id", "active", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    maker: Mapped[str] = mapped_column(String(120), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    serial: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(200), default="")
    installed_year: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    firm = relationship("Firm", lazy="joined", innerjoin=True)

    @property
    def label_text(self) -> str:
        """What is printed under the QR code: the name, and the serial number when known."""
        return label_caption(self.name, self.serial)

    def __repr__(self) -> str:
        return f"<Asset {self.id} {self.name}>"
