"""Supplier registry pages and /api/v1/suppliers; the firm's supplier choice (both databases)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aftercare.audit.models import AuditEvent
from aftercare.domain.registration import format_registration_number
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.suppliers.models import Supplier
from aftercare.suppliers.services import set_supplier_active
from tests.helpers import valid_brn

SPEC_FIELDS = {
    "id",
    "name",
    "registration_number",
    "representative",
    "contact_name",
    "contact_phone",
    "contact_email",
    "region",
    "solutions",
    "active",
}


def html(response) -> str:
    return response.get_data(as_text=True)


def bad_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


def supplier_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Supplier.id)))


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def next_cursor(page: str) -> str | None:
    found = re.search(r'href="[^"]*[?&;]cursor=([A-Za-z0-9_\-]+)', page)
    return found.group(1) if found else None


def supplier_form(**overrides) -> dict:
    return {
        "name": "엠이에스코리아",
        "registration_number": format_registration_number(valid_brn(8001)),
        "representative": "박대표",
        "region": "daejeon",
        "solutions": ["mes", "vision"],
        "contact_name": "김영업",
        "contact_phone": "042-123-4567",
        "contact_email": "sales@mes.example.kr",
    } | overrides


@pytest.fixture
def manager(auth, make):
    user = make.user("manager")
    auth.login(user)
    return user


# --- pages -----------------------------------------------------------------------------------


def test_a_manager_registers_a_supplier_on_the_page(client, manager):
    response = client.post("/suppliers/new", data=supplier_form())
    supplier = db.session.scalar(select(Supplier))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/suppliers/{supplier.id}"
    assert (supplier.registration_number, supplier.region) == (valid_brn(8001), "daejeon")
    assert supplier.solutions == ["mes", "vision"]
    page = html(client.get(f"/suppliers/{supplier.id}"))
    assert "엠이에스코리아" in page
    assert format_registration_number(valid_brn(8001)) in page


def test_a_bad_check_digit_is_refused_on_the_page_in_korean(client, manager):
    number = bad_check_digit(valid_brn(8002))
    response = client.post("/suppliers/new", data=supplier_form(registration_number=number))
    assert response.status_code == 422
    assert "올바른 사업자등록번호가 아닙니다" in html(response)
    assert supplier_count() == 0


def test_a_duplicate_registration_number_is_refused_on_the_page(client, manager, make):
    existing = make.supplier()
    number = format_registration_number(existing.registration_number)
    response = client.post("/suppliers/new", data=supplier_form(registration_number=number))
    assert response.status_code == 422
    assert "이미 등록되어 있습니다" in html(response)
    assert supplier_count() == 1


def test_the_new_form_takes_effect_once(client, manager):
    form = supplier_form(once_token="supplier-once-1")
    assert client.post("/suppliers/new", data=form).status_code == 302
    again = client.post("/suppliers/new", data=form)
    assert again.status_code == 302
    assert supplier_count() == 1


def test_the_list_searches_filters_and_pages(client, manager, make):
    mes = make.supplier(name="엠이에스코리아", region="daejeon", solutions=["mes"])
    robot = make.supplier(name="㈜한국자동화", region="busan", solutions=["robot", "plc"])
    off = make.supplier(name="폐업 솔루션", region="busan", solutions=["plc"])
    set_supplier_active(manager, off.id, False)

    def names(query: str) -> set[str]:
        page = html(client.get(f"/suppliers?{query}"))
        found = {s.name for s in (mes, robot, off) if s.name in page}
        return found

    assert names("q=한국") == {"㈜한국자동화"}
    assert names(f"q={format_registration_number(mes.registration_number)}") == {"엠이에스코리아"}
    assert names("q=부산") == {"㈜한국자동화", "폐업 솔루션"}
    assert names("q=plc") == {"㈜한국자동화", "폐업 솔루션"}
    assert names("region=daejeon") == {"엠이에스코리아"}
    assert names("solution=plc&active=active") == {"㈜한국자동화"}
    assert names("active=inactive") == {"폐업 솔루션"}
    assert names("region=nowhere&solution=nothing&active=maybe") == {
        "엠이에스코리아",
        "㈜한국자동화",
        "폐업 솔루션",
    }  # unknown filter values are ignored

    first = client.get("/suppliers?limit=2")
    assert "table-responsive" in html(first)
    cursor = next_cursor(html(first))
    assert cursor is not None
    second = html(client.get(f"/suppliers?limit=2&cursor={cursor}"))
    assert "엠이에스코리아" in second
    assert "㈜한국자동화" not in second
    bad = client.get("/suppliers?cursor=not-a-cursor")
    assert bad.status_code == 302


def test_deactivating_asks_first_and_the_supplier_is_no_longer_offered(client, manager, make):
    supplier = make.supplier(name="곧 비활성")
    assert "곧 비활성" in html(client.get("/firms/new"))
    question = client.get(f"/suppliers/{supplier.id}/active")
    assert question.status_code == 200
    assert "비활성화할까요" in html(question)
    done = client.post(f"/suppliers/{supplier.id}/active", data={"active": "0"})
    assert done.status_code == 302
    assert "비활성화했습니다" in html(client.get(done.headers["Location"]))  # the flash, shown once
    db.session.expire_all()
    assert db.session.get(Supplier, supplier.id).active is False
    assert "곧 비활성" not in html(client.get("/firms/new"))
    assert client.post(f"/suppliers/{supplier.id}/active", data={"active": "x"}).status_code == 400
    client.post(f"/suppliers/{supplier.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(Supplier, supplier.id).active is True


def test_the_firm_form_chooses_a_supplier_and_the_firm_page_names_it(client, manager, make):
    supplier = make.supplier(name="스마트솔루션㈜")
    data = {
        "name": "한빛정밀",
        "registration_number": valid_brn(8100),
        "size": "small",
        "region": "busan",
        "supplier_id": str(supplier.id),
    }
    response = client.post("/firms/new", data=data)
    assert response.status_code == 302
    firm = db.session.scalar(select(Firm))
    assert firm.supplier_id == supplier.id
    assert "스마트솔루션㈜" in html(client.get(f"/firms/{firm.id}"))


def test_the_firm_form_refuses_a_deactivated_or_made_up_supplier(client, manager, make):
    supplier = make.supplier()
    set_supplier_active(manager, supplier.id, False)
    for value in (str(supplier.id), "999999", "abc"):
        data = {
            "name": "한빛정밀",
            "registration_number": valid_brn(8101),
            "size": "small",
            "region": "busan",
            "supplier_id": value,
        }
        assert client.post("/firms/new", data=data).status_code == 422
    assert db.session.scalar(select(func.count(Firm.id))) == 0


def test_editing_a_firm_keeps_its_deactivated_supplier(client, manager, make):
    supplier = make.supplier(name="옛 공급사")
    firm = make.firm(supplier_id=supplier.id)
    set_supplier_active(manager, supplier.id, False)
    page = html(client.get(f"/firms/{firm.id}/edit"))
    assert "옛 공급사(비활성)" in page
    data = {
        "name": firm.name,
        "registration_number": firm.registration_number,
        "size": "small",
        "region": "busan",
        "supplier_id": str(supplier.id),
    }
    assert client.post(f"/firms/{firm.id}/edit", data=data).status_code == 302


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_other_roles_may_not_open_the_registry(client, auth, make, role):
    supplier = make.supplier()
    auth.login(make.user(role))
    for path in ("/suppliers", f"/suppliers/{supplier.id}", "/suppliers/new"):
        assert client.get(path).status_code == 403
    assert client.post(f"/suppliers/{supplier.id}/active", data={"active": "0"}).status_code == 403


def test_an_auditor_reads_but_sees_no_buttons(client, auth, make):
    supplier = make.supplier()
    auth.login(make.user("auditor"))
    page = html(client.get(f"/suppliers/{supplier.id}"))
    assert supplier.name in page
    assert f"/suppliers/{supplier.id}/edit" not in page
    assert client.get(f"/suppliers/{supplier.id}/edit").status_code == 403


# --- API -------------------------------------------------------------------------------------


def api_body(**overrides) -> dict:
    return {
        "name": "㈜팩토리원",
        "registration_number": format_registration_number(valid_brn(8200)),
        "representative": "이대표",
        "region": "seoul",
        "solutions": ["plc", "scada"],
    } | overrides


def test_the_api_creates_reads_and_patches_a_supplier(api, make):
    manager = api.as_(make.user("manager"))
    created = manager.post("/suppliers", json=api_body())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) >= SPEC_FIELDS
    assert body["registration_number"] == valid_brn(8200)
    assert body["active"] is True
    auditor = api.as_(make.user("auditor"))
    assert auditor.get(f"/suppliers/{body['id']}").get_json()["name"] == "㈜팩토리원"
    patched = manager.patch(f"/suppliers/{body['id']}", json={"active": False, "region": "busan"})
    assert patched.status_code == 200
    assert (patched.get_json()["active"], patched.get_json()["region"]) == (False, "busan")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"supplier.create", "supplier.update", "supplier.deactivate"} <= actions


@pytest.mark.parametrize(
    "body",
    [
        api_body(registration_number=bad_check_digit(valid_brn(8201))),
        api_body(registration_number=None),
        api_body(region="mars"),
        api_body(solutions=["blockchain"]),
        api_body(name=""),
        api_body(name="x" * 201),
        api_body(solutions="plc"),
        api_body(active=False),  # read-only on creation
        {"name": "이름만"},
        [],
    ],
)
def test_api_bad_input_is_422_and_changes_nothing(api, make, body):
    manager = api.as_(make.user("manager"))
    before = audit_count()
    response = manager.post("/suppliers", json=body)
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()) >= {"code", "status", "message"}
    assert supplier_count() == 0
    assert audit_count() == before


def test_api_duplicate_number_and_bad_patch_are_422(api, make):
    manager = api.as_(make.user("manager"))
    existing = make.supplier()
    duplicate = manager.post(
        "/suppliers", json=api_body(registration_number=existing.registration_number)
    )
    assert duplicate.status_code == 422
    assert duplicate.get_json()["errors"] == {
        "registration_number": ["A supplier with this registration number is already registered."]
    }
    before = audit_count()
    bad = manager.patch(f"/suppliers/{existing.id}", json={"registration_number": "123"})
    assert bad.status_code == 422
    assert manager.patch(f"/suppliers/{existing.id}", json={"active": "maybe"}).status_code == 422
    assert manager.get(f"/suppliers/{2**31 - 1}").status_code == 404
    assert manager.patch("/suppliers/99999", json={"name": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Supplier, existing.id).registration_number != "123"
    assert audit_count() == before


def test_api_lists_with_search_filters_and_keyset_pages(api, make):
    manager = api.as_(make.user("manager"))
    made = [
        make.supplier(name=f"공급사 {n}", region="busan" if n % 2 else "seoul") for n in range(5)
    ]
    set_supplier_active(None, made[0].id, False)
    ids, cursor = [], None
    while True:
        query = "/suppliers?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = manager.get(query).get_json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == sorted((s.id for s in made), reverse=True)  # newest first, each once
    busan = manager.get("/suppliers?region=busan").get_json()["items"]
    assert {item["name"] for item in busan} == {"공급사 1", "공급사 3"}
    assert [i["id"] for i in manager.get("/suppliers?active=false").get_json()["items"]] == [
        made[0].id
    ]
    assert len(manager.get("/suppliers?q=공급사 4").get_json()["items"]) == 1
    assert len(manager.get("/suppliers?solution=mes&active=true").get_json()["items"]) == 4
    for query in ("region=mars", "solution=x", "limit=0", "cursor=zzz", "active=maybe"):
        assert manager.get(f"/suppliers?{query}").status_code == 422, query


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_api_other_roles_are_refused(api, make, role):
    supplier = make.supplier()
    caller = api.as_(make.user(role))
    assert caller.get("/suppliers").status_code == 403
    assert caller.get(f"/suppliers/{supplier.id}").status_code == 403
    assert caller.post("/suppliers", json=api_body()).status_code == 403
    assert caller.patch(f"/suppliers/{supplier.id}", json={"active": False}).status_code == 403
    assert api.as_(make.user("auditor")).post("/suppliers", json=api_body()).status_code == 403
    assert supplier_count() == 1


def test_the_firm_api_takes_supplier_id_and_answers_the_name(api, make):
    manager = api.as_(make.user("manager"))
    supplier = make.supplier(name="스마트솔루션㈜")
    body = {"name": "한빛정밀", "registration_number": valid_brn(8300), "size": "small"}
    body |= {"region": "busan", "supplier_id": supplier.id}
    created = manager.post("/firms", json=body)
    assert created.status_code == 201, created.get_json()
    firm = created.get_json()
    assert (firm["supplier_id"], firm["supplier"]) == (supplier.id, "스마트솔루션㈜")
    listed = manager.get("/firms").get_json()["items"]
    assert listed[0]["supplier"] == "스마트솔루션㈜"
    cleared = manager.patch(f"/firms/{firm['id']}", json={"supplier_id": None}).get_json()
    assert (cleared["supplier_id"], cleared["supplier"]) == (None, "")


def test_the_firm_api_refuses_unknown_or_deactivated_suppliers_and_changes_nothing(api, make):
    manager = api.as_(make.user("manager"))
    firm = make.firm()
    off = make.supplier()
    set_supplier_active(None, off.id, False)
    before = audit_count()
    cases = [
        (off.id, "This supplier is deactivated; choose an active one."),
        (2**31 - 1, "No such supplier in the registry."),
    ]
    for supplier_id, message in cases:
        response = manager.patch(f"/firms/{firm.id}", json={"supplier_id": supplier_id})
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"supplier_id": [message]}
    for bad in ("1", 1.5, True, 2**40):
        answer = manager.patch(f"/firms/{firm.id}", json={"supplier_id": bad})
        assert answer.status_code == 422, bad
    assert manager.patch(f"/firms/{firm.id}", json={"supplier": "free text"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).supplier_id is None
    assert audit_count() == before
