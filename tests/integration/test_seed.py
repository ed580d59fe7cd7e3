"""`flask seed-demo`: every role can sign in, a programme year of work obeys the rules,
and a second run adds nothing."""

import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from aftercare.assets.models import Asset
from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.claims.models import Claim, FirmPayment
from aftercare.domain.states import Status
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.models import CostLine, MeisterProfile, Visit
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.tickets import storage
from aftercare.tickets.models import Attachment, Ticket, TicketHistory

ROOT = Path(__file__).resolve().parents[2]
COUNTED = (User, Firm, MeisterProfile, Asset, Ticket, TicketHistory, Visit, CostLine, Claim,
           FirmPayment, Attachment, PayoutBatch, PayoutLine, AuditEvent)  # fmt: skip


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def _by_status(model) -> dict[str, int]:
    return dict(db.session.execute(select(model.status, func.count()).group_by(model.status)).all())


def test_seed_demo_plays_a_programme_year_and_a_second_run_adds_nothing(app: Flask):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    last_line = first.output.strip().splitlines()[-1]
    assert last_line.startswith("Seed done:")
    assert "300 tickets" in last_line
    assert "  300/300 tickets" in first.output  # progress while it works
    after_first = _counts()
    assert set(db.session.scalars(select(User.role))) == {
        "admin", "manager", "auditor", "firm", "meister"
    }  # fmt: skip
    assert after_first["Asset"] == 3
    assert after_first["Firm"] == 60
    assert after_first["MeisterProfile"] == 8
    assert after_first["Ticket"] == 300

    tickets = _by_status(Ticket)
    assert set(tickets) == {status.value for status in Status}, tickets
    assert all(count >= 5 for count in tickets.values()), tickets
    claims = _by_status(Claim)
    for status in ("pending", "awaiting_second_approval", "approved", "settled", "voided",
                   "rejected"):  # fmt: skip
        assert claims.get(status, 0) >= 3, claims
    batch = db.session.scalars(select(PayoutBatch)).one()
    assert batch.status == "complete"
    assert batch.claims_settled == claims["settled"]
    assert batch.amount > 0

    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert second.output.strip().splitlines()[-1].startswith("Seed done:")
    db.session.expire_all()
    assert _counts() == after_first


def test_seeded_work_obeys_the_evidence_and_four_eyes_rules(app: Flask):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    # Every settled claim: each eligible line reviewed, the firm's share confirmed by
    # someone other than its recorder (docs/evidence.md §4, §5).
    settled = db.session.scalars(select(Claim).where(Claim.status == "settled")).all()
    for claim in settled:
        payment = db.session.scalar(select(FirmPayment).where(FirmPayment.claim_id == claim.id))
        assert payment.confirmed_by_id not in (None, payment.recorded_by_id)
        unreviewed = db.session.scalar(
            select(func.count()).where(
                CostLine.ticket_id == claim.ticket_id,
                CostLine.eligible.is_(True),
                CostLine.review_status == "pending",
            )
        )
        assert unreviewed == 0
    # Four eyes: a share from the year's threshold had two different managers.
    big = [c for c in settled if c.government_share >= c.fiscal_year.second_approval_from]
    assert big, "some paid claims needed a second manager"
    assert all(c.second_approved_by_id not in (None, c.first_approved_by_id) for c in big)
    # The evidence files the claim pages link to are real files in the upload directory.
    for attachment in db.session.scalars(select(Attachment).limit(20)):
        data = storage.path_for(attachment.stored_name).read_bytes()
        assert data[:5] in (b"%PDF-", b"\x89PNG\r")
        assert len(data) == attachment.size
    # Work happened over the past months, each step after the one before.
    first_filed = db.session.scalar(select(func.min(Ticket.created_at)))
    last_filed = db.session.scalar(select(func.max(Ticket.created_at)))
    assert (last_filed - first_filed).days >= 90
    for ticket in db.session.scalars(select(Ticket).where(Ticket.status == "closed").limit(30)):
        assert ticket.created_at < ticket.triaged_at < ticket.resolved_at < ticket.confirmed_at
        visit_days = [v.visited_on for v in db.session.scalars(
            select(Visit).where(Visit.ticket_id == ticket.id))]  # fmt: skip
        assert all(ticket.created_at.date() <= day <= ticket.resolved_at.date() + timedelta(days=1)
                   for day in visit_days)  # fmt: skip


def test_seed_demo_refuses_to_run_in_production(app):
    """Its accounts have known passwords: a production database never gets them."""
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert result.output.startswith("운영 환경에서는")
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.slow
def test_first_start_seed_takes_under_15_seconds(tmp_path: Path):
    """What `make run` does on a fresh clone: migrate a new SQLite file, then time
    `flask seed-demo` as a separate process (interpreter start and imports included)."""
    env = os.environ | {
        "AFTERCARE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'aftercare.sqlite'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    cpu_before = _children_cpu()
    started = time.monotonic()
    seeded = subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, capture_output=True)
    elapsed = time.monotonic() - started
    assert seeded.returncode == 0, seeded.stderr.decode()
    assert b"Seed done:" in seeded.stdout
    # The seed's own time is its CPU time: under `make test` another worker shares the
    # two cores, so the wall clock also counts the neighbour's work. On an idle machine
    # (a first `make run`) the two agree within a second.
    cpu = _children_cpu() - cpu_before
    assert cpu < 15, f"seed-demo took {cpu:.1f} s of CPU ({elapsed:.1f} s on the clock)"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
