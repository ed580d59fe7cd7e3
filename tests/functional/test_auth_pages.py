"""Sign-in, throttling, CSRF, role homes, passwords and admin pages."""

import re
import urllib.parse

import pytest

from aftercare import create_app
from aftercare.auth.models import User
from aftercare.extensions import db
from tests.helpers import PASSWORD

ROLES = ["firm", "meister", "manager", "auditor", "admin"]
HOMES = {
    "firm": "/firm",
    "meister": "/meister",
    "manager": "/manager",
    "auditor": "/auditor",
    "admin": "/admin-home",
}


def test_sign_in_page_is_korean_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "로그인" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_own_home(client, auth, make, role):
    user = make.user(role)
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_other_roles_homes_are_forbidden(client, auth, make, role):
    auth.login(make.user(role))
    for other, path in HOMES.items():
        if other != role:
            assert client.get(path).status_code == 403, path


def test_email_is_case_insensitive(client, auth, make):
    user = make.user("manager", email="Kim.Manager@Example.KR")
    assert user.email == "kim.manager@example.kr"
    assert auth.login("KIM.MANAGER@example.kr").status_code == 302


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, auth, make):
    user = make.user("manager")
    page = auth.login(user, "not-the-password")
    assert page.status_code == 200
    assert "이메일 또는 비밀번호가 올바르지 않습니다" in page.get_data(as_text=True)
    assert client.get("/manager").status_code == 302  # still anonymous


def test_deactivated_user_cannot_sign_in(client, auth, make):
    user = make.user("auditor")
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert auth.login(user).status_code == 200
    assert client.get("/auditor").status_code == 302


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/manager")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/%5Cevil.example", "/\tx"],
)
def test_sign_in_redirects_only_to_local_next(client, auth, make, target):
    """Browsers read "/\\host" as "//host": a backslash never leaves the site either."""
    user = make.user("manager")
    response = client.post(
        "/login", query_string={"next": urllib.parse.unquote(target)},
        data={"email": user.email, "password": PASSWORD},
    )  # fmt: skip
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(client, make):
    user = make.user("manager")
    response = client.post(
        "/login", query_string={"next": "/tickets?status=submitted"},
        data={"email": user.email, "password": PASSWORD},
    )  # fmt: skip
    assert response.headers["Location"] == "/tickets?status=submitted"


def test_five_failures_per_account_then_429(client, auth, make):
    user = make.user("manager")
    for _ in range(5):
        assert auth.login(user, "wrong-password-x").status_code == 200
    blocked = auth.login(user)  # even the right password waits now
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    # The form again, the e-mail kept, and how long to wait in words.
    assert re.search(rf'name="email"[^>]*value="{re.escape(user.email)}"', page)
    assert re.search(r"로그인 실패가 너무 많습니다\. (\d+초|약 \d+분) 후에 다시 시도하세요", page)
    assert 0 < int(blocked.headers["Retry-After"]) <= 60


def test_failures_per_address_count_across_accounts(client, auth, make):
    for n in range(5):
        assert auth.login(f"nobody{n}@example.kr", "wrong-password-x").status_code == 200
    assert auth.login("someone-else@example.kr", "wrong-password-x").status_code == 429


def test_the_address_throttle_keeps_the_other_accounts_email_and_says_how_long(client, auth):
    for n in range(5):
        auth.login(f"nobody{n}@example.kr", "wrong-password-x")
    blocked = auth.login("someone-else@example.kr", "wrong-password-x")
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert 'value="someone-else@example.kr"' in page
    assert "이 네트워크에서 로그인 실패가 너무 많습니다" in page
    assert 'value="wrong-password-x"' not in page  # the password is never sent back


def test_successful_sign_ins_do_not_count_towards_the_throttle(client, auth, make):
    user = make.user("manager")
    for _ in range(7):
        assert auth.login(user).status_code == 302
        auth.logout()


def test_sign_in_starts_a_fresh_session(client, auth, make):
    user = make.user("manager")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    auth.login(user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:1"


def test_forms_without_csrf_token_are_refused(database_url, make):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        user = make.user("manager")
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_session_cookie_is_http_only(client, auth, make):
    auth.login(make.user("manager"))
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_change_password(client, auth, make):
    user = make.user("firm")
    auth.login(user)
    bad = client.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "new-secret-123",
            "confirm": "new-secret-123",
        },
    )
    assert "현재 비밀번호가 틀렸습니다" in bad.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "new-secret-123",
            "confirm": "new-secret-123",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login(user, "new-secret-123").status_code == 302


def test_language_switch_to_english_is_kept_for_the_user(client, auth, make):
    user = make.user("manager")
    auth.login(user)
    client.post("/language/en", data={"next": "/manager"})
    assert "Programme overview" in client.get("/manager").get_data(as_text=True)
    assert db.session.get(User, user.id).language == "en"


def test_admin_creates_user_and_sees_field_errors(client, auth, make):
    auth.login(make.user("admin"))
    bad = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.kr",
            "name": "신규",
            "role": "firm",
            "password": "short",
            "language": "ko",
        },
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "is-invalid" in text
    assert db.session.query(User).filter_by(email="new@example.kr").count() == 0
    firm = make.firm()
    ok = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.kr",
            "name": "신규",
            "role": "firm",
            "firm_id": firm.id,
            "password": "factory-line-42",
            "language": "ko",
        },
    )
    assert ok.status_code == 302
    assert db.session.query(User).filter_by(email="new@example.kr").one().firm_id == firm.id


def test_admin_deactivates_after_confirmation(client, auth, make):
    auth.login(make.user("admin"))
    target = make.user("auditor")
    confirm_page = client.get(f"/admin/users/{target.id}/active")
    assert "확인" in confirm_page.get_data(as_text=True)
    assert db.session.get(User, target.id).active  # GET changes nothing
    client.post(f"/admin/users/{target.id}/active")
    db.session.expire_all()
    assert not db.session.get(User, target.id).active


def test_admin_resets_a_firm_users_password_which_must_be_changed_at_sign_in(client, auth, make):
    auth.login(make.user("admin"))
    target = make.user("firm", firm=make.firm())
    client.post(f"/admin/users/{target.id}/password", data={"password": "reset-by-admin-1"})
    auth.logout()
    signed_in = auth.login(target, "reset-by-admin-1")
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/account/new-password")


def test_non_admins_cannot_open_admin_pages(client, auth, make):
    auth.login(make.user("manager"))
    assert client.get("/admin/users").status_code == 403


def test_unknown_page_is_a_friendly_404(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "text/html" in page.content_type
