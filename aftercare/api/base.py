"""The Api object, bearer-token authentication and role checks for /api/v1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import abort, current_app, request
from flask_login import current_user
from flask_smorest import Api
from sqlalchemy import bindparam, select

from aftercare.api.schemas import ErrorSchema
from aftercare.auth.models import ApiToken, User
from aftercare.db import utcnow
from aftercare.domain.errors import Forbidden
from aftercare.extensions import db

API_PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = {("POST", f"{API_PREFIX}/tokens"), ("GET", f"{API_PREFIX}/openapi.json")}
MULTIPART_OK = ("/attachments", "/evidence", "/firm-payment", "/files")

F = TypeVar("F", bound=Callable[..., Any])


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint whose argument schemas are built once, not per request."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # webargs instantiates a schema class on every request (a deep copy of its fields)
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


class AftercareApi(Api):
    """flask-smorest Api whose errors are answered by aftercare.core.errors (HTML or JSON)."""

    ERROR_SCHEMA = ErrorSchema  # documents reason and current_status of 409 answers

    def _register_error_handlers(self) -> None:
        return None


def make_api() -> AftercareApi:
    """One Api per app: its OpenAPI spec is built from that app's blueprints."""
    return AftercareApi(
        spec_kwargs={
            "info": {"description": "Smart Factory Aftercare — tickets, Meisters, cost sharing."},
            "security": [{"bearerAuth": []}],
        }
    )


def api_guard() -> None:
    """Check the body is JSON and the bearer token is good; the token's User signs in.

    The API never reads the cookie session (a browser's cookie must not authorise an
    API call, which carries no CSRF token): the caller is the active User of a token
    neither expired nor revoked, and that User is `current_user` for the request.
    """
    if request.method in ("POST", "PUT", "PATCH"):
        _require_json_body()
    if (request.method, request.path) in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Bearer token required")
    user = db.session.scalar(
        TOKEN_USER, {"token_hash": ApiToken.hash_token(token.strip()), "now": utcnow()}
    )
    if user is None:
        abort(401, description=INVALID_TOKEN)
    # Flask-Login keeps the request's user on `g`; this is the call its own login_user
    # makes, without writing the session (tests/functional/test_api_base.py pins it).
    current_app.login_manager._update_request_context_with_user(user)


INVALID_TOKEN = "Token is invalid, expired or revoked"
# The active User of a token neither expired nor revoked. Built once: every API call runs it.
TOKEN_USER = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )
)


def _require_json_body() -> None:
    if request.mimetype == "multipart/form-data" and request.path.endswith(MULTIPART_OK):
        return
    if request.content_length == 0 or not request.get_data(cache=True):
        return
    if not request.is_json:
        abort(400, description="Request body must be JSON (Content-Type: application/json)")
    if request.get_json(silent=True) is None:
        abort(400, description="Request body is not valid JSON")


def api_user() -> User:
    """The caller: the User the bearer token resolved to (the request's `current_user`)."""
    return current_user._get_current_object()


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse (403) API callers whose role is not one of `roles`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if api_user().role not in roles:
                raise Forbidden("Your role may not use this endpoint")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def token_ttl() -> Any:
    return current_app.config["API_TOKEN_TTL"]
