"""Settlement killed with SIGKILL mid-batch, then rerun: every claim settled exactly once (§6).

3,000 approved claims are written in bulk (tickets, claims, their reserve transactions
and postings, firm usage: books that verify). A subprocess settles them with
CHUNK = 50 and a pause inside each chunk's transaction, and is killed once a few
chunks have committed. The rerun in this process finishes the same batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text, update

from aftercare.claims.models import Claim, FirmPayment
from aftercare.db import utcnow
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import FirmUsage, LedgerAccount, LedgerTransaction, Posting
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.payouts.settlement import settle_for_date
from aftercare.tickets.models import Attachment, Ticket
from tests.integration.ledger_support import assert_books_ok, balances, this_year

CLAIMS = 3000
FIRMS = 20
SHARE = 1_000_000
SUB_CHUNK = 50
ROOT = Path(__file__).resolve().parents[2]

SETTLE_SCRIPT = """
import os, sys, time
from datetime import date
from aftercare import create_app
from aftercare.payouts import settlement

settlement.CHUNK = int(os.environ["SETTLE_CHUNK"])
real_chunk = settlement._settle_chunk

def slow_chunk(*args, **kwargs):
    real_chunk(*args, **kwargs)
    time.sleep(float(os.environ["CHUNK_PAUSE"]))  # inside the chunk's open transaction

settlement._settle_chunk = slow_chunk
app = create_app()
with app.app_context():
    settlement.settle_for_date(date.fromisoformat(os.environ["SETTLE_DATE"]))
