"""Support types as data (issue 30), through the API, on SQLite and PostgreSQL.

A manager adds 구독형 `subscription` (7,000,000원) to the year with no code change; a
ticket triaged to it gets its project months and its claim is capped at its cap. A
closed type takes no new tickets; a type's rule is fixed once the year approved claims
of it; bad input is a 422 in Korean; only managers write, auditors read.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from aftercare.audit.models import AuditEvent
from aftercare.claims.models import Claim
from aftercare.domain import sla
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import SupportType
from aftercare.tickets.models import Ticket
from tests.integration.ledger_support import ONE_APPROVER, quick_claim, this_year

SUBSCRIPTION = {
    "code": "subscription",
    "name_ko": "구독형",
    "name_en": "Subscription",
    "cap": 7_000_000,
    "share_rate_bp": 5000,
    "rounding_unit": 1000,
    "project_months": 12,
    "extension_months": 3,
}


@pytest.fixture
def manager(make):
    return make.user("manager")


@pytest.fixture
def boss(api, manager):
    return api.as_(manager)


@pytest.fixture
def year(make):
    make.fiscal_year(year=this_year(), budget=1_000_000_000, second_approval_from=ONE_APPROVER)
    return this_year()


def _types_path(year: int) -> str:
    return f"/fiscal-years/{year}/support-types"


def _add(boss, year: int, **changes):
    return boss.post(_types_path(year), json=SUBSCRIPTION | changes)


def _as_subscription(claim_id: int) -> None:
    claim = db.session.get(Claim, claim_id)
    db.session.execute(
        update(Ticket).where(Ticket.id == claim.ticket_id).values(support_type="subscription")
    )
    claim.support_type = "subscription"
    db.session.commit()


def test_a_new_year_has_its_two_types(boss, year):
    listed = boss.get(_types_path(year))
    assert listed.status_code == 200
    assert [
        (t["code"], t["name_ko"], t["cap"], t["project_months"], t["extension_months"])
        for t in listed.get_json()
    ] == [
        ("emergency", "긴급복구형", 5_000_000, 6, 2),
        ("growth", "성장연계형", 20_000_000, 6, 2),
    ]
    years = boss.get("/fiscal-years").get_json()
    assert [t["code"] for t in years[0]["support_types"]] == ["emergency", "growth"]


def test_a_subscription_claim_is_capped_at_its_cap(boss, year, make, manager):
    added = _add(boss, year)
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["is_open"] is True
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "support_type.add")
    ).one()
    assert '"cap": 7000000' in event.after

    firm = make.firm()
    claim_id = quick_claim(firm.id, manager.id, [("labour", 30_000_000)])
    _as_subscription(claim_id)
    preview = boss.get(f"/claims/{claim_id}").get_json()["preview"]
    assert preview["firm_cap"] == 7_000_000
    approved = boss.post(f"/claims/{claim_id}/approve")
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["government_share"] == 7_000_000
    assert body["limited_by"] == "firm_cap"
    usage = boss.get(f"/firms/{firm.id}").get_json()["usage"]
    assert usage["subscription"] == {
        "cap": 7_000_000,
        "reserved": 7_000_000,
        "paid": 0,
        "remaining": 0,
    }


def test_triage_to_the_new_type_uses_its_project_months(api, boss, year, make):
    assert _add(boss, year).status_code == 201
    firm = make.firm()
    filer = api.as_(make.user("firm", firm=firm))
    ticket = filer.post(
        "/tickets",
        json={"category": "breakdown", "severity": "normal", "title": "구독 설비 점검"},
    )
    assert ticket.status_code == 201, ticket.get_json()
    tid = ticket.get_json()["id"]
    triaged = boss.post(
        f"/tickets/{tid}/triage",
        json={"decision": "accept", "support_type": "subscription", "reason": "구독형 계약"},
    )
    assert triaged.status_code == 200, triaged.get_json()
    row = db.session.get(Ticket, tid)
    assert row.support_type == "subscription"
    assert row.project_deadline == sla.add_months(seoul_today(), 12)
    extended = boss.post(f"/tickets/{tid}/extend", json={"reason": "부품 지연"})
    assert extended.status_code == 200, extended.get_json()
    db.session.expire_all()
    assert db.session.get(Ticket, tid).project_deadline == sla.add_months(seoul_today(), 15)


def test_a_closed_type_refuses_new_tickets(api, boss, year, make):
    closed = boss.patch(f"{_types_path(year)}/emergency", json={"is_open": False})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["is_open"] is False
    firm = make.firm()
    filer = api.as_(make.user("firm", firm=firm))
    refused = filer.post(
        "/tickets", json={"category": "breakdown", "severity": "normal", "title": "고장"}
    )
    assert refused.status_code == 422, refused.get_json()
    assert "support_type" in refused.get_json()["errors"]
    assert db.session.scalar(select(Ticket.id)) is None
    upgrade = filer.post(
        "/tickets", json={"category": "upgrade", "severity": "normal", "title": "고도화"}
    )
    assert upgrade.status_code == 201  # growth is still open
    tid = upgrade.get_json()["id"]
    moved = boss.post(
        f"/tickets/{tid}/triage",
        json={"decision": "accept", "support_type": "emergency", "reason": "긴급"},
    )
    assert moved.status_code == 422, moved.get_json()


def test_a_cap_change_after_approvals_is_refused(boss, year, make, manager):
    firm = make.firm()
    claim_id = quick_claim(firm.id, manager.id, [("labour", 1_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    path = f"{_types_path(year)}/emergency"
    refused = boss.patch(path, json={"cap": 6_000_000})
    body = refused.get_json()
    assert refused.status_code == 409, body
    assert body["reason"] == "support_type_in_use"
    assert "바꿀 수 없습니다" in body["message"]
    assert boss.patch(path, json={"share_rate_bp": 6000}).status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(SupportType.cap).where(SupportType.code == "emergency")) == (
        5_000_000
    )
    # Growth has no approvals: its cap may still change; names and months always may.
    assert boss.patch(f"{_types_path(year)}/growth", json={"cap": 25_000_000}).status_code == 200
    renamed = boss.patch(path, json={"name_en": "Emergency", "project_months": 5})
    assert renamed.status_code == 200, renamed.get_json()


@pytest.mark.parametrize(
    ("changes", "field", "korean"),
    [
        ({"code": "Sub Scription"}, "code", "영문 소문자"),
        ({"code": "growth"}, "code", "이미 있습니다"),
        ({"cap": 0}, "cap", "0원보다 큰"),
        ({"cap": 7_000_000.5}, "cap", "0원보다 큰"),
        ({"cap": "7000000"}, "cap", "0원보다 큰"),
        ({"share_rate_bp": 10_001}, "share_rate_bp", "1~10000"),
        ({"rounding_unit": 500}, "rounding_unit", "절사 단위"),
        ({"project_months": 25}, "project_months", "1~24"),
        ({"extension_months": 0}, "extension_months", "1~24"),
        ({"name_ko": " "}, "name_ko", "한국어 이름"),
        ({"colour": "red"}, "colour", "알 수 없는"),
    ],
)
def test_bad_input_is_422_in_korean_and_changes_nothing(boss, year, changes, field, korean):
    response = _add(boss, year, **changes)
    body = response.get_json()
    assert response.status_code == 422, body
    assert korean in body["errors"][field][0], body
    assert (
        db.session.scalar(select(SupportType.id).where(SupportType.code == "subscription")) is None
    )


def test_a_missing_field_and_an_unknown_year_or_type(boss, year):
    without_cap = {k: v for k, v in SUBSCRIPTION.items() if k != "cap"}
    missing = boss.post(_types_path(year), json=without_cap)
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["cap"] == ["필수 항목입니다."]
    assert boss.post(_types_path(1999), json=SUBSCRIPTION).status_code == 404
    assert boss.patch(f"{_types_path(year)}/nothing", json={"cap": 1000}).status_code == 404


def test_only_managers_write_and_auditors_read(api, year, make):
    auditor = api.as_(make.user("auditor"))
    assert auditor.get(_types_path(year)).status_code == 200
    assert auditor.post(_types_path(year), json=SUBSCRIPTION).status_code == 403
    assert auditor.patch(f"{_types_path(year)}/growth", json={"is_open": False}).status_code == 403
    admin = api.as_(make.user("admin"))
    assert admin.post(_types_path(year), json=SUBSCRIPTION).status_code == 403
    firm = api.as_(make.user("firm", firm=make.firm()))
    assert firm.get(_types_path(year)).status_code == 403
    assert (
        db.session.scalar(select(SupportType.id).where(SupportType.code == "subscription")) is None
    )
