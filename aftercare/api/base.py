"""The Api object, bearer-token authentication and role checks for /api/v1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import abort, current_app, g, request
from flask_smorest import Api
from sqlalchemy import Select, bindparam, select

from aftercare import data_version
from aftercare.api.schemas import ErrorSchema
from aftercare.auth.models import ApiToken, User
from aftercare.db import utcnow
from aftercare.domain.errors import Forbidden
from aftercare.extensions import db

API_PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = {("POST", f"{API_PREFIX}/tokens"), ("GET", f"{API_PREFIX}/openapi.json")}
MULTIPART_OK = ("/attachments",)

F = TypeVar("F", bound=Callable[..., Any])


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint whose argument schemas are built once, not per request."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # webargs instantiates a schema class on every request (a deep copy of its fields)
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


class AftercareApi(Api):
    """flask-smorest Api whose errors are answered by aftercare.errors (HTML or JSON)."""

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
    """Check the body is JSON and the bearer token is good; set g.api_user."""
    g.api_user = None
    if request.method in ("POST", "PUT", "PATCH"):
        _require_json_body()
    if (request.method, request.path) in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Bearer token required")
    row = db.session.execute(
        _user_of_token(), {"token_hash": ApiToken.hash_token(token.strip()), "now": utcnow()}
    ).one_or_none()
    if row is None:
        abort(401, description="Token is invalid, expired or revoked")
    g.api_user, tickets_version = row
    data_version.seen(data_version.TICKETS, tickets_version)


@functools.cache
def _user_of_token() -> Select:
    """The active user of a token that is neither expired nor revoked.

    With the tickets' data version the list is kept under (one round trip for both).
    Built once: every API request runs it (a rebuilt statement is rehashed each time).
    """
    return (
        select(User, data_version.column(data_version.TICKETS))
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
    user = g.get("api_user")
    if user is None:  # pragma: no cover - api_guard always runs first
        abort(401)
    return user


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