print("finished", flush=True)
"""


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _move_sequences(*models) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT MAX(id) FROM "{table}"))'
            )
        )


def _confirmed_firm_payments(first_claim: int, first_ticket: int, user_id: int, now) -> None:
    """Each claim's firm share paid and confirmed (settlement pays only those), with a
    proof row each; the claims have no cost lines, so there is nothing to review."""
    attachment_id = _next_id(Attachment)
    db.session.execute(
        Attachment.__table__.insert(),
        [
            {
                "id": attachment_id + n,
                "ticket_id": first_ticket + n,
                "uploaded_by_id": user_id,
                "original_name": "이체확인증.pdf",
                "stored_name": f"{n:032x}.pdf",
                "content_type": "application/pdf",
                "size": 4,
                "sha256": "0" * 64,
                "kind": "firm_payment",
                "created_at": now,
            }
            for n in range(CLAIMS)
        ],
    )
    db.session.execute(
        FirmPayment.__table__.insert(),
        [
            {
                "claim_id": first_claim + n,
                "amount": SHARE,
                "method": "transfer",
                "paid_on": seoul_today(),
                "attachment_id": attachment_id + n,
                "recorded_by_id": user_id,
                "recorded_at": now,
                "confirmed_by_id": user_id,
                "confirmed_at": now,
            }
            for n in range(CLAIMS)
        ],
    )


def _bulk_approved_claims(fy_id: int, firm_ids: list[int], author_id: int) -> None:
    """CLAIMS approved claims of SHARE each, with reserve transactions that balance."""
    now = utcnow()
    approved_at = now - timedelta(minutes=5)
    accounts = dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.id).where(
                LedgerAccount.fiscal_year_id == fy_id
            )
        ).all()
    )
    ticket_id, claim_id, txn_id = _next_id(Ticket), _next_id(Claim), _next_id(LedgerTransaction)
    tickets, claims, txns, postings = [], [], [], []
    per_firm: dict[int, int] = defaultdict(int)
    for n in range(CLAIMS):
        firm_id = firm_ids[n % len(firm_ids)]
        per_firm[firm_id] += SHARE
        tickets.append(
            {
                "id": ticket_id + n,
                "firm_id": firm_id,
                "created_by_id": author_id,
                "category": "breakdown",
                "severity": "normal",
                "title": f"일괄 {n}",
                "description": "",
                "system": "",
                "tags": [],
                "status": "confirmed",
                "support_type": "emergency",
                "meister_id": None,
                "created_at": now,
                "updated_at": now,
                "triaged_at": now,
                "triage_due_at": now,
                "resolution_due_at": None,
                "resolved_at": now,
                "confirmed_at": now,
                "closed_at": None,
                "project_started_on": seoul_today(),
                "project_deadline": None,
                "deadline_extended": False,
                "sla_breached": False,
                "project_overdue": False,
                "override_reason": "",
                "resolution_summary": "",
                "rating": 5,
                "rating_comment": "",
                "search_text": f"일괄 {n}",
            }
        )
        claims.append(
            {
                "id": claim_id + n,
                "ticket_id": ticket_id + n,
                "firm_id": firm_id,
                "support_type": "emergency",
                "status": "approved",
                "fiscal_year_id": fy_id,
                "eligible_total": 2 * SHARE,
                "ineligible_total": 0,
                "computed_share": SHARE,
                "government_share": SHARE,
                "firm_share": SHARE,
                "limited_by": "none",
                "created_at": now,
                "decided_at": approved_at,
                "decided_by_id": author_id,
                "approved_at": approved_at,
                "settled_at": None,
                "batch_id": None,
                "reason": "",
            }
        )
        txns.append(
            {
                "id": txn_id + n,
                "fiscal_year_id": fy_id,
                "type": "reserve",
                "idempotency_key": f"reserve:claim:{claim_id + n}",
                "amount": SHARE,
                "claim_id": claim_id + n,
                "firm_id": firm_id,
                "support_type": "emergency",
                "batch_id": None,
                "reason": "",
                "actor_id": author_id,
                "created_at": approved_at,
            }
        )
        postings.append(
            {
                "transaction_id": txn_id + n,
                "account_id": accounts["pool_available"],
                "amount": -SHARE,
            }
        )
        postings.append(
            {"transaction_id": txn_id + n, "account_id": accounts["pool_reserved"], "amount": SHARE}
        )
    db.session.execute(Ticket.__table__.insert(), tickets)
    db.session.execute(Claim.__table__.insert(), claims)
    db.session.execute(LedgerTransaction.__table__.insert(), txns)
    db.session.execute(Posting.__table__.insert(), postings)
    _confirmed_firm_payments(claim_id, ticket_id, author_id, now)
    total = CLAIMS * SHARE
    for name, delta in (("pool_available", -total), ("pool_reserved", total)):
        db.session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == accounts[name])
            .values(balance=LedgerAccount.balance + delta)
        )
    db.session.execute(
        FirmUsage.__table__.insert(),
        [
            {
                "fiscal_year_id": fy_id,
                "firm_id": firm_id,
                "support_type": "emergency",
                "reserved": reserved,
                "paid": 0,
            }
            for firm_id, reserved in per_firm.items()
        ],
    )
    _move_sequences(Ticket, Claim, LedgerTransaction, Attachment)
    db.session.commit()


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _settle_in_subprocess_and_kill(url: str, day, tmp_path: Path) -> int:
    """Start the slow settlement, SIGKILL it after ≥3 chunks committed; settled lines then."""
    env = os.environ | {
        "AFTERCARE_ENV": "testing",
        "DATABASE_URL": url,
        "UPLOAD_DIR": str(tmp_path / "sub-uploads"),
        "SETTLE_CHUNK": str(SUB_CHUNK),
        "CHUNK_PAUSE": "0.1",
        "SETTLE_DATE": day.isoformat(),
    }
    watcher = create_engine(url)
    process = subprocess.Popen(
        [sys.executable, "-c", SETTLE_SCRIPT],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        settled = 0
        while settled < 3 * SUB_CHUNK:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the settlement never committed a chunk"
            time.sleep(0.02)
            settled = _count(watcher, "SELECT COUNT(*) FROM payout_line WHERE status = 'settled'")
        assert process.poll() is None, "the settlement finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    settled = _count(watcher, "SELECT COUNT(*) FROM payout_line WHERE status = 'settled'")
    watcher.dispose()
    return settled


def test_settlement_killed_mid_batch_then_rerun_settles_every_claim_once(
    app, database_url, make, runner, tmp_path
):
    fiscal_year = make.fiscal_year(
        year=this_year(),
        budget=10_000_000_000,
        cap_emergency=1_000_000_000,
        cap_growth=1_000_000_000,
    )
    fy_id = fiscal_year.id
    author_id = make.user("manager").id
    firm_ids = [make.firm().id for _ in range(FIRMS)]
    _bulk_approved_claims(fy_id, firm_ids, author_id)
    assert_books_ok()
    day = seoul_today()
    db.session.remove()

    settled_at_kill = _settle_in_subprocess_and_kill(database_url, day, tmp_path)

    # killed mid-way: whole chunks only, and the books already agree with themselves
    assert 0 < settled_at_kill < CLAIMS
    assert settled_at_kill % SUB_CHUNK == 0
    batch = db.session.scalar(select(PayoutBatch).where(PayoutBatch.batch_date == day))
    assert batch.status == "open"
    assert batch.claims_settled == settled_at_kill
    assert db.session.scalar(select(func.count(PayoutLine.id))) == CLAIMS
    assert (
        db.session.scalar(select(func.count(Claim.id)).where(Claim.status == "settled"))
        == settled_at_kill
    )
    assert_books_ok()

    rerun = settle_for_date(day)
    assert rerun.id == batch.id
    assert rerun.status == "complete"
    assert (rerun.claims_settled, rerun.amount) == (CLAIMS, CLAIMS * SHARE)
    again = settle_for_date(day)  # a third run changes nothing
    assert (again.id, again.claims_settled, again.amount) == (batch.id, CLAIMS, CLAIMS * SHARE)

    db.session.rollback()
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.status != "settled")) == 0
    assert set(db.session.scalars(select(PayoutLine.status).distinct())) == {"settled"}
    per_claim = db.session.execute(
        select(func.count(LedgerTransaction.id))
        .where(LedgerTransaction.type == "settle")
        .group_by(LedgerTransaction.claim_id)
    ).scalars()
    assert sorted(set(per_claim)) == [1]
    assert (
        db.session.scalar(
            select(func.count(LedgerTransaction.id)).where(LedgerTransaction.type == "settle")
        )
        == CLAIMS
    )
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.status != "closed")) == 0
    pools = balances(fy_id)
    assert (pools["pool_reserved"], pools["paid_out"]) == (0, CLAIMS * SHARE)
    usage = db.session.execute(select(FirmUsage.reserved, FirmUsage.paid)).all()
    assert {row.reserved for row in usage} == {0}
    assert sum(row.paid for row in usage) == CLAIMS * SHARE
    assert_books_ok()
    db.session.remove()

    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "Ledger ok" in result.output
