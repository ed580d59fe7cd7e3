"""Evidence behind every won (docs/evidence.md), through the API, on SQLite and PostgreSQL:
invoices on cost lines, approval refused without evidence, review with adjustments, the
firm's own share, settlement that waits, the overdue flag and two reviewers racing."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from aftercare.auth.models import User
from aftercare.claims.models import Claim, FirmPayment
from aftercare.claims.review import review_line
from aftercare.db import utcnow
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.jobs.sla import run_sla_job
from aftercare.ledger.models import LedgerTransaction
from aftercare.meisters.models import CostLine
from aftercare.notifications.models import Notification
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import settle_for_date
from aftercare.tickets.models import Ticket
from tests.helpers import evidence_supplier_id, give_evidence, make_settleable
from tests.integration.ledger_support import (
    ONE_APPROVER,
    assert_books_ok,
    balances,
    quick_claim,
    race,
    this_year,
    usage,
)

PDF = b"%PDF-1.4\n%evidence\n"


@pytest.fixture
def app_config(app_config):
    """A small file limit: an oversized upload stays in memory (no spooled temp file)."""
    return app_config | {"MAX_ATTACHMENT_BYTES": 4096}


@pytest.fixture
def year(make):
    return make.fiscal_year(year=this_year(), budget=100_000_000, second_approval_from=ONE_APPROVER)


@pytest.fixture
def manager(make):
    return make.user("manager")


@pytest.fixture
def boss(api, manager):
    return api.as_(manager)


@pytest.fixture
def auditor(api, make):
    return api.as_(make.user("auditor"))


def _bare_claim(firm_id: int, author_id: int, lines) -> int:
    """A pending claim whose lines carry no evidence at all."""
    claim_id = quick_claim(firm_id, author_id, lines)
    claim = db.session.get(Claim, claim_id)
    db.session.execute(
        update(CostLine)
        .where(CostLine.ticket_id == claim.ticket_id)
        .values(supplier_id=None, invoice_number=None, payment_method=None)
    )
    from aftercare.tickets.models import Attachment

    db.session.execute(Attachment.__table__.delete().where(Attachment.ticket_id == claim.ticket_id))
    db.session.commit()
    return claim_id


def _lines(claim_id: int) -> list[CostLine]:
    db.session.rollback()
    claim = db.session.get(Claim, claim_id)
    return list(
        db.session.scalars(
            select(CostLine).where(CostLine.ticket_id == claim.ticket_id).order_by(CostLine.id)
        )
    )


def _invoice_number(day: date, serial: int) -> str:
    return f"{day:%Y%m%d}-41000012-{serial:08d}"


# ---------------------------------------------------------------- approval needs evidence


def test_approval_of_a_line_without_evidence_is_refused_and_changes_nothing(
    boss, make, manager, year
):
    claim_id = _bare_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]

    answer = boss.post(f"/claims/{claim_id}/approve")

    body = answer.get_json()
    assert answer.status_code == 409, body
    assert body["reason"] == "evidence_missing"
    assert body["lines"] == [
        {"line_id": line.id, "missing": ["invoice", "payment", "evidence_file"]}
    ]
    db.session.rollback()
    assert db.session.get(Claim, claim_id).status == "pending"
    assert balances(year.id)["pool_reserved"] == 0


def test_a_line_marked_ineligible_needs_no_evidence(boss, make, manager, year):
    claim_id = _bare_claim(make.firm().id, manager.id, [("labour", 1_000_000), ("parts", 400_000)])
    first, second = _lines(claim_id)
    give_evidence(db.session.get(Claim, claim_id).ticket_id)  # both get evidence …
    db.session.execute(
        update(CostLine).where(CostLine.id == second.id).values(invoice_number=None)
    )  # … then the second loses its invoice
    db.session.commit()
    assert boss.post(f"/claims/{claim_id}/approve").get_json()["lines"] == [
        {"line_id": second.id, "missing": ["invoice"]}
    ]
    other_manager = make.user("manager")
    changed = boss.patch(
        f"/claims/{claim_id}/lines/{second.id}", json={"eligible": False, "reason": "영수증 없음"}
    )
    assert changed.status_code == 200, changed.get_json()
    # The manager who changed the line may not approve (SPEC §11): another one does.
    approved = boss.as_(other_manager).post(f"/claims/{claim_id}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["government_share"] == 500_000
    assert _lines(claim_id)[0].id == first.id


def test_a_cash_payment_is_recorded_but_never_counts_as_evidence(api, boss, make, manager, year):
    claim_id = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    manager_api = api.as_(make.user("manager"))

    cash = manager_api.patch(f"/cost-lines/{line.id}", json={"payment_method": "cash"})
    assert cash.status_code == 200, cash.get_json()
    assert cash.get_json()["payment_method"] == "cash"

    refused = boss.post(f"/claims/{claim_id}/approve").get_json()
    assert refused["reason"] == "evidence_missing"
    assert refused["lines"] == [{"line_id": line.id, "missing": ["payment"]}]


# ---------------------------------------------------------------- invoices on lines


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"invoice_number": "2021-0315-4100"}, "invoice_number"),
        ({"invoice_number": "20211345-41000012-00000001"}, "invoice_number"),  # month 13
        ({"invoice_issued_on": "yesterday"}, "invoice_issued_on"),
        ({"invoice_supply_amount": 1_100_000}, "invoice_supply_amount"),  # VAT included
        ({"invoice_vat": -1}, "invoice_vat"),
        ({"payment_method": "cheque"}, "payment_method"),
        ({"supplier_id": 999_999}, "supplier_id"),
    ],
)
def test_malformed_evidence_is_refused_field_by_field_and_changes_nothing(
    api, make, manager, year, change, field
):
    claim_id = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    before = (line.invoice_number, line.invoice_supply_amount, line.payment_method)
    manager_api = api.as_(make.user("manager"))

    answer = manager_api.patch(f"/cost-lines/{line.id}", json=change)

    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"], answer.get_json()
    after = _lines(claim_id)[0]
    assert (after.invoice_number, after.invoice_supply_amount, after.payment_method) == before


def test_an_invoice_dated_apart_from_its_number_or_outside_the_period_is_refused(
    api, make, manager, year
):
    claim_id = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    filed = utcnow() - timedelta(days=10)  # the project period starts 10 days ago
    db.session.execute(update(Ticket).where(Ticket.id == line.ticket_id).values(created_at=filed))
    db.session.commit()
    manager_api = api.as_(make.user("manager"))
    today = seoul_today()
    long_ago = today - timedelta(days=400)

    mismatch = manager_api.patch(
        f"/cost-lines/{line.id}",
        json={
            "invoice_number": _invoice_number(today, 7),
            "invoice_issued_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    before_period = manager_api.patch(
        f"/cost-lines/{line.id}",
        json={
            "invoice_number": _invoice_number(long_ago, 7),
            "invoice_issued_on": long_ago.isoformat(),
        },
    )

    assert mismatch.status_code == 422
    assert mismatch.get_json()["errors"]["invoice_issued_on"] == [
        "The issue date must be the date in the approval number."
    ]
    assert before_period.status_code == 422
    assert before_period.get_json()["errors"]["invoice_issued_on"] == [
        "The invoice must be issued within the project period."
    ]


def test_a_well_formed_invoice_is_stored_as_24_digits(api, make, manager, year):
    claim_id = _bare_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    manager_api = api.as_(make.user("manager"))
    today = seoul_today()

    answer = manager_api.patch(
        f"/cost-lines/{line.id}",
        json={
            "supplier_id": evidence_supplier_id(),
            "invoice_number": _invoice_number(today, 42),
            "invoice_issued_on": today.isoformat(),
            "invoice_supply_amount": 1_000_000,
            "invoice_vat": 100_000,
            "payment_method": "transfer",
            "paid_on": today.isoformat(),
        },
    )

    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["invoice_number"] == f"{today:%Y%m%d}4100001200000042"
    assert body["invoice_vat"] == 100_000
    assert body["review_status"] == "pending"


def test_another_firms_line_is_not_found_and_a_decided_claims_line_is_frozen(
    api, boss, make, manager, year
):
    claim_id = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    stranger = api.as_(make.user("firm", firm=make.firm()))
    assert stranger.patch(f"/cost-lines/{line.id}", json={"invoice_vat": 0}).status_code == 404
    assert stranger.get(f"/cost-lines/{line.id}").status_code == 404

    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    frozen = api.as_(make.user("manager")).patch(f"/cost-lines/{line.id}", json={"invoice_vat": 0})
    assert frozen.status_code == 409
    assert frozen.get_json()["current_status"] == "approved"


def test_evidence_files_are_pdf_jpeg_or_png_and_not_too_large(api, app, make, manager, year):
    claim_id = _bare_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    manager_api = api.as_(make.user("manager"))

    def upload(data: bytes, name: str):
        return manager_api.post(
            f"/cost-lines/{line.id}/evidence",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    text_file = upload(b"just some words\n", "invoice.txt")
    too_big = upload(b"%PDF-" + b"0" * app.config["MAX_ATTACHMENT_BYTES"], "big.pdf")
    good = upload(PDF, "세금계산서.pdf")

    assert text_file.status_code == 422
    assert text_file.get_json()["errors"]["file"] == ["Evidence must be a PDF, JPEG or PNG file."]
    assert too_big.status_code == 413
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["kind"] == "evidence"
    assert good.get_json()["cost_line_id"] == line.id
    detail = api.as_(manager).get(f"/claims/{claim_id}").get_json()
    assert detail["lines"][0]["evidence_files"] == [good.get_json()["id"]]
    assert detail["lines"][0]["missing"] == ["invoice", "payment"]


def test_the_same_invoice_on_two_claims_is_flagged_on_both_and_counted_once(
    boss, make, manager, year
):
    firm = make.firm()
    first = quick_claim(firm.id, manager.id, [("labour", 1_000_000)])
    second = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    one, two = _lines(first)[0], _lines(second)[0]
    db.session.execute(
        update(CostLine).where(CostLine.id == two.id).values(invoice_number=one.invoice_number)
    )
    db.session.commit()

    flagged = [boss.get(f"/claims/{c}").get_json()["lines"][0] for c in (first, second)]
    assert flagged[0]["duplicate_of"] == [two.id]
    assert flagged[1]["duplicate_of"] == [one.id]

    assert boss.post(f"/claims/{first}/approve").status_code == 200
    refused = boss.post(f"/claims/{second}/approve").get_json()
    assert refused["reason"] == "duplicate_invoice"
    assert refused["lines"] == [{"line_id": two.id, "duplicate_of": [one.id]}]


# ---------------------------------------------------------------- evidence review


def _approved(boss, make, manager, lines) -> int:
    claim_id = quick_claim(make.firm().id, manager.id, lines)
    answer = boss.post(f"/claims/{claim_id}/approve")
    assert answer.status_code == 200, answer.get_json()
    return claim_id


def test_disallowing_a_line_of_an_approved_claim_releases_the_difference(
    auditor, boss, make, manager, year
):
    claim_id = _approved(boss, make, manager, [("labour", 3_000_000), ("parts", 1_999_000)])
    labour, parts = _lines(claim_id)
    claim = db.session.get(Claim, claim_id)
    assert claim.government_share == 2_499_000

    answer = auditor.post(
        f"/claims/{claim_id}/lines/{parts.id}/review",
        json={"status": "disallowed", "reason": "vat_included"},
    )

    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["eligible_total"] == 3_000_000
    assert body["ineligible_total"] == 1_999_000
    assert body["government_share"] == 1_500_000
    assert body["firm_share"] == 1_500_000
    assert [a["amount"] for a in body["adjustments"]] == [999_000]
    assert balances(year.id)["pool_reserved"] == 1_500_000
    assert usage(year.id, claim.firm_id, "emergency") == (1_500_000, 0)
    assert body["lines"][1]["review_status"] == "disallowed"
    assert body["lines"][1]["review_reason"] == "vat_included"
    assert_books_ok()

    again = auditor.post(f"/claims/{claim_id}/lines/{parts.id}/review", json={"status": "verified"})
    assert again.status_code == 409
    assert again.get_json()["reason"] == "already_disallowed"
    assert body["lines"][0]["id"] == labour.id
    assert body["lines"][0]["review_status"] == "pending"


def test_a_share_limited_by_the_cap_falls_only_when_the_formula_says_so(
    auditor, boss, make, manager, year
):
    # 12,000,000 eligible → 6,000,000 computed, capped at 5,000,000 (emergency).
    claim_id = _approved(boss, make, manager, [("labour", 10_000_000), ("parts", 2_000_000)])
    parts = _lines(claim_id)[1]
    assert db.session.get(Claim, claim_id).government_share == 5_000_000

    body = auditor.post(
        f"/claims/{claim_id}/lines/{parts.id}/review",
        json={"status": "disallowed", "reason": "unrelated"},
    ).get_json()

    assert body["government_share"] == 5_000_000  # 10,000,000 × 50 % still passes the cap
    assert body["adjustments"] == []
    assert body["firm_share"] == 5_000_000


def test_review_reasons_come_from_the_list_and_other_needs_a_note(
    api, auditor, boss, make, manager, year
):
    claim_id = _approved(boss, make, manager, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    path = f"/claims/{claim_id}/lines/{line.id}/review"

    unknown = auditor.post(path, json={"status": "disallowed", "reason": "no_reason"})
    no_reason = auditor.post(path, json={"status": "disallowed"})
    other = auditor.post(path, json={"status": "disallowed", "reason": "other", "note": " "})
    owner = make.user("firm", firm=db.session.get(Claim, claim_id).ticket.firm)
    firm = api.as_(owner).post(path, json={"status": "verified"})

    assert unknown.status_code == 422
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"] == {"reason": ["Choose why the line is disallowed."]}
    assert other.get_json()["errors"] == {"note": ["Say why, when the reason is 'other'."]}
    assert firm.status_code == 403
    assert _lines(claim_id)[0].review_status == "pending"


def test_a_review_is_audited(auditor, boss, make, manager, year):
    from aftercare.audit.models import AuditEvent

    claim_id = _approved(boss, make, manager, [("labour", 1_000_000)])
    line = _lines(claim_id)[0]
    auditor.post(f"/claims/{claim_id}/lines/{line.id}/review", json={"status": "verified"})

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.line_review"))
    assert event.object_id == claim_id
    assert json.loads(event.after)["review_status"] == "verified"
    assert json.loads(event.before) == {"line_id": line.id, "review_status": "pending"}


# ---------------------------------------------------------------- the firm's own share


def _pay(client, claim_id: int, amount: int, method: str = "transfer", file: bytes | None = PDF):
    data = {"amount": str(amount), "method": method, "paid_on": seoul_today().isoformat()}
    if file is not None:
        data["file"] = (io.BytesIO(file), "이체확인증.pdf")
    return client.post(
        f"/claims/{claim_id}/firm-payment", data=data, content_type="multipart/form-data"
    )


def test_the_firm_records_its_share_and_another_person_confirms_it(
    api, auditor, boss, make, manager, year
):
    claim_id = _approved(boss, make, manager, [("labour", 2_000_000)])
    firm_user = make.user("firm", firm=db.session.get(Claim, claim_id).ticket.firm)
    firm = api.as_(firm_user)

    cash = _pay(firm, claim_id, 1_000_000, method="cash")
    short = _pay(firm, claim_id, 999_999)
    no_file = _pay(firm, claim_id, 1_000_000, file=None)
    text_file = _pay(firm, claim_id, 1_000_000, file=b"paid, trust me\n")
    stranger = _pay(api.as_(make.user("firm", firm=make.firm())), claim_id, 1_000_000)

    assert cash.status_code == 422
    assert "method" in cash.get_json()["errors"]
    assert short.get_json()["errors"] == {
        "amount": ["The payment must cover the firm's whole share."]
    }
    assert no_file.get_json()["errors"] == {
        "file": ["Attach the proof of payment (PDF, JPEG or PNG)."]
    }
    assert text_file.status_code == 422
    assert stranger.status_code == 404
    assert db.session.scalar(select(func.count(FirmPayment.id))) == 0

    recorded = _pay(firm, claim_id, 1_000_000)
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["firm_payment"]["status"] == "recorded"
    assert firm.post(f"/claims/{claim_id}/firm-payment/confirm").status_code == 403

    confirmed = auditor.post(f"/claims/{claim_id}/firm-payment/confirm")
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["firm_payment"]["status"] == "confirmed"
    assert _pay(firm, claim_id, 1_000_000).get_json()["reason"] == "already_confirmed"


def test_a_manager_who_records_the_firms_share_may_not_confirm_it(boss, make, manager, year):
    claim_id = _approved(boss, make, manager, [("labour", 2_000_000)])
    assert _pay(boss, claim_id, 1_000_000).status_code == 200

    answer = boss.post(f"/claims/{claim_id}/firm-payment/confirm")

    assert answer.status_code == 409
    assert answer.get_json()["reason"] == "four_eyes"
    assert db.session.scalar(select(FirmPayment.confirmed_at)) is None


def test_the_firms_share_is_recorded_only_after_approval(api, make, manager, year):
    claim_id = quick_claim(make.firm().id, manager.id, [("labour", 2_000_000)])
    firm = api.as_(make.user("firm", firm=db.session.get(Claim, claim_id).ticket.firm))

    answer = _pay(firm, claim_id, 1_000_000)

    assert answer.status_code == 409
    assert answer.get_json()["current_status"] == "pending"


# ---------------------------------------------------------------- settlement waits


def test_settlement_pays_only_reviewed_claims_whose_firm_share_is_confirmed(
    api, boss, make, manager, year
):
    unreviewed = _approved(boss, make, manager, [("labour", 1_000_000)])
    unpaid = _approved(boss, make, manager, [("labour", 2_000_000)])
    ready = _approved(boss, make, manager, [("labour", 4_000_000)])
    make_settleable(ready)
    make_settleable(unpaid)
    db.session.execute(FirmPayment.__table__.delete().where(FirmPayment.claim_id == unpaid))
    db.session.commit()

    waiting = boss.get("/ledger/settlements/waiting").get_json()
    assert waiting["total"] == 2
    assert {(w["claim_id"], w["reason"]) for w in waiting["items"]} == {
        (unreviewed, "review_pending"),
        (unpaid, "firm_payment_missing"),
    }

    batch = settle_for_date(seoul_today())

    assert batch.claims_settled == 1
    assert batch.amount == 2_000_000
    statuses = dict(db.session.execute(select(Claim.id, Claim.status)).all())
    assert statuses == {unreviewed: "approved", unpaid: "approved", ready: "settled"}
    assert_books_ok()


def test_a_firm_share_unconfirmed_60_days_after_approval_is_flagged_to_managers_once(
    boss, make, manager, year
):
    late = _approved(boss, make, manager, [("labour", 1_000_000)])
    recent = _approved(boss, make, manager, [("labour", 1_000_000)])
    now = utcnow()
    db.session.execute(
        update(Claim).where(Claim.id == late).values(approved_at=now - timedelta(days=61))
    )
    db.session.execute(
        update(Claim).where(Claim.id == recent).values(approved_at=now - timedelta(days=59))
    )
    db.session.commit()

    first = run_sla_job(now)
    second = run_sla_job(now)

    assert first["firm_payment_overdue"] == 1
    assert second["firm_payment_overdue"] == 1  # still overdue, but told once
    kinds = db.session.execute(
        select(Notification.user_id, Notification.ticket_id).where(
            Notification.kind == "firm_payment_overdue"
        )
    ).all()
    assert kinds == [(manager.id, db.session.get(Claim, late).ticket_id)]
    assert boss.get(f"/claims/{late}").get_json()["firm_payment_overdue"] is True
    assert boss.get(f"/claims/{recent}").get_json()["firm_payment_overdue"] is False


def test_verification_finds_a_share_changed_without_its_adjustment(boss, make, manager, year):
    claim_id = _approved(boss, make, manager, [("labour", 2_000_000)])
    assert reconcile(record=False)[0]

    db.session.execute(update(Claim).where(Claim.id == claim_id).values(government_share=900_000))
    db.session.commit()

    ok, checks = reconcile(record=False)
    assert not ok
    failed = {c.name: c.detail for c in checks if not c.ok}
    assert f"claims: {claim_id}" in failed["claim_money_matches_ledger"]


# ---------------------------------------------------------------- two reviewers at once


def test_two_reviewers_disallowing_lines_of_one_claim_never_release_more_than_it_reserved(
    app, make, year
):
    manager_id = make.user("manager").id
    claim_id = quick_claim(
        make.firm().id, manager_id, [("labour", 2_000_000), ("parts", 2_000_000)]
    )
    from aftercare.claims.services import approve_claim

    approve_claim(db.session.get(User, make.user("manager").id), claim_id)
    reviewers = [make.user("auditor").id, make.user("manager").id]
    line_ids = [line.id for line in _lines(claim_id)]
    db.session.remove()

    def disallow(i: int, barrier) -> int:
        reviewer = db.session.get(User, reviewers[i])
        db.session.close()
        barrier.wait(timeout=60)
        return review_line(reviewer, claim_id, line_ids[i], "disallowed", "unrelated").id

    results = race(app, 2, disallow)

    assert [r[0] for r in results] == ["ok", "ok"], results
    claim = db.session.get(Claim, claim_id)
    assert claim.government_share == 0
    released = db.session.scalar(
        select(func.sum(LedgerTransaction.amount)).where(
            LedgerTransaction.claim_id == claim_id, LedgerTransaction.type == "adjust"
        )
    )
    assert released == 2_000_000
    assert balances(year.id)["pool_reserved"] == 0
    assert_books_ok()
