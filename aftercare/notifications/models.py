"""In-app notifications, with an e-mail outbox state per row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import utcnow
from aftercare.extensions import db


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_email_status", "email_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    message: Mapped[str] = mapped_column(Text)
    # Same event, same user → one row (jobs that run twice notify once).
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # False when the user turned this kind off in the app: the row is then only the
    # e-mail's outbox entry and never shows in the inbox.
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # none | pending | sent | failed
    email_status: Mapped[str] = mapped_column(String(8), default="none")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_next_try_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_error: Mapped[str] = mapped_column(Text, default="")


class NotificationPreference(db.Model):
    """A user's own choice for one event kind; without a row the defaults apply."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def unread_in_app(user_id: Any) -> tuple[ColumnElement[bool], ...]:
    """Conditions of a user's unread inbox notifications (`user_id`: a value or a column)."""
    return (
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
        Notification.in_app.is_(True),
    )
