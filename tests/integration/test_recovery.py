"""Recovery cases, objections and participation restrictions (docs/recovery.md), through
the API, on SQLite and PostgreSQL: the ledger's new transactions, four eyes at every
decision, the 30 days to object, payments never above what is owed, restrictions at
triage, the due and overdue notices, two managers racing, and random sequences of
settle / clawback / recovery / write-off that keep every invariant."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain.errors import DomainError
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Restriction
from aftercare.jobs.sla import run_sla_job
from aftercare.ledger.models import FirmUsage, LedgerTransaction
from aftercare.notifications.models import Notification
from aftercare.payouts.reconciliation import reconcile
from aftercare.recovery import services
from aftercare.recovery.models import RecoveryCase
from aftercare.tickets.models import Ticket
from tests.integration.ledger_support import (
    ONE_APPROVER,
    assert_books_ok,
    balances,
    firm_filer,
    quick_claim,
    race,
    settled_claim,
    this_year,
)

PDF = b"%PDF-1.4\n%recovery evidence\n"


@pytest.fixture
def year(make):
    return make.fiscal_year(year=this_year(), budget=100_000_000, second_approval_from=ONE_APPROVER)


@pytest.fixture
def opener(make):
    return make.user("auditor")


@pytest.fixture
def manager(make):
    return make.user("manager")


@pytest.fixture
def second(make):
    return make.user("manager")


@pytest.fixture
def as_opener(api, opener):
    return api.as_(opener)


@pytest.fixture
def boss(api, manager):
    return api.as_(manager)


def _settled(make, manager: User, amount: int = 2_000_000, firm=None) -> int:
    """A settled claim of a firm that has a user of its own (files, signs in, is told)."""
    if firm is None:
        firm = make.firm()
        make.user("firm", firm=firm)
    claim_id = settled_claim(manager, firm.id, amount)
    assert db.session.get(Claim, claim_id).status == "settled"
    return claim_id


def _firm_api(api, claim_id: int):
    claim = db.session.get(Claim, claim_id)
    return api.as_(db.session.get(User, firm_filer(claim.firm_id)))


def _open(client, claim_ids, amount, grounds="false_invoice", note="", evidence=True) -> dict:
    answer = client.post(
        "/recovery-cases",
        json={"claim_ids": claim_ids, "grounds": grounds, "grounds_note": note, "amount": amount},
    )
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    if evidence:
        attached = _attach(client, case["id"])
        assert attached.status_code == 200, attached.get_json()
    return case


def _attach(client, case_id: int, kind: str = "evidence", data: bytes = PDF):
    return client.post(
        f"/recovery-cases/{case_id}/files",
        data={"kind": kind, "file": (io.BytesIO(data), "세금계산서 위조.pdf")},
        content_type="multipart/form-data",
    )


def _due(days: int = 30) -> str:
    return (seoul_today() + timedelta(days=days)).isoformat()


def _decide(client, case_id: int, amount: int, days: int = 30):
    return client.post(
        f"/recovery-cases/{case_id}/decide", json={"amount": amount, "due_on": _due(days)}
    )


# ---------------------------------------------------------------- the money path


def test_a_decided_case_moves_paid_money_to_the_receivable_and_payments_to_recovered(
    api, as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager, 2_000_000)  # government share 1,000,000
    claim = db.session.get(Claim, claim_id)
    usage_before = db.session.scalar(
        select(FirmUsage.paid).where(FirmUsage.firm_id == claim.firm_id)
    )
    before = balances(year.id)
    case = _open(as_opener, [claim_id], 1_000_000)

    decided = _decide(boss, case["id"], 800_000)

    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert (body["status"], body["decided_amount"], body["owed"]) == ("decided", 800_000, 800_000)
    after = balances(year.id)
    assert after["paid_out"] == before["paid_out"] - 800_000
    assert after["recovery_receivable"] == 800_000
    assert after["pool_available"] == before["pool_available"]  # the pool is not refilled

    part = boss.post(
        f"/recovery-cases/{case['id']}/payments",
        json={"amount": 300_000, "received_on": seoul_today().isoformat()},
    )
    assert part.get_json()["status"] == "partly_paid"
    rest = boss.post(
        f"/recovery-cases/{case['id']}/payments",
        json={"amount": 500_000, "received_on": seoul_today().isoformat(), "note": "계좌 입금"},
    )

    assert rest.status_code == 200, rest.get_json()
    assert (rest.get_json()["status"], rest.get_json()["owed"]) == ("paid", 0)
    final = balances(year.id)
    assert (final["recovery_receivable"], final["recovered"]) == (0, 800_000)
    assert final["pool_available"] == before["pool_available"]
    usage_after = db.session.scalar(
        select(FirmUsage.paid).where(FirmUsage.firm_id == claim.firm_id)
    )
    assert usage_after == usage_before  # a clawback does not give the firm its cap back
    kinds = db.session.scalars(
        select(LedgerTransaction.type)
        .where(LedgerTransaction.recovery_case_id == case["id"])
        .order_by(LedgerTransaction.id)
    ).all()
    assert kinds == ["clawback", "recovery", "recovery"]
    assert_books_ok()


def test_the_amount_may_not_exceed_what_was_paid_on_the_claims(as_opener, make, manager, year):
    first = _settled(make, manager, 2_000_000)
    firm = db.session.get(Claim, first).ticket.firm
    other = _settled(make, manager, 4_000_000, firm=firm)  # 1,000,000 + 2,000,000 paid

    too_much = as_opener.post(
        "/recovery-cases",
        json={"claim_ids": [first, other], "grounds": "firm_share_unpaid", "amount": 3_000_001},
    )
    exact = as_opener.post(
        "/recovery-cases",
        json={"claim_ids": [first, other], "grounds": "firm_share_unpaid", "amount": 3_000_000},
    )

    assert too_much.status_code == 422
    assert "amount" in too_much.get_json()["errors"]
    assert exact.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(RecoveryCase)) == 1


def test_a_case_is_opened_on_settled_claims_of_one_firm_in_no_other_live_case(
    as_opener, boss, make, manager, year
):
    settled = _settled(make, manager)
    pending = quick_claim(make.firm().id, manager.id, [("labour", 1_000_000)])
    elsewhere = _settled(make, manager)

    unsettled = as_opener.post(
        "/recovery-cases",
        json={"claim_ids": [pending], "grounds": "other", "grounds_note": "x", "amount": 1},
    )
    two_firms = as_opener.post(
        "/recovery-cases",
        json={"claim_ids": [settled, elsewhere], "grounds": "firm_share_unpaid", "amount": 1},
    )
    no_note = as_opener.post(
        "/recovery-cases", json={"claim_ids": [settled], "grounds": "other", "amount": 1}
    )
    unknown = as_opener.post(
        "/recovery-cases", json={"claim_ids": [999_999], "grounds": "false_invoice", "amount": 1}
    )
    floats = as_opener.post(
        "/recovery-cases", json={"claim_ids": [settled], "grounds": "false_invoice", "amount": 1.5}
    )
    first = _open(as_opener, [settled], 100_000, evidence=False)
    again = as_opener.post(
        "/recovery-cases", json={"claim_ids": [settled], "grounds": "false_invoice", "amount": 1}
    )

    assert (unsettled.status_code, unsettled.get_json()["reason"]) == (409, "claim_not_settled")
    assert two_firms.status_code == 422
    assert "claim_ids" in two_firms.get_json()["errors"]
    assert no_note.status_code == 422
    assert "grounds_note" in no_note.get_json()["errors"]
    assert unknown.status_code == 422
    assert floats.status_code == 422
    assert (again.status_code, again.get_json()["reason"]) == (409, "claim_in_case")
    dismissed = boss.post(f"/recovery-cases/{first['id']}/dismiss", json={"reason": "오해였음"})
    assert dismissed.get_json()["status"] == "dismissed"
    reopened = as_opener.post(
        "/recovery-cases", json={"claim_ids": [settled], "grounds": "false_invoice", "amount": 1}
    )
    assert reopened.status_code == 201  # a dismissed case frees its claims


def test_only_managers_and_auditors_open_cases_and_a_firm_sees_only_its_own(
    api, as_opener, make, manager, year
):
    claim_id = _settled(make, manager)
    other_claim = _settled(make, manager)
    case = _open(as_opener, [claim_id], 500_000)
    _open(as_opener, [other_claim], 500_000)
    firm = _firm_api(api, claim_id)
    meister = api.as_(make.meister())

    by_firm = firm.post(
        "/recovery-cases", json={"claim_ids": [claim_id], "grounds": "false_invoice", "amount": 1}
    )

    assert by_firm.status_code == 403
    assert meister.get("/recovery-cases").status_code == 403
    assert [c["id"] for c in firm.get("/recovery-cases").get_json()["items"]] == [case["id"]]
    other_id = db.session.scalar(select(RecoveryCase.id).where(RecoveryCase.id != case["id"]))
    assert firm.get(f"/recovery-cases/{other_id}").status_code == 404
    assert _attach(firm, other_id, "objection").status_code == 404


# ---------------------------------------------------------------- four eyes and evidence


def test_the_opener_may_not_decide_and_a_decision_needs_evidence(api, make, manager, second, year):
    claim_id = _settled(make, manager)
    own = api.as_(manager)
    case = _open(own, [claim_id], 500_000, evidence=False)

    by_opener = _decide(own, case["id"], 500_000)
    without_evidence = _decide(api.as_(second), case["id"], 500_000)
    bad_file = _attach(own, case["id"], data=b"MZ\x90\x00 not a pdf")
    _attach(own, case["id"])
    above = _decide(api.as_(second), case["id"], 500_001)
    past_due = _decide(api.as_(second), case["id"], 500_000, days=0)

    assert (by_opener.status_code, by_opener.get_json()["reason"]) == (409, "four_eyes")
    assert without_evidence.get_json()["reason"] == "evidence_missing"
    assert bad_file.status_code == 422
    assert above.status_code == 422
    assert "amount" in above.get_json()["errors"]
    assert past_due.status_code == 422
    assert "due_on" in past_due.get_json()["errors"]
    assert balances(year.id)["recovery_receivable"] == 0  # nothing moved
    assert _decide(api.as_(second), case["id"], 500_000).status_code == 200


def test_two_managers_deciding_one_case_at_once_decide_it_once(app, make, opener, year):
    manager = make.user("manager")
    claim_id = _settled(make, manager)
    case = services.open_case(
        opener, services.Opening([claim_id], "firm_share_unpaid", "", 900_000)
    )
    services.add_files(opener, case.id, [services.Upload("a.pdf", PDF)])
    deciders = [make.user("manager").id, make.user("manager").id]
    case_id = case.id
    db.session.remove()

    def decide(i: int, barrier) -> str:
        actor = db.session.get(User, deciders[i])
        db.session.close()
        barrier.wait(timeout=60)
        return services.decide(actor, case_id, 900_000, seoul_today() + timedelta(days=20)).status

    results = race(app, 2, decide)

    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert [r[1:] for r in results if r[0] == "refused"] == [(409, "invalid_transition")]
    clawbacks = db.session.scalar(
        select(func.count()).where(
            LedgerTransaction.recovery_case_id == case_id, LedgerTransaction.type == "clawback"
        )
    )
    assert clawbacks == 1
    assert_books_ok()


# ---------------------------------------------------------------- the firm's objection


def test_the_firm_objects_within_30_days_and_another_manager_revises_the_amount(
    api, as_opener, boss, make, manager, second, year
):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 1_000_000)
    _decide(boss, case["id"], 1_000_000)
    firm = _firm_api(api, claim_id)

    objected = firm.post(
        f"/recovery-cases/{case['id']}/objection", json={"text": "정상 거래입니다"}
    )
    assert objected.get_json()["status"] == "objected"
    assert _attach(firm, case["id"], "objection").status_code == 200
    paying_now = boss.post(
        f"/recovery-cases/{case['id']}/payments",
        json={"amount": 1, "received_on": seoul_today().isoformat()},
    )
    by_decider = boss.post(
        f"/recovery-cases/{case['id']}/objection/decision",
        json={"outcome": "revise", "note": "일부 인정", "amount": 600_000},
    )
    not_lower = api.as_(second).post(
        f"/recovery-cases/{case['id']}/objection/decision",
        json={"outcome": "revise", "note": "일부 인정", "amount": 1_000_000},
    )
    revised = api.as_(second).post(
        f"/recovery-cases/{case['id']}/objection/decision",
        json={"outcome": "revise", "note": "일부 인정", "amount": 600_000},
    )

    assert paying_now.status_code == 409  # no payment while the objection is open
    assert (by_decider.status_code, by_decider.get_json()["reason"]) == (409, "four_eyes")
    assert not_lower.status_code == 422
    body = revised.get_json()
    assert (body["status"], body["decided_amount"], body["owed"]) == ("revised", 600_000, 600_000)
    assert balances(year.id)["recovery_receivable"] == 600_000
    kinds = db.session.scalars(
        select(LedgerTransaction.type).where(LedgerTransaction.recovery_case_id == case["id"])
    ).all()
    assert sorted(kinds) == ["clawback", "revise"]  # a new transaction, never an update
    assert {f["kind"] for f in body["files"]} == {"evidence", "objection"}
    assert_books_ok()


def test_an_objection_after_30_days_or_by_someone_else_is_refused(
    api, as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 1_000_000)
    _decide(boss, case["id"], 1_000_000)
    other_firm = api.as_(make.user("firm", firm=make.firm()))

    by_other_firm = other_firm.post(f"/recovery-cases/{case['id']}/objection", json={"text": "x"})
    by_auditor = as_opener.post(f"/recovery-cases/{case['id']}/objection", json={"text": "x"})
    empty = _firm_api(api, claim_id).post(
        f"/recovery-cases/{case['id']}/objection", json={"text": ""}
    )
    day_30 = seoul_today() - timedelta(days=30)
    db.session.execute(update(RecoveryCase).values(decided_on=day_30))
    db.session.commit()
    last_day = services.case_for(db.session.get(User, manager.id), case["id"])
    assert last_day.status == "decided"
    db.session.execute(update(RecoveryCase).values(decided_on=day_30 - timedelta(days=1)))
    db.session.commit()
    late = _firm_api(api, claim_id).post(
        f"/recovery-cases/{case['id']}/objection", json={"text": "x"}
    )

    assert by_other_firm.status_code == 404
    assert by_auditor.status_code == 403
    assert empty.status_code == 422
    assert (late.status_code, late.get_json()["reason"]) == (409, "objection_late")
    assert db.session.get(RecoveryCase, case["id"]).status == "decided"


def test_on_the_30th_day_the_firm_may_still_object(api, as_opener, boss, make, manager, year):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 1_000_000)
    _decide(boss, case["id"], 1_000_000)
    db.session.execute(update(RecoveryCase).values(decided_on=seoul_today() - timedelta(days=30)))
    db.session.commit()

    answer = _firm_api(api, claim_id).post(
        f"/recovery-cases/{case['id']}/objection", json={"text": "x"}
    )

    assert answer.get_json()["status"] == "objected"


# ---------------------------------------------------------------- payments and write-off


def test_a_payment_above_what_is_owed_is_refused_and_a_write_off_clears_the_rest(
    as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 700_000, grounds="obligation_breached")
    _decide(boss, case["id"], 700_000)
    path = f"/recovery-cases/{case['id']}"

    above = boss.post(
        f"{path}/payments", json={"amount": 700_001, "received_on": seoul_today().isoformat()}
    )
    future = boss.post(
        f"{path}/payments",
        json={"amount": 1, "received_on": (seoul_today() + timedelta(days=1)).isoformat()},
    )
    by_auditor = as_opener.post(
        f"{path}/payments", json={"amount": 1, "received_on": seoul_today().isoformat()}
    )
    boss.post(
        f"{path}/payments", json={"amount": 200_000, "received_on": seoul_today().isoformat()}
    )
    no_reason = boss.post(f"{path}/write-off", json={"reason": ""})
    written = boss.post(f"{path}/write-off", json={"reason": "폐업으로 회수 불능"})

    assert above.status_code == 422
    assert "amount" in above.get_json()["errors"]
    assert future.status_code == 422
    assert by_auditor.status_code == 403
    assert no_reason.status_code == 422
    body = written.get_json()
    assert (body["status"], body["written_off"], body["owed"]) == ("written_off", 500_000, 0)
    books = balances(year.id)
    assert (books["recovery_receivable"], books["recovered"], books["written_off"]) == (
        0,
        200_000,
        500_000,
    )
    assert (
        boss.post(
            f"{path}/payments", json={"amount": 1, "received_on": seoul_today().isoformat()}
        ).status_code
        == 409
    )
    assert_books_ok()


# ---------------------------------------------------------------- restrictions


def test_a_decision_on_false_invoices_restricts_the_firm_and_triage_refuses_its_tickets(
    api, as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    firm_id = db.session.get(Claim, claim_id).firm_id
    case = _open(as_opener, [claim_id], 1_000_000, grounds="false_invoice")
    _decide(boss, case["id"], 1_000_000)
    firm = _firm_api(api, claim_id)
    ticket = firm.post(
        "/tickets", json={"category": "breakdown", "severity": "high", "title": "새 고장"}
    ).get_json()

    refused = boss.post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "accept", "override_reason": "급함"}
    )

    assert (refused.status_code, refused.get_json()["reason"]) == (409, "firm_restricted")
    restriction = db.session.scalar(select(Restriction).where(Restriction.firm_id == firm_id))
    assert restriction.starts_on == seoul_today()
    assert restriction.ends_on == seoul_today().replace(year=seoul_today().year + 3)
    assert db.session.get(Ticket, ticket["id"]).status == "submitted"
    own = firm.get("/restrictions").get_json()["items"]
    assert [(r["firm_id"], r["active"]) for r in own] == [(firm_id, True)]

    db.session.execute(
        update(Restriction).values(
            starts_on=seoul_today() - timedelta(days=3 * 366), ends_on=seoul_today()
        )
    )
    db.session.commit()
    accepted = boss.post(f"/tickets/{ticket['id']}/triage", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.get_json()  # it ended by itself


def test_other_grounds_restrict_no_one_and_a_manager_records_an_outside_restriction(
    api, as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 1_000_000, grounds="firm_share_unpaid")
    _decide(boss, case["id"], 1_000_000)
    assert db.session.scalar(select(func.count()).select_from(Restriction)) == 0
    firm = make.firm()

    bad = boss.post(
        "/restrictions",
        json={
            "firm_id": firm.id,
            "starts_on": seoul_today().isoformat(),
            "years": 11,
            "source_note": "x",
            "reason": "y",
        },
    )
    by_auditor = as_opener.post(
        "/restrictions",
        json={
            "firm_id": firm.id,
            "starts_on": seoul_today().isoformat(),
            "years": 2,
            "source_note": "x",
            "reason": "y",
        },
    )
    made = boss.post(
        "/restrictions",
        json={
            "firm_id": firm.id,
            "starts_on": seoul_today().isoformat(),
            "years": 2,
            "source_note": "중소벤처기업부 처분 제2021-12호",
            "reason": "타 사업 허위 서류",
        },
    )

    assert bad.status_code == 422
    assert by_auditor.status_code == 403
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["active"] is True
    listed = as_opener.get("/restrictions?state=active").get_json()["items"]
    assert [r["firm_id"] for r in listed] == [firm.id]


# ---------------------------------------------------------------- notices


def test_people_are_told_at_each_step_and_once_when_due_soon_and_overdue(
    api, as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    firm_user_id = firm_filer(db.session.get(Claim, claim_id).firm_id)
    case = _open(as_opener, [claim_id], 1_000_000, grounds="firm_share_unpaid")
    _decide(boss, case["id"], 1_000_000, days=5)
    _firm_api(api, claim_id)  # the firm has not objected: its case is owed

    first = run_sla_job(utcnow())
    second = run_sla_job(utcnow())
    db.session.execute(update(RecoveryCase).values(due_on=seoul_today() - timedelta(days=1)))
    db.session.commit()
    late = run_sla_job(utcnow())
    again = run_sla_job(utcnow())

    assert (first["recovery_due_soon"], second["recovery_due_soon"]) == (1, 0)
    assert (late["recovery_overdue"], again["recovery_overdue"]) == (1, 0)
    told = db.session.execute(
        select(Notification.kind, Notification.user_id).order_by(Notification.id)
    ).all()
    firm_kinds = [k for k, user in told if user == firm_user_id and k.startswith("recovery")]
    assert firm_kinds == [
        "recovery_opened",
        "recovery_decided",
        "recovery_due_soon",
        "recovery_overdue",
    ]
    assert ("recovery_overdue", manager.id) in told
    assert boss.get(f"/recovery-cases/{case['id']}").get_json()["overdue"] is True


# ---------------------------------------------------------------- verification


def test_reconciliation_finds_a_case_whose_figures_left_the_ledger(
    as_opener, boss, make, manager, year
):
    claim_id = _settled(make, manager)
    case = _open(as_opener, [claim_id], 1_000_000)
    _decide(boss, case["id"], 1_000_000)
    assert_books_ok()

    db.session.execute(update(RecoveryCase).values(recovered=400_000))
    db.session.commit()

    ok, checks = reconcile(record=False)
    assert not ok
    failed = {c.name: c.detail for c in checks if not c.ok}
    assert f"cases: {case['id']}" in failed["recovery_cases_match_ledger"]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(("settle", "clawback", "revise", "recovery", "write_off")),
        st.integers(min_value=1, max_value=100),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_random_sequences_of_settlement_and_recovery_keep_the_books(
    make, manager, opener, second, year, operations
):
    """Whatever order money is settled, clawed back, revised, recovered and written off,
    the receivable never goes negative, paid_out = Σ settled − Σ clawed back, and every
    recovery links to its case (reconciliation's checks)."""
    for action, percent in operations:
        owing = db.session.scalars(
            select(RecoveryCase).where(
                RecoveryCase.status.in_(("decided", "upheld", "revised", "partly_paid", "objected"))
            )
        ).first()
        settled_free = db.session.scalars(
            select(Claim.id).where(Claim.status == "settled").order_by(Claim.id.desc())
        ).first()
        try:
            if action == "settle" or settled_free is None:
                _settled(make, manager, 1_000_000 * (1 + percent % 3))
            elif action == "clawback":
                paid = db.session.get(Claim, settled_free).government_share
                case = services.open_case(
                    opener,
                    services.Opening(
                        [settled_free], "false_invoice", "", max(1, paid * percent // 100)
                    ),
                )
                services.add_files(opener, case.id, [services.Upload("a.pdf", PDF)])
                services.decide(manager, case.id, case.amount, seoul_today() + timedelta(days=10))
            elif owing is None:
                continue
            elif action == "revise" and owing.status == "decided":
                firm_user = db.session.get(User, firm_filer(owing.firm_id))
                services.object_to(firm_user, owing.id, "이의")
                if owing.decided_amount > 1:
                    services.decide_objection(
                        second if owing.decided_by_id == manager.id else manager,
                        owing.id,
                        "revise",
                        "일부",
                        max(1, owing.decided_amount * percent // 101),
                    )
            elif action == "recovery" and owing.status != "objected":
                services.record_payment(
                    manager, owing.id, max(1, owing.owed * percent // 100), seoul_today()
                )
            elif action == "write_off" and owing.status != "objected":
                services.write_off(manager, owing.id, "회수 불능")
        except DomainError:  # a refusal (claim already in a case, …) changes nothing
            db.session.rollback()
        assert_books_ok()
        assert balances(year.id)["recovery_receivable"] >= 0
