"""Queue in-app notifications (and e-mail where the user has an address and SMTP is set)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.notifications.models import Notification
from aftercare.notifications.preferences import channels_for


def notify(
    user_ids: Iterable[int], kind: str, ticket_id: int | None, message: str, key: str
) -> int:
    """Add one notification per user unless this `key` already notified them; return how many.

    Each user's preferences decide: no row when they want neither channel; a row kept
    out of the inbox (`in_app` false) when they want the e-mail only.
    """
    smtp = bool(current_app.config.get("SMTP_HOST"))
    added = 0
    for user_id, channels in sorted(channels_for(user_ids, kind).items()):
        email = "pending" if smtp and channels.email else "none"
        if not channels.in_app and email == "none":
            continue  # neither channel (or e-mail only, with no mail server to send it)
        dedupe_key = f"{key}:u{user_id}"
        exists = db.session.scalar(
            select(Notification.id).where(Notification.dedupe_key == dedupe_key)
        )
        if exists is None:
            db.session.add(
                Notification(
                    user_id=user_id,
                    kind=kind,
                    ticket_id=ticket_id,
                    message=message,
                    dedupe_key=dedupe_key,
                    in_app=channels.in_app,
                    email_status=email,
                )
            )
            added += 1
    return added


def manager_ids() -> list[int]:
    return list(
        db.session.scalars(select(User.id).where(User.role == "manager", User.active.is_(True)))
    )


def firm_user_ids(firm_id: int) -> list[int]:
    """The ids of the firm's active users (whom a claim decision notifies)."""
    return list(
        db.session.scalars(select(User.id).where(User.firm_id == firm_id, User.active.is_(True)))
    )
