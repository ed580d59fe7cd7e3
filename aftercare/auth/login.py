"""Flask-Login wiring and sign-in throttling keys."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from sqlalchemy import ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import with_expression

from aftercare import data_version
from aftercare.auth.models import User
from aftercare.auth.viewer import PageViewer
from aftercare.extensions import db
from aftercare.transactions import reading


def configure_login_manager(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "warning"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | PageViewer | None:
        """The session's user, with the unread count every page shows (one query).

        The same statement reads the tickets' data version the ticket list is kept under.
        A listed read (the ticket list on PostgreSQL, its session's connection already
        in autocommit) gets a `PageViewer` from a plain row, without the ORM: a kept
        page then costs that one statement. Every other page gets the User.
        """
        if not user_id.isdigit():
            return None
        params = {"user_id": int(user_id)}
        if reading():
            return _page_viewer(params)
        row = db.session.execute(_signed_in_user(), params).one_or_none()
        if row is None:
            return None
        user, tickets_version = row
        data_version.seen(data_version.TICKETS, tickets_version)
        return user


def _page_viewer(params: dict[str, int]) -> PageViewer | None:
    row = db.session.connection().execute(_viewer_of_session(), params).one_or_none()
    if row is None:
        return None
    *viewer, tickets_version = row
    data_version.seen(data_version.TICKETS, tickets_version)
    return PageViewer(*viewer)


def _unread_of_user() -> ScalarSelect:
    from aftercare.notifications.models import Notification, unread_in_app

    return select(func.count(Notification.id)).where(*unread_in_app(User.id)).scalar_subquery()


@functools.cache
def _signed_in_user() -> Select:
    return (
        select(User, data_version.column(data_version.TICKETS))
        .where(User.id == bindparam("user_id"))
        .options(with_expression(User.unread_notifications, _unread_of_user()))
        .execution_options(populate_existing=True)
    )


@functools.cache
def _viewer_of_session() -> Select:
    """What a `PageViewer` holds of the session's user, with the tickets' data version."""
    viewer = (User.id, User.role, User.firm_id, User.language, User.name, User.active)
    return select(*viewer, _unread_of_user(), data_version.column(data_version.TICKETS)).where(
        User.id == bindparam("user_id")
    )


def login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def login_failed(_response: Any) -> bool:
    """Only failed sign-ins count towards the throttle."""
    return bool(g.get("login_failed"))


def submitted_email() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email", "") if isinstance(body, dict) else ""
    else:
        email = request.form.get("email", "")
    return str(email).strip().lower()


def account_key() -> str:
    return f"account:{submitted_email()}"


def address_key() -> str:
    return f"address:{get_remote_address()}"


def role_required(*roles: str) -> Callable:
    """Page decorator: signed in (else redirect to sign-in) and one of `roles` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
