"""The cookie session: pages keep it; API requests neither read nor set it."""

from __future__ import annotations

import pytest
from flask import session
from itsdangerous import BadSignature

from aftercare.core.web.sessions import CookieSessionInterface


def test_a_signed_in_page_session_survives_the_next_request(client, auth, make):
    manager = make.user("manager")
    signed_in = auth.login(manager)
    assert signed_in.status_code == 302
    assert "session=" in signed_in.headers["Set-Cookie"]
    assert client.get("/tickets").status_code == 200  # signed in by the cookie


def test_the_session_cookie_is_no_api_credential(client, auth, make):
    auth.login(make.user("manager"))
    answer = client.get("/api/v1/tickets")  # the browser's cookie, no bearer token
    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers


def test_an_api_request_sees_an_empty_session_and_sets_no_cookie(app, client, auth, make, api):
    seen = {}

    @app.after_request
    def write_the_session(response):
        seen["keys"] = sorted(session.keys())
        session["written"] = True  # would set a cookie on a page
        return response

    manager = make.user("manager")
    auth.login(manager)
    answer = api.as_(manager).get("/tickets")
    assert answer.status_code == 200
    assert seen["keys"] == []  # the signed-in page session was not read
    assert "Set-Cookie" not in answer.headers
    page = client.get("/tickets")
    assert page.status_code == 200
    assert "Set-Cookie" in page.headers  # the page's session was written


def test_the_signing_serializer_is_built_once_per_set_of_keys(app):
    interface = app.session_interface
    assert isinstance(interface, CookieSessionInterface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    signed = first.dumps({"user": 1})
    old_key, app.secret_key = app.secret_key, "another-secret"

    rotated = interface.get_signing_serializer(app)
    assert rotated is not first
    with pytest.raises(BadSignature):
        rotated.loads(signed)  # a cookie of the old key is not accepted
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert interface.get_signing_serializer(app).loads(signed) == {"user": 1}
