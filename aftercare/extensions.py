"""Unbound extensions; `create_app` binds them."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from aftercare.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class RouteLimiter(Limiter):
    """Limits on decorated routes only (sign-in); no default or application-wide limits.

    Flask-Limiter also checks every request before its view for default limits;
    with none configured that check counts nothing, so it is skipped. Decorated
    routes are checked by their decorator, as before.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True):
        if not in_middleware:
            super()._check_request_limit(callable_name, in_middleware)


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])
