"""Stored answers of actions that must happen once: API calls with an Idempotency-Key
(the stored JSON answer) and HTML forms with a one-time token (the address of what
the first submission made). One table, one rule: keyed by user and key, written in
the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import utcnow
from aftercare.extensions import db


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @classmethod
    def find(cls, user_id: int, key: str) -> IdempotencyRecord | None:
        return db.session.scalar(select(cls).where(cls.user_id == user_id, cls.key == key))
