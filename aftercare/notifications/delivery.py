"""The notifications job: send queued e-mails (the in-app copy is the row itself).

Each e-mail is claimed by a conditional UPDATE (pending → sending) before it is
sent, so two runs never send the same one; failures are retried with back-off.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.notifications.models import Notification
from aftercare.notifications.preferences import channels_for
from aftercare.notifications.texts import render_text

MAX_ATTEMPTS = 8
BATCH = 100
STUCK_AFTER = timedelta(minutes=10)


def due_ids(now) -> list[int]:
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                or_(
                    Notification.email_status == "pending",
                    (Notification.email_status == "failed")
                    & (Notification.email_next_try_at <= now),
                    (Notification.email_status == "sending")
                    & (Notification.email_next_try_at <= now - STUCK_AFTER),
                )
            )
            .order_by(Notification.id)
            .limit(BATCH)
        )
    )


def claim(notification_id: int, now) -> bool:
    """pending/failed → sending, by one runner only."""
    claimed = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.email_status.in_(("pending", "failed", "sending")),
            Notification.email_attempts < MAX_ATTEMPTS,
            or_(Notification.email_next_try_at.is_(None), Notification.email_next_try_at <= now),
        )
        .values(
            email_status="sending",
            email_attempts=Notification.email_attempts + 1,
            email_next_try_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def build_message(notification: Notification, user: User) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = user.email
    message["Subject"] = f"[Aftercare] {render_text(notification, user.language)}"
    message["Message-ID"] = f"<notification-{notification.id}@aftercare>"
    message.set_content(f"{render_text(notification, user.language)}\n\n{notification.message}\n")
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(message)


def wants_email(notification: Notification) -> bool:
    """The user's preference now: they may have turned e-mail off since it was queued."""
    return channels_for([notification.user_id], notification.kind)[notification.user_id].email


def withdraw(notification_id: int) -> str:
    """Take a claimed e-mail out of the outbox unsent."""
    notification = db.session.get(Notification, notification_id)
    notification.email_status = "none"
    notification.email_next_try_at = None
    db.session.commit()
    return "skipped"


def deliver(notification_id: int) -> str:
    now = utcnow()
    if not claim(notification_id, now):
        return "skipped"
    notification = db.session.get(Notification, notification_id)
    if not wants_email(notification):
        return withdraw(notification_id)
    user = db.session.get(User, notification.user_id)
    try:
        send(build_message(notification, user))
    except (OSError, smtplib.SMTPException) as error:
        notification = db.session.get(Notification, notification_id)
        notification.email_status = "failed"
        notification.email_error = str(error)[:500]
        backoff = timedelta(minutes=2 ** min(notification.email_attempts, 8))
        notification.email_next_try_at = (
            utcnow() + backoff if notification.email_attempts < MAX_ATTEMPTS else None
        )
        db.session.commit()
        return "failed"
    notification = db.session.get(Notification, notification_id)
    notification.email_status = "sent"
    notification.email_sent_at = utcnow()
    notification.email_error = ""
    db.session.commit()
    return "sent"


def run_notifications_job() -> dict[str, int]:
    """Send due e-mails; the in-app inbox needs no delivery."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    if not current_app.config.get("SMTP_HOST"):
        return counts
    for notification_id in due_ids(utcnow()):
        counts[deliver(notification_id)] += 1
    return counts
