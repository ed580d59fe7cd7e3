"""The SLA job (SPEC §3, §6): breaches, overdue projects and auto-confirmation, each once.

Deadlines are counted by hand in Korean business days around Seollal 2021
(Thu 11 – Sat 13 February) and Chuseok 2021 (Mon 20 – Wed 22 September); the job
is run with a `now` in 2021, so nothing waits on the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from aftercare.claims.models import Claim
from aftercare.domain import sla
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.jobs.sla import run_sla_job
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.notifications.models import Notification
from aftercare.tickets.models import Ticket, TicketHistory
from aftercare.tickets.services import cancel_ticket, file_ticket, triage_ticket

NOTHING = {
    "sla_breached": 0,
    "project_overdue": 0,
    "auto_confirmed": 0,
    "firm_payment_overdue": 0,
    "recovery_due_soon": 0,
    "recovery_overdue": 0,
}

LINES = [
    {"kind": "labour", "description": "진단 및 교체", "quantity": 2, "unit_price": 350_000},
    {"kind": "parts", "description": "통신 모듈", "quantity": 1, "unit_price": 1_234_567},
    {"kind": "software", "description": "펌웨어", "quantity": 1, "unit_price": 300_000},
    {"kind": "travel", "description": "출장비", "quantity": 1, "unit_price": 80_000},
    {"kind": "other", "description": "주차비", "quantity": 3, "unit_price": 5_000},
]
ELIGIBLE = 700_000 + 1_234_567 + 300_000  # labour, parts, software
INELIGIBLE = 80_000 + 15_000  # travel, other


@pytest.fixture
def people(make):
    firm = make.firm(region="busan")
    return SimpleNamespace(
        firm_user=make.user("firm", firm=firm),
        other_firm_user=make.user("firm"),
        managers=[make.user("manager"), make.user("manager")],
        meister=make.meister(specialties=["plc"], regions=["busan"], max_load=20),
        auditor=make.user("auditor"),
    )


def filed(people, severity: str = "critical", title: str = "PLC 통신 두절") -> int:
    ticket = file_ticket(
        people.firm_user,
        {"category": "breakdown", "severity": severity, "title": title, "tags": ["plc"]},
    )
    return ticket.id


def triaged(people, severity: str = "high") -> int:
    tid = filed(people, severity)
    triage_ticket(people.managers[0], tid, "accept")
    return tid


def in_progress(people, severity: str = "high") -> int:
    tid = triaged(people, severity)
    assign_meister(people.managers[0], tid, people.meister.id)
    accept_ticket(people.meister, tid)
    return tid


def resolved(people) -> int:
    tid = in_progress(people)
    log_visit(people.meister, tid, seoul_today(), "3.5", "교체 완료", [dict(x) for x in LINES])
    resolve_ticket(people.meister, tid, "통신 모듈 교체")
    return tid


def set_ticket(ticket_id: int, **values) -> None:
    ticket = db.session.get(Ticket, ticket_id)
    for name, value in values.items():
        setattr(ticket, name, value)
    db.session.commit()


def ticket(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def history(ticket_id: int, action: str) -> list[TicketHistory]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketHistory).where(
                TicketHistory.ticket_id == ticket_id, TicketHistory.action == action
            )
        )
    )


def notified(ticket_id: int, kind: str) -> list[int]:
    """User ids notified of `kind` for the ticket, one entry per notification."""
    return sorted(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.ticket_id == ticket_id, Notification.kind == kind
            )
        )
    )


def claims_of(ticket_id: int) -> list[Claim]:
    db.session.expire_all()
    return list(db.session.scalars(select(Claim).where(Claim.ticket_id == ticket_id)))


# ---------------------------------------------------------------- SLA breach


def test_triage_breach_is_flagged_once_across_seollal(app, api, people):
    manager_ids = sorted(m.id for m in people.managers)
    critical, normal = filed(people, "critical"), filed(people, "normal", "정상 우선순위")
    # Filed Wed 2021-02-10 10:00 KST. Thu 11, Fri 12 (Seollal), Sat 13, Sun 14 do not count:
    # critical (1 business day) is due at the end of Mon 15 = 2021-02-16 00:00 KST,
    # normal (2) at the end of Tue 16.
    filed_at = datetime(2021, 2, 10, 1, 0)
    for tid, severity in ((critical, "critical"), (normal, "normal")):
        set_ticket(tid, created_at=filed_at, triage_due_at=sla.triage_due_at(filed_at, severity))
    assert ticket(critical).triage_due_at == datetime(2021, 2, 15, 15, 0)
    assert ticket(normal).triage_due_at == datetime(2021, 2, 16, 15, 0)

    assert run_sla_job(now=datetime(2021, 2, 15, 14, 59, 59)) == NOTHING
    assert run_sla_job(now=datetime(2021, 2, 15, 15, 0, 0)) == NOTHING  # due, not yet past
    assert not ticket(critical).sla_breached

    counts = run_sla_job(now=datetime(2021, 2, 15, 15, 0, 1))
    assert counts == NOTHING | {"sla_breached": 1}
    assert ticket(critical).sla_breached
    assert not ticket(normal).sla_breached
    [row] = history(critical, "sla_breach")
    assert (row.actor_id, row.from_status, row.to_status) == (None, "submitted", "submitted")
    assert notified(critical, "sla_breach") == manager_ids

    # run again (and again later): nothing is flagged or notified twice
    assert run_sla_job(now=datetime(2021, 2, 15, 15, 0, 2)) == NOTHING
    assert run_sla_job(now=datetime(2021, 2, 16, 15, 0, 1)) == NOTHING | {"sla_breached": 1}
    assert len(history(critical, "sla_breach")) == 1
    assert notified(critical, "sla_breach") == manager_ids
    assert notified(normal, "sla_breach") == manager_ids
    assert people.firm_user.id not in notified(critical, "sla_breach")

    flagged = api.as_(people.managers[0]).get("/tickets?sla_breached=true").get_json()
    assert sorted(t["id"] for t in flagged["items"]) == sorted([critical, normal])
    detail = api.as_(people.firm_user).get(f"/tickets/{critical}").get_json()
    assert detail["sla_breached"] is True
    assert detail["status"] == "submitted"  # flagging does not change the status


def test_resolution_breach_is_flagged_across_chuseok(app, people):
    manager_ids = sorted(m.id for m in people.managers)
    working = in_progress(people, "high")
    waiting = triaged(people, "high")
    done = in_progress(people, "high")
    set_ticket(done, status="resolved")
    gone = triaged(people, "high")
    cancel_ticket(people.managers[0], gone, "중복 접수")
    # Accepted at triage Fri 2021-09-17 10:00 KST; Chuseok Mon 20 – Wed 22 and the weekend do
    # not count: high (5 business days) is due at the end of Wed 29 = 2021-09-30 00:00 KST.
    triaged_at = datetime(2021, 9, 17, 1, 0)
    due = sla.resolution_due_at(triaged_at, "high")
    assert due == datetime(2021, 9, 29, 15, 0)
    for tid in (working, waiting, done, gone):
        set_ticket(tid, triaged_at=triaged_at, resolution_due_at=due)

    assert run_sla_job(now=datetime(2021, 9, 29, 14, 59)) == NOTHING
    assert run_sla_job(now=datetime(2021, 9, 29, 15, 1)) == NOTHING | {"sla_breached": 2}
    assert (ticket(working).sla_breached, ticket(waiting).sla_breached) == (True, True)
    assert (ticket(done).sla_breached, ticket(gone).sla_breached) == (False, False)
    assert run_sla_job(now=datetime(2021, 9, 30, 15, 1)) == NOTHING
    for tid in (working, waiting):
        assert len(history(tid, "sla_breach")) == 1
        assert notified(tid, "sla_breach") == manager_ids


# ---------------------------------------------------------------- project deadline


def test_a_project_past_its_deadline_is_flagged_once(app, people):
    manager_ids = sorted(m.id for m in people.managers)
    today = seoul_today()
    late = triaged(people)
    due_today = triaged(people)
    finished = triaged(people)
    set_ticket(late, project_deadline=today - timedelta(days=1))
    set_ticket(due_today, project_deadline=today)
    set_ticket(finished, project_deadline=today - timedelta(days=30), status="confirmed")

    assert run_sla_job() == NOTHING | {"project_overdue": 1}
    assert ticket(late).project_overdue
    assert not ticket(due_today).project_overdue
    assert not ticket(finished).project_overdue
    [row] = history(late, "project_overdue")
    assert (row.actor_id, row.from_status, row.to_status) == (None, "triaged", "triaged")
    assert notified(late, "project_overdue") == manager_ids

    assert run_sla_job() == NOTHING
    assert len(history(late, "project_overdue")) == 1
    assert notified(late, "project_overdue") == manager_ids
    assert ticket(late).status == "triaged"


# ---------------------------------------------------------------- auto-confirmation


def test_resolved_work_is_auto_confirmed_after_ten_business_days(app, api, people):
    manager_ids = sorted(m.id for m in people.managers)
    ten_days, nine_days = resolved(people), resolved(people)
    # Resolved Fri 2021-09-10 10:00 KST: business days 13,14,15,16,17 | Chuseok 20–22 |
    # 23,24,27,28,29 → the tenth ends at 2021-09-30 00:00 KST (= 2021-09-29 15:00 UTC).
    # Resolved Mon 2021-09-13: at that instant only nine business days (14 … 29) have passed.
    set_ticket(ten_days, resolved_at=datetime(2021, 9, 10, 1, 0))
    set_ticket(nine_days, resolved_at=datetime(2021, 9, 13, 1, 0))
    now = datetime(2021, 9, 29, 15, 0)

    assert run_sla_job(now=now - timedelta(seconds=1)) == NOTHING
    assert ticket(ten_days).status == "resolved"

    assert run_sla_job(now=now) == NOTHING | {"auto_confirmed": 1}
    confirmed = ticket(ten_days)
    assert confirmed.status == "confirmed"
    assert confirmed.rating is None
    assert confirmed.confirmed_at is not None
    [claim] = claims_of(ten_days)
    assert claim.status == "pending"
    assert (claim.eligible_total, claim.ineligible_total) == (ELIGIBLE, INELIGIBLE)
    assert claim.fiscal_year_id is None
    assert claim.government_share is None
    assert claim.support_type == "emergency"
    [row] = history(ten_days, "confirm")
    assert (row.actor_id, row.from_status, row.to_status) == (None, "resolved", "confirmed")
    assert row.details == {"auto": True}
    assert notified(ten_days, "confirmed") == sorted([*manager_ids, people.meister.id])

    assert ticket(nine_days).status == "resolved"
    assert claims_of(nine_days) == []

    # running it again changes nothing
    assert run_sla_job(now=now) == NOTHING
    assert run_sla_job(now=now + timedelta(hours=1)) == NOTHING
    assert len(claims_of(ten_days)) == 1
    assert len(history(ten_days, "confirm")) == 1
    assert notified(ten_days, "confirmed") == sorted([*manager_ids, people.meister.id])
    assert ticket(nine_days).status == "resolved"
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 1

    # the API shows the ticket confirmed with its pending claim and no rating
    body = api.as_(people.firm_user).get(f"/tickets/{ten_days}").get_json()
    assert body["status"] == "confirmed"
    assert body["rating"] is None
    assert body["claim"] == {
        "id": claim.id,
        "status": "pending",
        "eligible_total": ELIGIBLE,
        "government_share": None,
    }

    # the later ticket's tenth business day ends at 2021-10-01 00:00 KST
    assert run_sla_job(now=datetime(2021, 9, 30, 14, 59, 59)) == NOTHING
    assert run_sla_job(now=datetime(2021, 9, 30, 15, 0)) == NOTHING | {"auto_confirmed": 1}
    assert ticket(nine_days).status == "confirmed"
    assert len(claims_of(nine_days)) == 1


def test_reopened_work_is_not_auto_confirmed(app, people):
    from aftercare.claims.signoff import reopen_ticket

    tid = resolved(people)
    set_ticket(tid, resolved_at=datetime(2021, 9, 10, 1, 0))
    reopen_ticket(people.firm_user, tid, "다시 멈춤")
    assert run_sla_job(now=datetime(2021, 12, 31)) == NOTHING
    assert ticket(tid).status == "in_progress"
    assert claims_of(tid) == []


def test_the_sla_job_runs_through_the_job_runner(app, runner, people):
    tid = filed(people, "critical")
    set_ticket(tid, triage_due_at=datetime(2021, 2, 15, 15, 0))  # long past
    result = runner.invoke(args=["jobs", "run", "sla"])
    assert result.exit_code == 0, result.output
    assert "'sla_breached': 1" in result.output
    assert ticket(tid).sla_breached
    again = runner.invoke(args=["jobs", "run", "sla"])
    assert "'sla_breached': 0" in again.output
    assert len(history(tid, "sla_breach")) == 1
