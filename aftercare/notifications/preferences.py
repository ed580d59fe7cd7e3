"""Each user's choice, per event kind, of notifications in the app and by e-mail."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.notification_kinds import Channels, default_channels, kinds_for_role
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.notifications.models import NotificationPreference


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, Channels]:
    """How each user wants `kind` delivered (their choice, else the default), in one query."""
    ids = set(user_ids)
    default = default_channels(kind)
    chosen = {
        row.user_id: Channels(row.in_app, row.email)
        for row in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids)
            )
        )
    } if ids else {}  # fmt: skip
    return {user_id: chosen.get(user_id, default) for user_id in ids}


def preferences_of(user: User) -> dict[str, Channels]:
    """The user's settings for every kind their role receives, defaults filled in."""
    chosen = {
        row.kind: Channels(row.in_app, row.email)
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return {kind: chosen.get(kind, default_channels(kind)) for kind in kinds_for_role(user.role)}


def save_preferences(actor: User, choices: dict[str, Channels]) -> dict[str, Channels]:
    """Store the actor's own choices; every kind of their role must be given, no other."""
    expected = kinds_for_role(actor.role)
    if set(choices) != set(expected):
        raise ValidationFailed(
            {"kinds": [N_("These settings do not match the notifications of your role.")]}
        )
    db.session.scalar(select(User.id).where(User.id == actor.id).with_for_update())  # one saver
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.id)
        )
    }
    now = utcnow()
    for kind in expected:
        wanted = choices[kind]
        row = rows.get(kind)
        if row is None:
            row = NotificationPreference(user_id=actor.id, kind=kind)
            db.session.add(row)
        row.in_app, row.email, row.updated_at = wanted.in_app, wanted.email, now
    record_event(
        actor.id,
        "notification.preferences",
        "user",
        actor.id,
        after={kind: {"in_app": c.in_app, "email": c.email} for kind, c in choices.items()},
    )
    db.session.commit()
    return {kind: choices[kind] for kind in expected}
