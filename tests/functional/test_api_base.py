"""API base: tokens, errors of SPEC §8, OpenAPI, /me, /users, /firms, /meisters, /fiscal-years."""

from datetime import timedelta

import pytest
from openapi_spec_validator import validate

from aftercare.auth.models import ApiToken
from aftercare.db import utcnow
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import LedgerTransaction
from tests.helpers import PASSWORD, valid_brn


def assert_error(response, code):
    assert response.status_code == code
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str)
    assert body["status"]
    assert isinstance(body["message"], str)
    return body


def test_token_issue_and_use(client, make):
    user = make.user("manager")
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": "manager",
        "firm_id": None,
        "language": "ko",
        "active": True,
    }


def test_token_is_stored_hashed(client, make):
    user = make.user("manager")
    token = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash != token
    assert len(stored.token_hash) == 64


def test_wrong_credentials_answer_401_json(client, make):
    user = make.user("manager")
    body = assert_error(
        client.post("/api/v1/tokens", json={"email": user.email, "password": "nope"}), 401
    )
    assert "password" in body["message"]


def test_token_endpoint_is_throttled(client, make):
    user = make.user("manager")
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": user.email, "password": "nope"})
    assert_error(
        client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}), 429
    )


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"])
def test_missing_or_bad_token_is_401_json(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(client, api, make):
    user = make.user("manager")
    caller = api.as_(user)
    db.session.query(ApiToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert_error(caller.get("/me"), 401)


def test_revoked_token_is_401(client, api, make):
    caller = api.as_(make.user("manager"))
    assert caller.delete("/tokens/current").status_code == 204
    assert_error(caller.get("/me"), 401)


def test_deactivating_a_user_revokes_their_tokens(client, api, make):
    from aftercare.auth.services import set_user_active

    admin = make.user("admin")
    user = make.user("auditor")
    caller = api.as_(user)
    set_user_active(admin, user.id, False)
    assert_error(caller.get("/me"), 401)


def test_session_cookie_is_not_accepted_by_the_api(client, auth, make):
    auth.login(make.user("manager"))
    assert_error(client.get("/api/v1/me"), 401)


def test_unknown_api_route_is_json_404(client, api, make):
    assert_error(api.as_(make.user("manager")).get("/nothing-here"), 404)


def test_wrong_method_is_json_405(client, api, make):
    assert_error(api.as_(make.user("manager")).delete("/me"), 405)


def test_body_that_is_not_json_is_400(client, api, make):
    caller = api.as_(make.user("manager"))
    form_headers = caller._headers({"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(client.post("/api/v1/firms", data="name=x", headers=form_headers), 400)
    json_headers = caller._headers({"Content-Type": "application/json"})
    assert_error(client.post("/api/v1/firms", data="{not json", headers=json_headers), 400)


def test_validation_errors_are_422_with_field_messages(client, api, make):
    caller = api.as_(make.user("manager"))
    body = assert_error(
        caller.post(
            "/firms", json={"name": "", "registration_number": "1234567890", "size": "huge"}
        ),
        422,
    )
    assert set(body["errors"]) >= {"name", "size", "region"}
    assert all(isinstance(m, list) and m for m in body["errors"].values())


def test_bad_check_digit_is_a_422_on_registration_number(client, api, make):
    caller = api.as_(make.user("manager"))
    good = valid_brn(42)
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    body = assert_error(
        caller.post(
            "/firms",
            json={"name": "A", "registration_number": bad, "size": "small", "region": "seoul"},
        ),
        422,
    )
    assert list(body["errors"]) == ["registration_number"]


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/tokens" in document["paths"]
    assert "/api/v1/fiscal-years" in document["paths"]


def test_admin_creates_users_through_the_api(client, api, make):
    caller = api.as_(make.user("admin"))
    firm = make.firm()
    response = caller.post(
        "/users",
        json={
            "email": "Staff@Factory.kr",
            "name": "직원",
            "password": "factory-line-42",
            "role": "firm",
            "firm_id": firm.id,
        },
    )
    assert response.status_code == 201
    assert response.get_json()["email"] == "staff@factory.kr"
    again = caller.post(
        "/users",
        json={
            "email": "staff@factory.kr",
            "name": "직원",
            "password": "factory-line-42",
            "role": "firm",
            "firm_id": firm.id,
        },
    )
    assert "email" in assert_error(again, 422)["errors"]


@pytest.mark.parametrize("role", ["manager", "auditor", "firm", "meister"])
def test_only_admins_create_users(client, api, make, role):
    caller = api.as_(make.user(role))
    assert_error(
        caller.post(
            "/users",
            json={"email": "x@y.kr", "name": "x", "password": "factory-line-42", "role": "auditor"},
        ),
        403,
    )


def test_manager_creates_and_reads_firms_with_usage(client, api, make):
    make.fiscal_year(year=seoul_today().year)
    caller = api.as_(make.user("manager"))
    created = caller.post(
        "/firms",
        json={
            "name": "한빛정밀",
            "registration_number": "220-81-62517",
            "size": "small",
            "region": "gyeonggi",
            "built_year": 2019,
        },
    )
    assert created.status_code == 201
    firm = created.get_json()
    assert firm["registration_number"] == "2208162517"
    assert firm["usage"]["emergency"] == {
        "cap": 5_000_000,
        "reserved": 0,
        "paid": 0,
        "remaining": 5_000_000,
    }
    assert firm["usage"]["growth"]["cap"] == 20_000_000
    listed = caller.get("/firms").get_json()
    assert [f["id"] for f in listed["items"]] == [firm["id"]]
    assert listed["next_cursor"] is None
    duplicate = caller.post(
        "/firms",
        json={
            "name": "복제",
            "registration_number": "2208162517",
            "size": "small",
            "region": "seoul",
        },
    )
    assert "registration_number" in assert_error(duplicate, 422)["errors"]


def test_usage_is_null_when_no_year_is_open(client, api, make):
    firm = make.firm()
    caller = api.as_(make.user("manager"))
    assert caller.get(f"/firms/{firm.id}").get_json()["usage"] is None


def test_firm_user_sees_only_their_own_firm(client, api, make):
    mine, other = make.firm(), make.firm()
    caller = api.as_(make.user("firm", firm=mine))
    assert caller.get(f"/firms/{mine.id}").status_code == 200
    assert_error(caller.get(f"/firms/{other.id}"), 404)
    assert [f["id"] for f in caller.get("/firms").get_json()["items"]] == [mine.id]
    assert_error(caller.post("/firms", json={}), 403)


def test_firm_list_paginates_by_cursor(client, api, make):
    firms = [make.firm() for _ in range(5)]
    caller = api.as_(make.user("auditor"))
    first = caller.get("/firms?limit=2").get_json()
    second = caller.get(f"/firms?limit=2&cursor={first['next_cursor']}").get_json()
    third = caller.get(f"/firms?limit=2&cursor={second['next_cursor']}").get_json()
    ids = [f["id"] for page in (first, second, third) for f in page["items"]]
    assert ids == sorted((f.id for f in firms), reverse=True)
    assert third["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=%%%"])
def test_bad_list_arguments_are_422(client, api, make, query):
    assert_error(api.as_(make.user("manager")).get(f"/firms?{query}"), 422)


def test_meister_profiles(client, api, make):
    caller = api.as_(make.user("manager"))
    meister = make.user("meister")
    created = caller.post(
        "/meisters",
        json={"user_id": meister.id, "specialties": ["plc", "mes"], "regions": ["busan"]},
    )
    assert created.status_code == 201
    assert created.get_json() | {} == {
        "user_id": meister.id,
        "name": meister.name,
        "specialties": ["mes", "plc"],
        "regions": ["busan"],
        "max_load": 5,
        "active": True,
        "load": 0,
        "rating": None,
    }
    assert caller.get(f"/meisters/{meister.id}").status_code == 200
    assert_error(caller.get("/meisters/99999"), 404)
    not_meister = make.user("auditor")
    assert (
        "user_id"
        in assert_error(caller.post("/meisters", json={"user_id": not_meister.id}), 422)["errors"]
    )
    assert (
        "specialties"
        in assert_error(
            caller.patch(f"/meisters/{meister.id}", json={"specialties": ["cooking"]}), 422
        )["errors"]
    )
    assert caller.patch(f"/meisters/{meister.id}", json={"max_load": 7}).get_json()["max_load"] == 7


def test_patching_one_field_of_a_meister_keeps_the_others(api, make):
    meister = make.meister(specialties=["plc", "mes"], regions=["busan"])
    caller = api.as_(make.user("manager"))
    caller.patch(f"/meisters/{meister.id}", json={"active": False})
    body = caller.patch(f"/meisters/{meister.id}", json={"max_load": 7}).get_json()
    assert (body["max_load"], body["specialties"], body["regions"], body["active"]) == (
        7,
        ["mes", "plc"],
        ["busan"],
        False,
    )


def test_opening_a_fiscal_year_funds_the_pool(client, api, make):
    caller = api.as_(make.user("manager"))
    response = caller.post("/fiscal-years", json={"year": 2021, "budget": 4_400_000_000})
    assert response.status_code == 201
    body = response.get_json()
    types = {t["code"]: t for t in body["support_types"]}
    assert {code: t["cap"] for code, t in types.items()} == {
        "emergency": 5_000_000,
        "growth": 20_000_000,
    }
    assert {(t["share_rate_bp"], t["rounding_unit"]) for t in types.values()} == {(5000, 1000)}
    txn = db.session.get(LedgerTransaction, body["fund_transaction_id"])
    assert txn.type == "fund"
    assert txn.amount == 4_400_000_000
    assert sorted(p.amount for p in txn.postings) == [-4_400_000_000, 4_400_000_000]
    again = caller.post("/fiscal-years", json={"year": 2021, "budget": 1})
    assert_error(again, 409)


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2021, "budget": 1.5},
        {"year": 2021, "budget": "100"},
        {"year": 2021, "budget": -1},
        {"year": 2021, "budget": 100, "share_rate_bp": 10001},
        {"budget": 100},
    ],
)
def test_fiscal_year_input_is_validated(client, api, make, body):
    assert_error(api.as_(make.user("admin")).post("/fiscal-years", json=body), 422)


def test_auditor_cannot_open_a_fiscal_year(client, api, make):
    assert_error(
        api.as_(make.user("auditor")).post("/fiscal-years", json={"year": 2022, "budget": 1}), 403
    )
