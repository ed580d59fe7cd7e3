"""The in-app inbox."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select, update

from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.db import utcnow
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.notification_kinds import kinds_for_role
from aftercare.extensions import db
from aftercare.notifications.forms import preferences_form
from aftercare.notifications.models import Notification, unread_in_app
from aftercare.notifications.preferences import preferences_of, save_preferences
from aftercare.notifications.texts import KIND_LABELS, render_text

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@login_required
def index():
    stmt = select(Notification).where(
        Notification.user_id == current_user.id, Notification.in_app.is_(True)
    )
    if request.args.get("unread"):
        stmt = stmt.where(Notification.read_at.is_(None))
    page = keyset_page(
        stmt, Notification.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
    )
    return render_template(
        "notifications/index.html", page=page, text=render_text, form=FlaskForm()
    )


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    """Mark one (id in the form) or all of the user's notifications read."""
    stmt = update(Notification).where(*unread_in_app(current_user.id))
    one = request.form.get("id", type=int)
    if one:
        stmt = stmt.where(Notification.id == one)
    db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    target = request.form.get("next") or ""
    return redirect(
        target
        if target.startswith("/") and not target.startswith("//")
        else url_for("notifications.index")
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(*unread_in_app(user_id)))


@bp.app_context_processor
def inject_unread() -> dict:
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": unread_count(current_user.id)}
    return {"unread_notifications": 0}


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Per event kind of the user's role: in the app and/or by e-mail."""
    kinds = kinds_for_role(current_user.role)
    posted = request.form if request.method == "POST" else None
    form = preferences_form(kinds, preferences_of(current_user), posted)
    if posted is not None and kinds and _valid(form, list(posted.keys())):
        try:
            save_preferences(current_user, form.choices())
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html",
        form=form,
        kinds=kinds,
        labels=KIND_LABELS,
        email_configured=bool(current_app.config.get("SMTP_HOST")),
    )


def _valid(form, posted_names: list[str]) -> bool:
    """The form's own checks, and no setting for an event the role does not receive."""
    valid = form.validate()
    if form.unknown_fields(posted_names):
        form.form_errors.append(_("These settings do not match the notifications of your role."))
        valid = False
    return valid
