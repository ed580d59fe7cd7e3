"""The Api object, bearer-token authentication and role checks for /api/v1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import abort, current_app, g, request
from flask_smorest import Api
from sqlalchemy import Row, Select, bindparam, select

from aftercare import data_version
from aftercare.api.schemas import ErrorSchema
from aftercare.auth.models import ApiToken, User
from aftercare.auth.viewer import TokenViewer, Viewer
from aftercare.db import utcnow
from aftercare.domain.errors import Forbidden
from aftercare.extensions import db
from aftercare.transactions import read_connection, reads_without_transaction

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
    """Check the body is JSON and the bearer token is good; set g.api_viewer.

    A read that needs only its viewer (the kept ticket list and detail on PostgreSQL)
    finds the token's user as a `TokenViewer` on a connection of its own, without the
    ORM and before the request's session is used: a kept answer then costs that one
    statement. A write that needs only its viewer (`VIEWER_ENDPOINTS`) reads one in
    the request's session. Every other request loads the User there.
    """
    g.api_user = g.api_viewer = None
    if request.method in ("POST", "PUT", "PATCH"):
        _require_json_body()
    if (request.method, request.path) in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Bearer token required")
    params = {"token_hash": ApiToken.hash_token(token.strip()), "now": utcnow()}
    if reads_without_transaction():
        with read_connection() as conn:
            row = conn.execute(_viewer_of_token(), params).one_or_none()
            conn.commit()  # a read that went well ends as every read does (nothing is sent)
        tickets_version = _set_token_viewer(row)
    elif request.endpoint in VIEWER_ENDPOINTS:
        row = db.session.connection().execute(_viewer_of_token(), params).one_or_none()
        tickets_version = _set_token_viewer(row)
    else:
        row = db.session.execute(_user_of_token(), params).one_or_none()
        if row is None:
            abort(401, description=INVALID_TOKEN)
        g.api_user, tickets_version = row
        g.api_viewer = g.api_user
    data_version.seen(data_version.TICKETS, tickets_version)


def _set_token_viewer(row: Row | None) -> int:
    """g.api_viewer from a `_viewer_of_token` row (none: 401); the row's data version."""
    if row is None:
        abort(401, description=INVALID_TOKEN)
    *viewer, tickets_version = row
    g.api_viewer = TokenViewer(*viewer)
    return tickets_version


INVALID_TOKEN = "Token is invalid, expired or revoked"
# Writes that need of their caller only who they are (id, role, firm), the busiest
# first: an approval runs hundreds a second, and loading the User was a sixth of it.
# `api_user()` still loads the User on them, should one ever need it.
VIEWER_ENDPOINTS = frozenset({"claims_api.approve"})


def _valid_token(stmt: Select) -> Select:
    """`stmt` narrowed to the active user of a token neither expired nor revoked."""
    return stmt.join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )


@functools.cache
def _user_of_token() -> Select:
    """The token's User, with the tickets' data version the lists are kept under.

    One round trip for both. Built once: every API request runs it (a rebuilt
    statement is rehashed each time).
    """
    return _valid_token(select(User, data_version.column(data_version.TICKETS)))


@functools.cache
def _viewer_of_token() -> Select:
    """What a `TokenViewer` holds of the token's user, with the tickets' data version."""
    viewer = (User.id, User.role, User.firm_id, User.language)
    return _valid_token(select(*viewer, data_version.column(data_version.TICKETS)))


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
    """The caller's User, loaded in the request's session if the guard found a viewer."""
    user = g.get("api_user")
    if user is None:
        user = db.session.get(User, api_viewer().id)
        if user is None:  # deleted since the guard found the token
            abort(401, description=INVALID_TOKEN)
        g.api_user = user
    return user


def api_viewer() -> Viewer:
    """Who the caller is: enough for reads scoped by role and firm, no query."""
    viewer = g.get("api_viewer")
    if viewer is None:  # pragma: no cover - api_guard always runs first
        abort(401)
    return viewer


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse (403) API callers whose role is not one of `roles`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if api_viewer().role not in roles:
                raise Forbidden("Your role may not use this endpoint")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def token_ttl() -> Any:
    return current_app.config["API_TOKEN_TTL"]
