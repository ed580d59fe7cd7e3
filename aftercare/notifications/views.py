"""The in-app inbox."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select, update

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.notifications.models import Notification
from aftercare.notifications.texts import render_text
from aftercare.pagination import keyset_page, parse_limit
from aftercare.transactions import begin_write

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@login_required
def index():
    stmt = select(Notification).where(Notification.user_id == current_user.id)
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
    begin_write()
    stmt = update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)
    )
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
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


@bp.app_context_processor
def inject_unread() -> dict:
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": unread_count(current_user.id)}
    return {"unread_notifications": 0}
