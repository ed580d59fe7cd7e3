"""An admin cannot act alone on the accounts that move money (issue 31, item 1).

Creating a manager, auditor or admin account, or resetting such a password, is a
request a second admin confirms; a reset password must be changed at the next sign-in.
Firm and Meister accounts stay one admin's work.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from aftercare.approvals.models import ApprovalRequest
from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.auth.services import find_user_by_email
from aftercare.extensions import db
from tests.helpers import PASSWORD, ApiClient, AuthActions

NEW_PASSWORD = "a-brand-new-secret-9"
RESET_PASSWORD = "reset-by-admin-1"


def admin_api(client, make) -> ApiClient:
    return ApiClient(client).as_(make.user("admin"))


def new_account(role: str = "auditor", email: str = "new.auditor@example.kr") -> dict:
    return {"email": email, "name": "새 감사", "role": role, "password": PASSWORD}


def test_a_privileged_account_waits_for_a_second_admin(client, make):
    asker, other = admin_api(client, make), admin_api(client, make)

    asked = asker.post("/users", json=new_account())

    assert asked.status_code == 202, asked.get_json()
    body = asked.get_json()
    assert (body["kind"], body["status"], body["payload"]["role"]) == (
        "account",
        "pending",
        "auditor",
    )
    assert find_user_by_email("new.auditor@example.kr") is None
    own = asker.post(f"/approval-requests/{body['id']}/confirm")
    assert (own.status_code, own.get_json()["reason"]) == (409, "four_eyes")

    confirmed = other.post(f"/approval-requests/{body['id']}/confirm")

    assert confirmed.status_code == 200, confirmed.get_json()
    user = find_user_by_email("new.auditor@example.kr")
    assert user is not None
    assert (user.role, confirmed.get_json()["result"]["user_id"]) == ("auditor", user.id)
    assert (
        ApiClient(client)
        .post("/tokens", json={"email": user.email, "password": PASSWORD})
        .status_code
        == 201
    )


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_every_privileged_role_needs_the_second_admin(client, make, role):
    asked = admin_api(client, make).post("/users", json=new_account(role, f"new.{role}@example.kr"))
    assert asked.status_code == 202
    assert find_user_by_email(f"new.{role}@example.kr") is None


@pytest.mark.parametrize("role", ["firm", "meister"])
def test_firm_and_meister_accounts_are_one_admins_work(client, make, role):
    body = new_account(role, f"new.{role}@example.kr")
    if role == "firm":
        body["firm_id"] = make.firm().id
    created = admin_api(client, make).post("/users", json=body)
    assert created.status_code == 201, created.get_json()
    assert find_user_by_email(f"new.{role}@example.kr").role == role


def test_a_refused_account_is_never_created(client, make):
    asker, other = admin_api(client, make), admin_api(client, make)
    request_id = asker.post("/users", json=new_account()).get_json()["id"]
    refused = other.post(f"/approval-requests/{request_id}/refuse", json={"reason": "중복"})
    assert refused.get_json()["status"] == "refused"
    assert find_user_by_email("new.auditor@example.kr") is None


def test_an_e_mail_taken_meanwhile_refuses_the_confirmation(client, make):
    asker, other = admin_api(client, make), admin_api(client, make)
    first = asker.post("/users", json=new_account()).get_json()["id"]
    second = asker.post("/users", json=new_account()).get_json()["id"]
    assert other.post(f"/approval-requests/{first}/confirm").status_code == 200
    taken = other.post(f"/approval-requests/{second}/confirm")
    assert (taken.status_code, taken.get_json()["reason"]) == (409, "email_taken")
    assert db.session.scalar(select(func.count(User.id)).where(User.role == "auditor")) == 1


def test_money_and_account_requests_are_kept_apart(client, make):
    """An admin never decides money; a manager never decides accounts."""
    request_id = admin_api(client, make).post("/users", json=new_account()).get_json()["id"]
    manager = ApiClient(client).as_(make.user("manager"))
    assert manager.post(f"/approval-requests/{request_id}/confirm").status_code == 403
    assert manager.get(f"/approval-requests/{request_id}").status_code == 403
    listed = manager.get("/approval-requests").get_json()["items"]
    assert request_id not in [item["id"] for item in listed]
    make.fiscal_year(year=2026, budget=1_000_000)
    budget = manager.post("/fiscal-years/2026/budget", json={"amount": 1_000, "reason": "추경"})
    other_admin = admin_api(client, make)
    money_id = budget.get_json()["id"]
    assert other_admin.post(f"/approval-requests/{money_id}/confirm").status_code == 403


def test_the_chosen_password_is_never_audited_or_shown(client, make):
    asker, other = admin_api(client, make), admin_api(client, make)
    asked = asker.post("/users", json=new_account()).get_json()
    other.post(f"/approval-requests/{asked['id']}/confirm")
    stored_hash = db.session.get(ApprovalRequest, asked["id"]).password_hash
    assert stored_hash
    events = db.session.scalars(select(AuditEvent)).all()
    dumped = json.dumps([[e.before, e.after] for e in events], default=str)
    assert stored_hash not in dumped
    assert PASSWORD not in dumped
    assert "password" not in asked["payload"]
    shown = other.get(f"/approval-requests/{asked['id']}").get_json()
    assert stored_hash not in json.dumps(shown)


def test_the_audit_names_both_admins(client, make):
    asker_user, confirmer_user = make.user("admin"), make.user("admin")
    asker = ApiClient(client).as_(asker_user)
    confirmer = ApiClient(client).as_(confirmer_user)
    request_id = asker.post("/users", json=new_account()).get_json()["id"]
    confirmer.post(f"/approval-requests/{request_id}/confirm")
    user_id = find_user_by_email("new.auditor@example.kr").id
    created = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.object_id == user_id
        )
    )
    assert created.actor_id == confirmer_user.id
    assert json.loads(created.after)["requested_by"] == asker_user.id


# ---------------------------------------------------------------- password resets


def reset_on_page(client, admin: User, target: User, password: str = RESET_PASSWORD):
    auth = AuthActions(client)
    auth.login(admin)
    answer = client.post(f"/admin/users/{target.id}/password", data={"password": password})
    auth.logout()
    return answer


def test_resetting_a_managers_password_waits_for_a_second_admin(app, client, make):
    target = make.user("manager")
    asker, confirmer = make.user("admin"), make.user("admin")
    answer = reset_on_page(client, asker, target)
    assert (answer.status_code, answer.headers["Location"]) == (302, "/approvals")
    assert AuthActions(client).login(target, RESET_PASSWORD).status_code == 200  # not yet
    request_id = db.session.scalar(select(func.max(ApprovalRequest.id)))
    db.session.rollback()

    auth = AuthActions(client)
    auth.login(confirmer)
    assert client.post(f"/approvals/{request_id}/confirm").status_code == 302
    auth.logout()

    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert user.must_change_password
    assert user.session_version == 2
    signed_in = AuthActions(client).login(target, RESET_PASSWORD)
    assert signed_in.headers["Location"] == "/account/new-password"


def test_the_requester_cannot_confirm_their_own_reset_on_the_page(client, make):
    target, asker = make.user("auditor"), make.user("admin", language="en")
    reset_on_page(client, asker, target)
    request_id = db.session.scalar(select(func.max(ApprovalRequest.id)))
    db.session.rollback()
    AuthActions(client).login(asker)
    answer = client.post(f"/approvals/{request_id}/confirm", follow_redirects=True)
    assert "Another administrator must decide this request." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, target.id).must_change_password


@pytest.fixture
def reset_firm_user(client, make) -> User:
    target = make.user("firm", firm=make.firm(), language="en")
    reset_on_page(client, make.user("admin"), target)
    return target


def test_after_a_reset_the_user_is_not_signed_in_until_a_new_password_is_chosen(
    client, reset_firm_user
):
    AuthActions(client).login(reset_firm_user, RESET_PASSWORD)
    assert client.get("/tickets").status_code == 302  # not signed in
    page = client.get("/account/new-password")
    assert page.status_code == 200
    assert reset_firm_user.email in page.get_data(as_text=True)


def test_the_given_password_cannot_be_kept(client, reset_firm_user):
    AuthActions(client).login(reset_firm_user, RESET_PASSWORD)
    kept = client.post(
        "/account/new-password",
        data={"new_password": RESET_PASSWORD, "confirm": RESET_PASSWORD},
    )
    assert kept.status_code == 200
    assert "받은 비밀번호와 다른 비밀번호를 정하세요." in kept.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, reset_firm_user.id).must_change_password


def test_choosing_a_new_password_signs_the_user_in(client, reset_firm_user):
    AuthActions(client).login(reset_firm_user, RESET_PASSWORD)
    chosen = client.post(
        "/account/new-password", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert chosen.status_code == 302
    assert client.get("/tickets").status_code == 200
    db.session.expire_all()
    assert not db.session.get(User, reset_firm_user.id).must_change_password
    AuthActions(client).logout()
    assert AuthActions(client).login(reset_firm_user, RESET_PASSWORD).status_code == 200  # old one
    assert AuthActions(client).login(reset_firm_user, NEW_PASSWORD).status_code == 302


def test_the_new_password_step_needs_the_sign_in_first(client, reset_firm_user):
    answer = client.post(
        "/account/new-password", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert (answer.status_code, answer.headers["Location"]) == (302, "/login")
    db.session.expire_all()
    assert db.session.get(User, reset_firm_user.id).must_change_password


def test_the_api_refuses_a_token_for_a_reset_password(client, reset_firm_user):
    answer = ApiClient(client).post(
        "/tokens", json={"email": reset_firm_user.email, "password": RESET_PASSWORD}
    )
    assert (answer.status_code, answer.get_json()["reason"]) == (403, "password_change_required")
