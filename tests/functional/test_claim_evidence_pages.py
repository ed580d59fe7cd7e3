"""The evidence pages in Korean: a Meister enters a line's invoice and file, the claim page
shows what is missing, an auditor reviews from the queue, the firm records its share and
another person confirms it, and the settlement page says which claims wait and why."""

from __future__ import annotations

import io
import re

from sqlalchemy import select, update

from aftercare.claims.models import Claim, FirmPayment
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.models import CostLine
from aftercare.tickets.models import Attachment, Ticket
from tests.helpers import evidence_supplier_id, pending_claim

PDF = b"%PDF-1.4\n%evidence\n"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _strip_evidence(ticket_id: int) -> CostLine:
    """The ticket's one line, without invoice, payment or files."""
    db.session.execute(
        update(CostLine)
        .where(CostLine.ticket_id == ticket_id)
        .values(supplier_id=None, invoice_number=None, payment_method=None)
    )
    db.session.execute(Attachment.__table__.delete().where(Attachment.ticket_id == ticket_id))
    db.session.commit()
    return db.session.scalar(select(CostLine).where(CostLine.ticket_id == ticket_id))


def test_the_meister_enters_a_lines_invoice_and_file_on_one_page(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    line = _strip_evidence(facts["ticket_id"])
    meister = db.session.get(Ticket, facts["ticket_id"]).meister
    meister.language = "ko"
    db.session.commit()
    auth.login(meister)
    path = f"/cost-lines/{line.id}/evidence"
    today = seoul_today()
    form = {
        "supplier_id": str(evidence_supplier_id()),
        "invoice_number": "1234",
        "invoice_issued_on": today.isoformat(),
        "invoice_supply_amount": str(line.amount),
        "invoice_vat": str(line.amount // 10),
        "payment_method": "card",
        "paid_on": today.isoformat(),
    }
    db.session.commit()

    bad = client.post(path, data=form, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "승인번호는 24자리" in _text(bad)
    assert db.session.get(CostLine, line.id).invoice_number is None

    form["invoice_number"] = f"{today:%Y%m%d}-41000012-00000009"
    form["file"] = (io.BytesIO(PDF), "세금계산서.pdf")
    saved = client.post(path, data=form, content_type="multipart/form-data")
    assert saved.status_code == 302
    page = _text(client.get(path))
    assert "증빙을 저장했습니다." in page
    assert "세금계산서.pdf" in page
    db.session.expire_all()
    assert db.session.get(CostLine, line.id).invoice_number == f"{today:%Y%m%d}4100001200000009"


def test_a_wrong_file_leaves_the_line_as_it_was(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    line = _strip_evidence(facts["ticket_id"])
    auth.login(make.user("manager", language="ko"))

    answer = client.post(
        f"/cost-lines/{line.id}/evidence",
        data={
            "payment_method": "transfer",
            "paid_on": seoul_today().isoformat(),
            "supplier_id": "0",
            "file": (io.BytesIO(b"plain words\n"), "a.txt"),
        },
        content_type="multipart/form-data",
    )

    assert answer.status_code == 422
    assert "증빙은 PDF, JPEG, PNG 파일이어야 합니다." in _text(answer)
    db.session.expire_all()
    assert db.session.get(CostLine, line.id).payment_method is None


def test_the_claim_page_names_missing_evidence_and_holds_approval(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    _strip_evidence(facts["ticket_id"])
    auth.login(make.user("manager", language="ko"))

    page = _text(client.get(f"/claims/{facts['claim_id']}"))

    assert "증빙이 빠진 지원 대상 항목이 있습니다." in page
    assert "없음: 세금계산서" in page
    assert "없음: 증빙 파일" in page
    assert re.search(r'<button class="btn btn-success" type="submit" disabled>승인', page)


def test_an_auditor_reviews_from_the_queue_and_the_firm_share_is_confirmed(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year, second_approval_from=10**12)
    facts = pending_claim(api, make)
    assert (
        api.as_(make.user("manager")).post(f"/claims/{facts['claim_id']}/approve").status_code
        == 200
    )
    claim = db.session.get(Claim, facts["claim_id"])
    line = db.session.scalar(select(CostLine).where(CostLine.ticket_id == claim.ticket_id))
    auditor = make.user("auditor", language="ko")
    firm_user = make.user("firm", firm=claim.ticket.firm, language="ko")

    auth.login(auditor)
    queue = _text(client.get("/claims/review"))
    assert f"/claims/{claim.id}" in queue
    reviewed = client.post(
        f"/claims/{claim.id}/lines/{line.id}/review", data={"status": "verified", "reason": ""}
    )
    assert reviewed.status_code == 302
    assert "항목을 확인했습니다." in _text(client.get(f"/claims/{claim.id}"))
    assert f"/claims/{claim.id}" not in _text(client.get("/claims/review"))
    auth.logout()

    auth.login(firm_user)
    page = _text(client.get(f"/claims/{claim.id}"))
    assert "기업 자부담" in page
    short = client.post(
        f"/claims/{claim.id}/firm-payment",
        data={
            "amount": "1",
            "method": "transfer",
            "paid_on": seoul_today().isoformat(),
            "file": (io.BytesIO(PDF), "이체.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert short.status_code == 422
    assert "지급액이 기업 부담금 전액 이상이어야 합니다." in _text(short)
    recorded = client.post(
        f"/claims/{claim.id}/firm-payment",
        data={
            "amount": str(claim.firm_share),
            "method": "transfer",
            "paid_on": seoul_today().isoformat(),
            "file": (io.BytesIO(PDF), "이체.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert recorded.status_code == 302
    assert "기록됨, 확인 대기" in _text(client.get(f"/claims/{claim.id}"))
    auth.logout()

    manager = make.user("manager", language="ko")
    auth.login(manager)
    waiting = _text(client.get("/ledger/settle"))
    assert "대기 중인 승인 청구 (1건)" in waiting
    assert "자부담 미확인" in waiting
    confirmed = client.post(f"/claims/{claim.id}/firm-payment/confirm", data={})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(FirmPayment.confirmed_by_id)) == manager.id
    assert "대기 중인 승인 청구가 없습니다." in _text(client.get("/ledger/settle"))
