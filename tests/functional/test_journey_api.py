"""The whole path firm → manager → Meister → firm → manager → settlement, through the API."""

import io
from datetime import timedelta

from aftercare.domain.time import seoul_today

PDF = b"%PDF-1.4\n%evidence\n"


def _invoice(supplier_id: int, serial: int, amount: int) -> dict:
    """A line's tax invoice issued today for `amount` (VAT apart), paid by card."""
    today = seoul_today()
    return {
        "supplier_id": supplier_id,
        "invoice_number": f"{today:%Y%m%d}-41000012-{serial:08d}",
        "invoice_issued_on": today.isoformat(),
        "invoice_supply_amount": amount,
        "invoice_vat": amount // 10,
        "payment_method": "card",
        "paid_on": today.isoformat(),
    }


def test_the_whole_journey_moves_money_exactly_once(client, api, make, runner):
    make.fiscal_year(year=seoul_today().year, budget=100_000_000)
    firm = make.firm(region="busan")
    firm_id = firm.id
    firm_api = api.as_(make.user("firm", firm=firm))
    manager = api.as_(make.user("manager"))
    colleague = api.as_(make.user("manager"))  # confirms the settlement request (four eyes)
    meister_user = make.meister(specialties=["plc"], regions=["busan"])
    make.meister(specialties=["erp"], regions=["seoul"])
    meister = api.as_(meister_user)
    auditor = api.as_(make.user("auditor"))
    supplier_id = make.supplier().id

    ticket = firm_api.post(
        "/tickets",
        json={
            "category": "breakdown",
            "severity": "high",
            "title": "PLC 통신 두절",
            "description": "2호 라인 정지",
            "system": "PLC-2",
            "tags": ["plc"],
        },
    ).get_json()
    tid = ticket["id"]
    assert ticket["status"] == "submitted"
    assert ticket["support_type"] == "emergency"

    assert manager.post(f"/tickets/{tid}/triage", json={"decision": "accept"}).status_code == 200
    suggestions = manager.get(f"/tickets/{tid}/suggested-meisters").get_json()
    assert suggestions[0]["meister_id"] == meister_user.id
    assert suggestions[0]["score"] == 80
    assert (
        manager.post(f"/tickets/{tid}/assign", json={"meister_id": meister_user.id}).status_code
        == 200
    )
    assert meister.post(f"/tickets/{tid}/accept").get_json()["status"] == "in_progress"

    visit = meister.post(
        f"/tickets/{tid}/visits",
        json={
            "visited_on": seoul_today().isoformat(),
            "hours": 3.5,
            "notes": "통신 모듈 교체",
            "cost_lines": [
                {
                    "kind": "labour",
                    "description": "진단 및 교체",
                    "quantity": 2,
                    "unit_price": 350_000,
                    **_invoice(supplier_id, 1, 700_000),
                },
                {
                    "kind": "parts",
                    "description": "통신 모듈",
                    "quantity": 1,
                    "unit_price": 1_234_567,
                    **_invoice(supplier_id, 2, 1_234_567),
                },
                {"kind": "travel", "description": "출장비", "quantity": 1, "unit_price": 80_000},
            ],
        },
    )
    assert visit.status_code == 201, visit.get_json()
    eligible_lines = [line["id"] for line in visit.get_json()["cost_lines_saved"][:2]]
    for line_id in eligible_lines:  # the scanned tax invoice of each eligible line
        uploaded = meister.post(
            f"/cost-lines/{line_id}/evidence",
            data={"file": (io.BytesIO(PDF), "세금계산서.pdf")},
            content_type="multipart/form-data",
        )
        assert uploaded.status_code == 201, uploaded.get_json()
    assert meister.post(f"/tickets/{tid}/resolve", json={"summary": "교체 완료"}).status_code == 200

    confirmed = firm_api.post(
        f"/tickets/{tid}/confirm", json={"rating": 5, "comment": "감사합니다"}
    )
    body = confirmed.get_json()
    assert body["status"] == "confirmed"
    assert body["claim"]["status"] == "pending"
    assert body["claim"]["eligible_total"] == 700_000 + 1_234_567  # travel excluded
    claim_id = body["claim"]["id"]

    detail = manager.get(f"/claims/{claim_id}").get_json()
    assert detail["fiscal_year"] is None
    assert detail["preview"]["government_share"] == 967_000  # floor(1,934,567 / 2 / 1000) * 1000

    approved = manager.post(f"/claims/{claim_id}/approve", headers={"Idempotency-Key": "k1"})
    assert approved.status_code == 200, approved.get_json()
    claim = approved.get_json()
    assert claim["government_share"] == 967_000
    assert claim["firm_share"] == 1_934_567 - 967_000
    assert claim["limited_by"] == "none"
    assert claim["fiscal_year"] == seoul_today().year
    replay = manager.post(f"/claims/{claim_id}/approve", headers={"Idempotency-Key": "k1"})
    assert replay.get_json() == claim
    assert manager.post(f"/claims/{claim_id}/approve").status_code == 409

    pool = manager.get("/ledger/pool").get_json()
    assert pool == {
        "fiscal_year": seoul_today().year,
        "budget": 100_000_000,
        "available": 100_000_000 - 967_000,
        "reserved": 967_000,
        "paid": 0,
    }

    for line_id in eligible_lines:
        reviewed = auditor.post(
            f"/claims/{claim_id}/lines/{line_id}/review", json={"status": "verified"}
        )
        assert reviewed.status_code == 200, reviewed.get_json()
    waiting = manager.get("/ledger/settlements/waiting").get_json()
    assert [(w["claim_id"], w["reason"]) for w in waiting["items"]] == [
        (claim_id, "firm_payment_missing")
    ]
    paid = firm_api.post(
        f"/claims/{claim_id}/firm-payment",
        data={
            "amount": str(claim["firm_share"]),
            "method": "transfer",
            "paid_on": seoul_today().isoformat(),
            "file": (io.BytesIO(PDF), "이체확인증.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert paid.status_code == 200, paid.get_json()
    assert auditor.post(f"/claims/{claim_id}/firm-payment/confirm").status_code == 200
    assert manager.get("/ledger/settlements/waiting").get_json()["total"] == 0

    asked = manager.post("/ledger/settlements", json={})
    assert asked.status_code == 202, asked.get_json()
    request_id = asked.get_json()["id"]
    own = manager.post(f"/approval-requests/{request_id}/confirm")
    assert (own.status_code, own.get_json()["reason"]) == (409, "four_eyes")
    assert manager.get(f"/claims/{claim_id}").get_json()["status"] == "approved"
    done = colleague.post(f"/approval-requests/{request_id}/confirm").get_json()
    settled = done["result"]
    assert settled["claims_settled"] == 1
    assert settled["amount"] == 967_000
    again_id = manager.post("/ledger/settlements", json={}).get_json()["id"]
    again = colleague.post(f"/approval-requests/{again_id}/confirm").get_json()["result"]
    assert again == settled
    future = manager.post(
        "/ledger/settlements", json={"date": (seoul_today() + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 422

    assert firm_api.get(f"/tickets/{tid}").get_json()["status"] == "closed"
    assert manager.get(f"/claims/{claim_id}").get_json()["status"] == "settled"
    pool = manager.get("/ledger/pool").get_json()
    assert (pool["reserved"], pool["paid"]) == (0, 967_000)
    verify = manager.get("/ledger/verify").get_json()
    assert verify["ok"], verify
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    usage = firm_api.get(f"/firms/{firm_id}").get_json()["usage"]["emergency"]
    assert usage == {"cap": 5_000_000, "reserved": 0, "paid": 967_000, "remaining": 4_033_000}
