"""The firm's own company page (우리 회사) and the firm's contacts on the Meister's ticket page."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket
from tests.helpers import pending_claim


def _text(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _form_token(html: str) -> str:
    return re.search(r'name="once_token" type="hidden" value="([^"]+)"', html).group(1)


def _post(client, data: dict[str, str]):
    token = _form_token(_text(client, "/firms/mine"))
    return client.post("/firms/mine", data={"once_token": token, **data})


def test_company_page_shows_profile_caps_and_contacts(client, auth, make):
    make.fiscal_year(year=2021)
    firm = make.firm(contact_name="김담당", contact_phone="031-123-4567", region="busan")
    other = make.firm(name="남의공장", contact_name="박남의")
    auth.login(make.user("firm", firm=firm))
    html = _text(client, "/firms/mine")
    assert "우리 회사" in html
    assert firm.name in html
    reg = firm.registration_number
    assert f"{reg[:3]}-{reg[3:5]}-{reg[5:]}" in html
    assert "소기업" in html
    assert "부산" in html
    assert "금속가공" in html
    assert 'value="김담당"' in html
    assert 'value="031-123-4567"' in html
    assert other.name not in html
    assert "박남의" not in html
    # the firm's menu leads there
    assert 'href="/firms/mine"' in _text(client, "/tickets")


def test_firm_saves_its_own_contacts_and_the_change_is_audited(client, auth, make):
    firm = make.firm(contact_name="김담당", contact_phone="031-123-4567")
    other = make.firm(contact_name="박남의", contact_phone="02-555-0000")
    user = make.user("firm", firm=firm)
    auth.login(user)
    response = _post(
        client,
        {
            "contact_name": "이새담당",
            "contact_phone": "010-9876-5432",
            "contact_email": "new@example.kr",
            # fields the firm may not change are ignored
            "name": "바뀐이름",
            "region": "seoul",
            "firm_id": str(other.id),
        },
    )
    assert response.status_code == 302
    assert "연락처를 저장했습니다." in _text(client, "/firms/mine")
    db.session.expire_all()
    saved = db.session.get(Firm, firm.id)
    assert (saved.contact_name, saved.contact_phone, saved.contact_email) == (
        "이새담당",
        "010-9876-5432",
        "new@example.kr",
    )
    assert saved.name != "바뀐이름"
    assert saved.region == "gyeonggi"
    untouched = db.session.get(Firm, other.id)
    assert (untouched.contact_name, untouched.contact_phone) == ("박남의", "02-555-0000")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "firm.update_contacts")
    ).one()
    assert (event.actor_id, event.object_type, event.object_id) == (user.id, "firm", firm.id)
    assert json.loads(event.before)["contact_name"] == "김담당"
    assert json.loads(event.after)["contact_phone"] == "010-9876-5432"


def test_bad_contacts_are_refused_in_korean_and_nothing_changes(client, auth, make):
    firm = make.firm(contact_name="김담당", contact_phone="031-123-4567")
    auth.login(make.user("firm", firm=firm))
    response = _post(
        client, {"contact_name": "", "contact_phone": "전화 없음", "contact_email": "not-an-email"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "담당자 이름을 입력하세요." in html
    assert "010-1234-5678처럼 전화번호를 입력하세요." in html
    assert "name@example.com처럼 이메일 주소를 입력하세요." in html
    assert html.count("is-invalid") >= 3
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).contact_name == "김담당"
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "firm.update_contacts")
    ).all()


def test_company_page_is_the_firms_alone(client, auth, make):
    for role in ("manager", "auditor", "meister"):
        auth.login(make.user(role))
        assert client.get("/firms/mine").status_code == 403
        auth.logout()


def test_meister_sees_whom_to_call_on_the_ticket(client, auth, api, make):
    facts = pending_claim(api, make)
    firm = db.session.get(Firm, facts["firm_id"])
    firm.contact_name, firm.contact_phone = "최현장", "051-700-1234"
    firm.contact_email = "site@example.kr"
    db.session.commit()
    ticket_id = facts["ticket_id"]
    auth.login(db.session.get(User, db.session.get(Ticket, ticket_id).meister_id))
    html = _text(client, f"/tickets/{ticket_id}")
    assert "최현장" in html
    assert 'href="tel:0517001234"' in html
    assert "051-700-1234" in html
    assert 'href="mailto:site@example.kr"' in html
    assert "부산" in html
