"""A money action one manager asks for and another confirms or refuses (SPEC §11)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db


class ApprovalRequest(db.Model):
    __tablename__ = "approval_request"
    __table_args__ = (Index("ix_approval_request_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # budget|void|settlement|account|password
    # budget {year, amount, reason}; void {claim_id, reason}; settlement {date};
    # account {email, name, role, language}; password {user_id, email, role}
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # account and password: the chosen password's hash, never in the payload (which is
    # audited and shown) and never sent out.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|confirmed|refused
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was refused
    # What the confirmation did: {transaction_id} / {claim_id, released} / {batch_id, …}
    result: Mapped[dict | None] = mapped_column(JSON)

    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")
