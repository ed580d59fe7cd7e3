"""The whole path in pages, without JavaScript: firm → manager → Meister → firm → manager."""

import io
import re

from aftercare.claims.models import Claim
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.models import CostLine
from aftercare.tickets.models import Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _as(client, auth, user):
    auth.logout()
    auth.login(user)


def test_each_role_does_its_daily_work_in_pages(client, auth, make):
    make.fiscal_year(year=seoul_today().year, budget=50_000_000)
    firm = make.firm(region="daegu")
    firm_user = make.user("firm", firm=firm)
    manager = make.user("manager")
    meister = make.meister(specialties=["vision"], regions=["daegu"])

    auth.login(firm_user)
    filed = client.post(
        "/tickets/new",
        data={
            "category": "defect",
            "severity": "critical",
            "title": "비전검사기 오판정",
            "system": "VIS-1",
            "description": "불량 판정률 급증",
            "tags": "vision, camera",
            "files": [(io.BytesIO(PNG), "현장사진.png")],
        },
        content_type="multipart/form-data",
    )
    assert filed.status_code == 302
    ticket_id = int(re.search(r"/tickets/(\d+)$", filed.headers["Location"]).group(1))
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "현장사진.png" in page

    _as(client, auth, manager)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "현장사진.png" in page  # both see the same timeline
    client.post(
        f"/tickets/{ticket_id}/triage", data={"decision": "accept", "support_type": "emergency"}
    )
    assign_page = client.get(f"/tickets/{ticket_id}/assign").get_data(as_text=True)
    assert meister.name in assign_page
    client.post(f"/tickets/{ticket_id}/assign", data={"meister_id": meister.id})
    assert db.session.get(Ticket, ticket_id).meister_id == meister.id

    _as(client, auth, meister)
    assert meister.name in client.get("/meister").get_data(as_text=True)
    client.post(f"/tickets/{ticket_id}/accept")
    form = {
        "visited_on": seoul_today().isoformat(),
        "hours": "2.5",
        "notes": "카메라 재보정",
        "lines-0-kind": "labour",
        "lines-0-description": "보정 작업",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "250000",
        "lines-1-kind": "travel",
        "lines-1-description": "출장",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "50000",
        "lines-2-kind": "parts",
        "lines-2-description": "",
        "lines-2-quantity": "",
        "lines-2-unit_price": "",
    }
    more = client.post(f"/tickets/{ticket_id}/visits/new", data={**form, "add_line": "1"})
    text = more.get_data(as_text=True)
    assert 'name="lines-3-description"' in text  # a fourth row, without JavaScript
    assert "750,000원" in text
    assert "50,000원" in text
    saved = client.post(f"/tickets/{ticket_id}/visits/new", data={**form, "save": "1"})
    assert saved.status_code == 302
    assert sorted(line.amount for line in db.session.query(CostLine).all()) == [50_000, 750_000]
    labour = db.session.query(CostLine).filter_by(kind="labour").one()
    today = seoul_today()
    evidence = client.post(
        f"/cost-lines/{labour.id}/evidence",
        data={
            "supplier_id": str(make.supplier().id),
            "invoice_number": f"{today:%Y%m%d}-41000012-00000001",
            "invoice_issued_on": today.isoformat(),
            "invoice_supply_amount": "750000",
            "invoice_vat": "75000",
            "payment_method": "card",
            "paid_on": today.isoformat(),
            "file": (io.BytesIO(b"%PDF-1.4\n%scan\n"), "세금계산서.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 302, evidence.get_data(as_text=True)
    client.post(f"/tickets/{ticket_id}/resolve", data={"summary": "보정 완료"})

    _as(client, auth, firm_user)
    client.post(f"/tickets/{ticket_id}/confirm", data={"rating": "4", "comment": "빠른 대응"})
    claim = db.session.query(Claim).one()
    assert (claim.status, claim.eligible_total, claim.ineligible_total) == (
        "pending",
        750_000,
        50_000,
    )

    _as(client, auth, manager)
    detail = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "375,000원" in detail  # the government share shown before approval
    client.post(f"/claims/{claim.id}/approve")
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert (claim.status, claim.government_share, claim.firm_share) == (
        "approved",
        375_000,
        375_000,
    )
    assert client.get("/manager").status_code == 200


def test_a_bad_visit_shows_errors_in_place_and_saves_nothing(client, auth, make):
    firm = make.firm()
    manager = make.user("manager")
    meister = make.meister()
    from aftercare.meisters.assignment import assign_meister
    from aftercare.meisters.visits import accept_ticket
    from aftercare.tickets.services import file_ticket, triage_ticket

    ticket = file_ticket(
        make.user("firm", firm=firm), {"category": "breakdown", "severity": "low", "title": "x"}
    )
    triage_ticket(manager, ticket.id, "accept")
    assign_meister(manager, ticket.id, meister.id)
    accept_ticket(meister, ticket.id)
    auth.login(meister)
    page = client.post(
        f"/tickets/{ticket.id}/visits/new",
        data={
            "visited_on": "2099-01-01",
            "hours": "25",
            "save": "1",
            "lines-0-kind": "labour",
            "lines-0-description": "작업",
            "lines-0-quantity": "0",
            "lines-0-unit_price": "1000",
        },
    )
    assert page.status_code == 200
    assert "is-invalid" in page.get_data(as_text=True)
    assert db.session.query(CostLine).count() == 0
