"""Choosers: firms, Meisters and suppliers are picked by name (GET /choices/…), never typed
as ids; the forms that take them accept a chosen one and refuse an unknown or inactive one.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aftercare.assets.models import Asset
from aftercare.auth.models import User
from aftercare.choices import fields
from aftercare.extensions import db
from aftercare.meisters.models import MeisterProfile
from aftercare.tickets.models import Ticket


def _named_meister(make, name: str, **profile) -> User:
    user = make.meister(**profile)
    user.name = name
    db.session.commit()
    return user


def _as(auth, user) -> None:
    auth.logout()
    auth.login(user)


def _triaged_ticket(client, auth, make, firm=None) -> int:
    firm = firm or make.firm(region="seoul")
    auth.login(make.user("firm", firm=firm))
    filed = client.post(
        "/tickets/new", data={"category": "breakdown", "severity": "normal", "title": "PLC 정지"}
    )
    assert filed.status_code == 302, filed.get_data(as_text=True)
    ticket_id = int(re.search(r"/tickets/(\d+)$", filed.headers["Location"]).group(1))
    _as(auth, make.user("manager"))
    client.post(
        f"/tickets/{ticket_id}/triage", data={"decision": "accept", "support_type": "emergency"}
    )
    return ticket_id


# ---------------------------------------------------------------- the endpoints


def test_firms_are_found_by_part_of_the_name_or_the_registration_number(client, auth, make):
    wanted = make.firm(name="한빛정밀 주식회사", region="busan")
    make.firm(name="대성금속")
    auth.login(make.user("manager"))
    found = client.get("/choices/firms", query_string={"q": "한빛"}).get_json()
    assert [c["id"] for c in found] == [wanted.id]
    assert found[0]["label"] == "한빛정밀 주식회사"
    assert "부산" in found[0]["detail"]
    digits = wanted.registration_number[3:8]
    by_number = client.get("/choices/firms", query_string={"q": digits}).get_json()
    assert wanted.id in [c["id"] for c in by_number]


def test_meisters_list_only_active_ones_unless_asked(client, auth, make):
    active = _named_meister(make, "김민수")
    resting = _named_meister(make, "김민정")
    db.session.scalar(
        select(MeisterProfile).where(MeisterProfile.user_id == resting.id)
    ).active = False
    db.session.commit()
    auth.login(make.user("manager"))
    found = client.get("/choices/meisters?q=김민").get_json()
    assert [c["id"] for c in found] == [active.id]
    assert "진행 0/5건" in found[0]["detail"]
    everyone = client.get("/choices/meisters?q=김민&inactive=1").get_json()
    assert {c["id"] for c in everyone} == {active.id, resting.id}


def test_suppliers_hide_inactive_ones(client, auth, make):
    shown = make.supplier(name="스마트솔루션 가나")
    hidden = make.supplier(name="스마트솔루션 다라")
    hidden.active = False
    db.session.commit()
    auth.login(make.meister())  # a Meister names the supplier of an invoice
    found = client.get("/choices/suppliers?q=스마트솔루션").get_json()
    assert [c["id"] for c in found] == [shown.id]


def test_at_most_twenty_matches_and_an_empty_query_lists_the_first(client, auth, make):
    for n in range(25):
        make.firm(name=f"가나공업 {n:02d}")
    auth.login(make.user("auditor"))
    found = client.get("/choices/firms?q=").get_json()
    assert len(found) == 20
    assert [c["label"] for c in found] == sorted(c["label"] for c in found)
    assert len(client.get("/choices/firms?q=가나공업").get_json()) == 20


@pytest.mark.parametrize("q", ["%", "_", "\\", "' OR 1=1 --", "　", "없는이름"])
def test_odd_queries_answer_an_empty_list_not_an_error(client, auth, make, q):
    make.firm(name="대성금속")
    auth.login(make.user("manager"))
    response = client.get("/choices/firms", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json() == [] or q == "　"  # a wide space is stripped: the first 20


def test_a_very_long_query_is_refused_with_a_message(client, auth, make):
    auth.login(make.user("manager"))
    response = client.get("/choices/firms", query_string={"q": "가" * 101})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400
    assert "100자" in body["message"]
    assert client.get("/choices/firms", query_string={"q": "가" * 100}).status_code == 200


def test_a_nul_character_is_a_json_error(client, auth, make):
    auth.login(make.user("manager"))
    response = client.get("/choices/meisters", query_string={"q": "a\x00"})
    assert 400 <= response.status_code < 500
    assert response.is_json


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("firm", {"suppliers"}),
        ("meister", {"suppliers"}),
        ("manager", {"firms", "meisters", "suppliers"}),
        ("auditor", {"firms", "meisters", "suppliers"}),
        ("admin", {"firms"}),
    ],
)
def test_each_role_lists_only_what_it_may_pick(client, auth, make, role, allowed):
    firm = make.firm(name="우리공장")
    make.firm(name="남의공장")
    if role == "meister":
        user = make.meister()
    else:
        user = make.user(role, firm=firm if role == "firm" else None)
    auth.login(user)
    for kind in ("firms", "meisters", "suppliers"):
        response = client.get(f"/choices/{kind}")
        assert response.status_code == (200 if kind in allowed else 403), (role, kind)
        assert response.is_json
        if kind == "firms" and kind not in allowed:
            assert "남의공장" not in response.get_data(as_text=True)


def test_anonymous_gets_401(client):
    for kind in ("firms", "meisters", "suppliers"):
        response = client.get(f"/choices/{kind}?q=a")
        assert response.status_code == 401
        assert response.get_json()["code"] == 401


# ---------------------------------------------------------------- the assign form


def test_the_assign_page_offers_meisters_by_name(client, auth, make):
    meister = _named_meister(make, "박지훈")
    ticket_id = _triaged_ticket(client, auth, make)
    page = client.get(f"/tickets/{ticket_id}/assign").get_data(as_text=True)
    assert 'data-chooser="meisters"' in page
    assert f'<option value="{meister.id}"' in page
    assert "박지훈" in page
    assert "사용자 ID" not in page


def test_assigning_a_chosen_meister_works(client, auth, make):
    meister = _named_meister(make, "박지훈")
    ticket_id = _triaged_ticket(client, auth, make)
    answer = client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": str(meister.id)})
    assert answer.status_code == 302
    assert db.session.get(Ticket, ticket_id).meister_id == meister.id


def test_a_meister_typed_by_exact_name_without_javascript_is_assigned(client, auth, make):
    meister = _named_meister(make, "박지훈")
    ticket_id = _triaged_ticket(client, auth, make)
    answer = client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": "박지훈"})
    assert answer.status_code == 302
    assert db.session.get(Ticket, ticket_id).meister_id == meister.id


@pytest.mark.parametrize("value", ["unknown", "inactive", "not a meister", "nobody by name"])
def test_an_unknown_or_inactive_meister_is_refused_and_nothing_changes(client, auth, make, value):
    resting = _named_meister(make, "최휴식")
    resting.active = False
    db.session.commit()
    manager_id = make.user("manager").id
    ticket_id = _triaged_ticket(client, auth, make)
    sent = {
        "unknown": "999999",
        "inactive": str(resting.id),
        "not a meister": str(manager_id),
        "nobody by name": "없는 사람",
    }[value]
    response = client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": sent})
    assert response.status_code == 200
    assert _form_error(response) == "활성 상태인 스마트 마이스터를 선택해 주세요."
    ticket = db.session.get(Ticket, ticket_id)
    db.session.refresh(ticket)
    assert ticket.meister_id is None


def test_an_empty_meister_is_a_form_error(client, auth, make):
    ticket_id = _triaged_ticket(client, auth, make)
    response = client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": ""})
    assert response.status_code == 200
    assert "마이스터를 고르세요" in response.get_data(as_text=True)
    assert db.session.get(Ticket, ticket_id).meister_id is None


def _form_error(response) -> str | None:
    match = re.search(r'class="invalid-feedback">([^<]+)<', response.get_data(as_text=True))
    return match.group(1) if match else None


def test_a_long_list_is_a_search_box_that_takes_a_name(client, auth, make, monkeypatch):
    monkeypatch.setattr(fields, "SELECT_MAX", 1)
    _named_meister(make, "가나다")
    chosen = _named_meister(make, "라마바")
    ticket_id = _triaged_ticket(client, auth, make)
    page = client.get(f"/tickets/{ticket_id}/assign").get_data(as_text=True)
    assert re.search(r'<input[^>]+data-chooser="meisters"', page)
    assert "<option" not in page.split('data-chooser="meisters"')[1].split("</form>")[0]
    response = client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": "없는 사람"})
    assert 'value="없는 사람"' in response.get_data(as_text=True)  # what was typed stays
    client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": "라마바"})
    assert db.session.get(Ticket, ticket_id).meister_id == chosen.id


# ---------------------------------------------------------------- firm choosers


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_manager_files_a_ticket_for_a_chosen_firm(client, auth, make):
    firm = make.firm(name="한빛정밀")
    auth.login(make.user("manager"))
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'data-chooser="firms"' in page
    assert "한빛정밀" in page
    assert "기업 ID" not in page
    answer = client.post(
        "/tickets/new",
        data={"firm_id": str(firm.id), "category": "breakdown", "title": "정지"},
    )
    assert answer.status_code == 302
    assert db.session.scalar(select(Ticket.firm_id).order_by(Ticket.id.desc())) == firm.id


def test_an_unknown_firm_is_refused_and_no_ticket_is_filed(client, auth, make):
    make.firm()
    auth.login(make.user("manager"))
    for sent in ("999999", "없는 기업", "12345678901", "²", "-1", "0"):
        response = client.post(
            "/tickets/new", data={"firm_id": sent, "category": "breakdown", "title": "정지"}
        )
        assert response.status_code in (200, 422)
        assert _form_error(response) == "목록에서 기업을 고르세요.", sent
    assert _count(Ticket) == 0


def test_a_firm_user_cannot_file_for_another_firm(client, auth, make):
    own, other = make.firm(), make.firm()
    auth.login(make.user("firm", firm=own))
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'data-chooser="firms"' not in page
    assert other.name not in page
    client.post(
        "/tickets/new", data={"firm_id": str(other.id), "category": "breakdown", "title": "정지"}
    )
    assert db.session.scalar(select(Ticket.firm_id)) == own.id


def test_an_asset_is_registered_for_a_chosen_firm_only(client, auth, make):
    firm = make.firm(name="대성금속")
    auth.login(make.user("manager"))
    refused = client.post("/assets/new", data={"firm_id": "999999", "name": "사출기"})
    assert _form_error(refused) == "목록에서 기업을 고르세요."
    assert _count(Asset) == 0
    saved = client.post(
        "/assets/new", data={"firm_id": str(firm.id), "name": "사출기", "kind": "equipment"}
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert db.session.scalar(select(Asset.firm_id)) == firm.id


def test_an_admin_creates_a_firm_user_for_a_chosen_firm(client, auth, make):
    firm = make.firm(name="한빛정밀")
    auth.login(make.user("admin"))
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'data-chooser="firms"' in page
    assert "기업 ID" not in page
    form = {
        "email": "new-firm-user@example.kr",
        "name": "새 사용자",
        "role": "firm",
        "language": "ko",
        "password": "a-long-password-123",
    }
    refused = client.post("/admin/users/new", data=form | {"firm_id": "없는 기업"})
    assert _form_error(refused) == "목록에서 기업을 고르세요."
    assert db.session.scalar(select(User).where(User.email == form["email"])) is None
    client.post("/admin/users/new", data=form | {"firm_id": "한빛정밀"})
    created = db.session.scalar(select(User).where(User.email == form["email"]))
    assert created is not None
    assert created.firm_id == firm.id


# ---------------------------------------------------------------- list filters


def _search_box(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def test_the_ticket_list_filters_by_firm_and_meister_chosen_by_name(client, auth, make):
    firm = make.firm(name="한빛정밀")
    meister = _named_meister(make, "박지훈")
    auth.login(make.user("manager"))
    page = client.get(f"/tickets?firm_id={firm.id}&meister_id={meister.id}").get_data(as_text=True)
    # Search boxes showing the names; the script keeps the ids in the query string.
    firm_box, meister_box = _search_box(page, "firm_id"), _search_box(page, "meister_id")
    assert 'value="한빛정밀"' in firm_box
    assert f'data-chooser-value="{firm.id}"' in firm_box
    assert 'value="박지훈"' in meister_box
    assert f'data-chooser-value="{meister.id}"' in meister_box
    assert "기업 ID" not in page
    assert "마이스터 ID" not in page


def test_a_list_filter_typed_by_name_without_javascript_finds_the_firm(client, auth, make):
    wanted = make.firm(name="한빛정밀")
    other = make.firm(name="대성금속")
    for firm in (wanted, other):
        auth.login(make.user("firm", firm=firm))
        client.post("/tickets/new", data={"category": "breakdown", "title": f"{firm.name} 정지"})
        auth.logout()
    auth.login(make.user("manager"))
    page = client.get("/tickets", query_string={"firm_id": "한빛정밀"}).get_data(as_text=True)
    assert "한빛정밀 정지" in page
    assert "대성금속 정지" not in page
    nobody = client.get("/tickets", query_string={"firm_id": "없는 기업"}).get_data(as_text=True)
    assert "한빛정밀 정지" not in nobody
    assert "대성금속 정지" not in nobody


def test_the_ledger_filters_by_a_firm_chosen_by_name(client, auth, make):
    firm = make.firm(name="한빛정밀")
    auth.login(make.user("auditor"))
    page = client.get(f"/ledger/transactions?firm_id={firm.id}").get_data(as_text=True)
    box = _search_box(page, "firm_id")
    assert 'value="한빛정밀"' in box
    assert f'data-chooser-value="{firm.id}"' in box
    assert "기업 ID" not in page
