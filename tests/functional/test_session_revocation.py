"""Revocable sessions: a session version in every cookie, bumped to sign out everywhere."""

from __future__ import annotations

from datetime import timedelta

from aftercare.auth import services
from aftercare.auth.login import user_for_session_id
from aftercare.auth.models import User
from aftercare.extensions import db
from tests.helpers import PASSWORD, ApiClient, AuthActions

NEW_PASSWORD = "new-secret-123"


def _signed_in(app, user, remember: bool = False):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/login", data=data).status_code == 302
    return client


def _signed_in_page(client) -> bool:
    return client.get("/tickets").status_code == 200


def test_the_session_and_remember_cookie_carry_the_session_version(app, make):
    user = make.user("manager")
    client = _signed_in(app, user, remember=True)
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}:1"
    remember = client.get_cookie("remember_token")
    assert remember.value.startswith(f"{user.id}:1|")  # Flask-Login signs get_id()
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def test_a_stale_malformed_or_unknown_session_id_loads_nobody(app, make):
    user = make.user("auditor")
    assert user_for_session_id(f"{user.id}:1").id == user.id
    assert user_for_session_id(str(user.id)) is None  # a cookie from before versions
    assert user_for_session_id(f"{user.id}:2") is None
    assert user_for_session_id(f"{user.id}:x") is None
    assert user_for_session_id("999999:1") is None


def test_sign_out_everywhere_asks_first_and_then_ends_every_session(app, make):
    user = make.user("manager")
    here, laptop = _signed_in(app, user), _signed_in(app, user, remember=True)
    remembered = laptop.get_cookie("remember_token").value

    confirm = here.get("/account/sign-out-everywhere")
    assert "모든 기기에서 로그아웃" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1  # GET changes nothing

    done = here.post("/account/sign-out-everywhere")
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert not _signed_in_page(here)
    assert not _signed_in_page(laptop)
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)  # a copied remember cookie
    assert not _signed_in_page(thief)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 2
    assert _signed_in_page(_signed_in(app, user))  # signing in again works


def test_sign_out_everywhere_refuses_a_post_without_csrf_token(csrf_app, make):
    with csrf_app.app_context():
        user = make.user("manager")
        email = user.email
        db.session.remove()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    assert client.post("/account/sign-out-everywhere").status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(db.select(User.session_version).filter_by(email=email)) == 1
        db.session.remove()


def test_changing_ones_password_ends_other_sessions_and_tokens_but_keeps_this_one(app, make):
    user = make.user("firm")
    here, phone = _signed_in(app, user, remember=True), _signed_in(app, user)
    api = ApiClient(app.test_client()).as_(user)
    page = here.get("/account/password").get_data(as_text=True)
    assert "API 토큰" in page  # the page says tokens are revoked, in Korean
    answer = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    assert _signed_in_page(here)
    assert here.get_cookie("remember_token").value.startswith(f"{user.id}:2|")
    assert not _signed_in_page(phone)
    assert api.get("/me").status_code == 401
    assert services.active_token_count(user.id) == 0


def test_an_admin_reset_and_a_deactivation_end_the_users_sessions(app, make):
    admin = make.user("admin")
    reset, deactivated = make.user("meister"), make.user("auditor")
    reset_client, deactivated_client = _signed_in(app, reset), _signed_in(app, deactivated)
    admin_client = app.test_client()
    AuthActions(admin_client).login(admin)
    admin_client.post(f"/admin/users/{reset.id}/password", data={"password": "reset-by-admin-1"})
    admin_client.post(f"/admin/users/{deactivated.id}/active")
    assert not _signed_in_page(reset_client)
    assert not _signed_in_page(deactivated_client)
    db.session.expire_all()
    assert db.session.get(User, reset.id).session_version == 2
    assert db.session.get(User, deactivated.id).session_version == 2
