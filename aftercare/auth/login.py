"""Flask-Login wiring and sign-in throttling keys."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user

from aftercare.auth.models import User
from aftercare.extensions import db


def configure_login_manager(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "warning"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The session's user, if the cookie carries the current session version.

        Flask-Login refuses an inactive user; a stale version (signed out everywhere,
        password changed) loads nobody.
        """
        return user_for_session_id(user_id)


def user_for_session_id(session_id: str) -> User | None:
    """The user named by "<id>:<version>" (from `User.get_id`), or None if stale."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


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
