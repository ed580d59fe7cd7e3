"""The signed-cookie session, without the work that API requests never need."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask import request as current_request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

API_PREFIX = "/api/"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, with two savings on every request.

    API requests authenticate by bearer token alone: they neither read nor set the
    session cookie (an empty session stands in, so code that touches it still works).
    The signing serializer is built once per set of keys, not on every open and save.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if current_request.path.startswith(API_PREFIX):
            return
        super().save_session(app, session, response)
