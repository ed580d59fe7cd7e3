"""Jobs page (runs, lease, run now) and audit log pages (filters, verify, CSV export)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select, update

from aftercare.audit.checkpoints import write_checkpoint
from aftercare.audit.models import AuditEvent
from aftercare.audit.services import record_event
from aftercare.core.pagination import encode_cursor
from aftercare.extensions import db
from aftercare.jobs.models import JobRun
from aftercare.jobs.runner import acquire_lease, run_job
from tests.helpers import forge_audit


def page_text(client, path: str, **kw) -> str:
    response = client.get(path, **kw)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def read_stream(response) -> bytes:
    try:
        return response.get_data()
    finally:
        response.close()


@pytest.fixture
def manager(make):
    return make.user("manager", language="en")


@pytest.fixture
def as_manager(auth, manager):
    auth.login(manager)
    return manager


@pytest.fixture
def as_auditor(auth, make):
    auditor = make.user("auditor", language="en")
    auth.login(auditor)
    return auditor


# ---------------------------------------------------------------- jobs


@pytest.mark.parametrize("role", ["firm", "meister", "admin", "auditor"])
def test_jobs_pages_are_for_managers_only(client, auth, make, role):
    auth.login(make.user(role))
    assert client.get("/jobs").status_code == 403
    assert client.get("/jobs/sla/run").status_code == 403
    assert client.post("/jobs/sla/run").status_code == 403
    assert db.session.scalar(select(JobRun.id)) is None


def test_jobs_page_lists_a_run_made_by_run_job(client, as_manager):
    run_job("reconciliation", "2025-03-01", lambda: {"checks": 8, "breaches": 0}, holder="host:1")
    html = page_text(client, "/jobs")
    row = re.search(r'<tr data-run-id="\d+">(.*?)</tr>', html, re.S).group(1)
    assert "Reconciliation" in row
    assert "2025-03-01" in row
    assert "host:1" in row
    assert "checks 8 · breaches 0" in row  # in words, not key=value
    assert ">Done</span>" in row
    assert "text-bg-success" in row


def test_jobs_page_says_outcomes_and_counts_in_korean(client, auth, make):
    run_job(
        "settlement",
        "2025-03-02",
        lambda: {"batch_id": 3, "claims_settled": 2, "amount": 1_500_000},
        holder="h",
    )
    auth.login(make.user("manager", language="ko"))
    row = re.search(r'<tr data-run-id="\d+">(.*?)</tr>', page_text(client, "/jobs"), re.S).group(1)
    assert "배치 3 · 정산한 청구 2 · 금액 1,500,000원" in row
    assert ">완료</span>" in row
    assert "claims_settled" not in row


def test_jobs_page_filters_runs_by_job(client, as_manager):
    run_job("sla", "tick-sla", lambda: {}, holder="h")
    run_job("notifications", "tick-notes", lambda: {}, holder="h")
    html = page_text(client, "/jobs?job=sla")
    assert "tick-sla" in html
    assert "tick-notes" not in html
    assert "tick-notes" in page_text(client, "/jobs?job=bogus")  # unknown job: no filter


def test_jobs_page_paginates_runs(client, as_manager):
    for n in range(3):
        run_job("sla", f"tick-{n}", lambda: {}, holder="h")
    first = page_text(client, "/jobs?limit=2")
    assert re.findall(r"tick-(\d)", first) == ["2", "1"]
    older = re.search(r'href="([^"]+)">Older', first).group(1).replace("&amp;", "&")
    assert re.findall(r"tick-(\d)", page_text(client, older)) == ["0"]


def test_jobs_page_shows_the_scheduler_lease(client, as_manager):
    assert "No scheduler has taken the lease yet." in page_text(client, "/jobs")
    assert acquire_lease("box-7:4242:abc", 60)
    html = page_text(client, "/jobs")
    lease = html.split('id="lease"')[1].split("</section>")[0]
    assert "box-7:4242:abc" in lease
    assert "Running" in lease


def test_run_now_asks_first_then_records_a_manual_run(client, as_manager):
    confirm = page_text(client, "/jobs/reconciliation/run")
    assert 'action="/jobs/reconciliation/run"' in confirm
    assert db.session.scalar(select(JobRun.id)) is None  # asking changed nothing

    response = client.post("/jobs/reconciliation/run", follow_redirects=True)
    assert response.status_code == 200
    run = db.session.scalar(select(JobRun))
    assert run.job == "reconciliation"
    assert run.holder == f"manual:{as_manager.id}"
    assert run.tick.startswith("manual:")
    assert run.outcome == "ok"
    html = response.get_data(as_text=True)
    assert "finished: ok" in html
    assert f'data-run-id="{run.id}"' in html


@pytest.mark.parametrize("name", ["sla", "notifications", "settlement"])
def test_every_job_can_be_run_now(client, as_manager, name):
    assert client.post(f"/jobs/{name}/run").status_code == 302
    run = db.session.scalar(select(JobRun).where(JobRun.job == name))
    assert run.outcome == "ok"


def test_a_failing_job_flashes_the_error_and_is_recorded(client, as_manager, monkeypatch):
    def boom() -> dict:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("aftercare.jobs.sla.run_sla_job", boom)
    response = client.post("/jobs/sla/run", follow_redirects=True)
    assert response.status_code == 200
    assert "RuntimeError: disk on fire" in response.get_data(as_text=True)
    run = db.session.scalar(select(JobRun))
    assert (run.outcome, run.message) == ("error", "RuntimeError: disk on fire")


def test_unknown_job_is_404(client, as_manager):
    assert client.get("/jobs/nope/run").status_code == 404
    assert client.post("/jobs/nope/run").status_code == 404


# ---------------------------------------------------------------- audit log


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_audit_pages_are_forbidden_to_other_roles(client, auth, make, role):
    auth.login(make.user(role))
    assert client.get("/audit").status_code == 403
    assert client.post("/audit/verify").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_auditors_and_managers_read_and_verify_the_log(client, auth, make, role):
    auth.login(make.user(role))
    assert client.get("/audit").status_code == 200
    assert client.post("/audit/verify").status_code == 302
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    read_stream(response)


def _events(actor_id: int) -> dict[str, int]:
    ids = {
        "claim_approve": record_event(
            actor_id, "claim.approve", "claim", 7, before={"status": "pending"}
        ),
        "claim_void": record_event(actor_id, "claim.void", "claim", 8),
        "claimant": record_event(None, "claimant.odd", "claim", 7),
        "ticket": record_event(None, "ticket.triage", "ticket", 7, after={"x": 1}),
    }
    db.session.commit()
    return ids


def shown_ids(client, query: str) -> list[int]:
    html = page_text(client, f"/audit{query}")
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


def test_audit_list_filters_by_action_prefix_object_and_actor(client, as_auditor):
    ids = _events(as_auditor.id)
    assert shown_ids(client, "?action=claim.") == [ids["claim_void"], ids["claim_approve"]]
    assert shown_ids(client, "?action=claim") == [
        ids["claimant"],
        ids["claim_void"],
        ids["claim_approve"],
    ]
    assert shown_ids(client, "?action=claim.&object_id=7") == [ids["claim_approve"]]
    assert shown_ids(client, "?object_type=ticket") == [ids["ticket"]]
    assert shown_ids(client, f"?action=claim&actor_id={as_auditor.id}") == [
        ids["claim_void"],
        ids["claim_approve"],
    ]
    assert shown_ids(client, "?action=%25") == []  # % is a character, not a wildcard


def test_audit_list_filters_by_seoul_dates(client, as_auditor):
    ids = _events(as_auditor.id)
    # 14:59:59 UTC is 23:59:59 on 1 March in Seoul; 15:00 UTC is already 2 March.
    for key, when in (
        ("claim_approve", "2025-03-01 14:59:59"),
        ("claim_void", "2025-03-01 15:00:00"),
    ):
        forge_audit(  # events are append-only: the test moves their times past the triggers
            update(AuditEvent)
            .where(AuditEvent.id == ids[key])
            .values(created_at=datetime.fromisoformat(when))
        )
    assert shown_ids(client, "?date_from=2025-03-01&date_to=2025-03-01") == [ids["claim_approve"]]
    assert shown_ids(client, "?date_from=2025-03-02&date_to=2025-03-02") == [ids["claim_void"]]
    assert shown_ids(client, "?action=claim.&date_to=2025-03-02") == [
        ids["claim_void"],
        ids["claim_approve"],
    ]


def test_bad_filters_are_shown_as_errors_and_ignored(client, as_auditor):
    _events(as_auditor.id)
    html = page_text(client, "/audit?actor_id=abc&date_from=2025-13-01")
    assert html.count("is-invalid") == 2
    assert "Enter a whole number." in html
    assert len(re.findall(r'data-event-id="(\d+)"', html)) >= 4


def test_audit_rows_show_actor_action_object_and_the_changes(client, as_auditor):
    long_after = {"notes": "가" * 1000}
    before, after = {"status": "pending"}, {"status": "approved"}
    record_event(as_auditor.id, "claim.approve", "claim", 7, before=before, after=after)
    record_event(as_auditor.id, "claim.note", "claim", 7, after=long_after)
    db.session.commit()
    html = page_text(client, "/audit?action=claim.")
    assert as_auditor.name in html
    assert "Claim approved" in html
    assert '<code class="small text-muted">claim.approve</code>' in html
    assert '<a href="/claims/7" data-object-link>Claim #7</a>' in html
    assert re.search(r"Status:</span>\s*Pending approval → Approved", html)
    assert "…" in html
    assert "가" * 1000 not in html


def test_audit_list_paginates(client, as_auditor):
    for n in range(5):
        record_event(None, f"page.test{n}", "thing", n)
    db.session.commit()
    first = shown_ids(client, "?action=page.&limit=2")
    html = page_text(client, "/audit?action=page.&limit=2")
    older = re.search(r'href="([^"]+)">Older', html).group(1).replace("&amp;", "&")
    assert "action=page." in older
    second = [int(i) for i in re.findall(r'data-event-id="(\d+)"', page_text(client, older))]
    assert len(first) == 2
    assert second[0] < first[-1]


def test_verify_reports_an_intact_chain_then_the_tampered_event(client, as_auditor):
    _events(as_auditor.id)
    total = db.session.query(AuditEvent).count()
    html = client.post("/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert f"The audit chain is intact: {total} events checked." in html

    forge_audit("""UPDATE audit_event SET after = '{"x": 1}' WHERE id = 2""")
    html = client.post("/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert "The audit chain is broken at event #2" in html
    assert "alert-danger" in html


def test_verify_reports_a_tail_cut_off_below_a_checkpoint(client, as_auditor):
    _events(as_auditor.id)
    write_checkpoint()
    forge_audit("DELETE FROM audit_event WHERE id > 2")
    response = client.post("/audit/verify")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 of 1 checkpoints disagree with the chain" in html
    assert "The audit chain is intact" not in html  # what is left is whole; the file shows the cut


def test_verify_keeps_the_filters(client, as_auditor):
    response = client.post("/audit/verify?action=claim.&actor_id=x")
    assert response.headers["Location"] == "/audit?action=claim."


def test_audit_csv_export_has_a_bom_and_the_filtered_events(client, as_auditor):
    ids = _events(as_auditor.id)
    response = client.get("/audit/export.csv?action=claim.")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = read_stream(response)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [int(r["번호 (ID)"]) for r in rows] == [ids["claim_approve"], ids["claim_void"]]
    first = rows[0]
    assert first["작업 코드 (Action)"] == "claim.approve"
    assert first["작업 (Action label)"] == "Claim approved"
    assert first["수행자 이메일 (Actor e-mail)"] == as_auditor.email
    assert first["대상 유형 (Object type)"] == "claim"
    assert first["대상 번호 (Object ID)"] == "7"
    assert json.loads(first["변경 전 (Before)"]) == {"status": "pending"}
    assert first["변경 내용 (Changes)"] == "Status: Pending approval → —"
    assert first["시각 (When)"].endswith("+09:00")
    assert len(first["해시 (Hash)"]) == 64


def test_audit_csv_export_of_everything(client, as_auditor):
    _events(as_auditor.id)
    body = read_stream(client.get("/audit/export.csv"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) - 1 == db.session.query(AuditEvent).count()
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/jobs?cursor={encode_cursor(10**25)}", 302),
        ("/jobs?cursor=%%%", 302),
        (f"/audit?cursor={encode_cursor(10**25)}", 302),
        (f"/audit?object_id={HUGE}&actor_id=²&date_to=2025-02-30", 200),
        (f"/audit/export.csv?object_id={HUGE}&actor_id=²", 200),
    ],
)
def test_odd_addresses_are_answered_without_a_500(client, as_manager, path, status):
    response = client.get(path)
    assert response.status_code == status
    read_stream(response)
