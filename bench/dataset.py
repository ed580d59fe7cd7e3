"""Benchmark data sets: a fresh database per (engine, size), built with the bulk seed."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, create_engine, func, make_url, select, text, update

ROOT = Path(__file__).resolve().parent.parent
# Other names let two data sets live side by side (e.g. settlement beside endpoints).
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH", ROOT / "bench" / "results" / "bench.sqlite"))
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_NAME = os.environ.get("BENCH_PG_NAME", "aftercare_bench")
# The audit chain's key of every bench process (servers, seeding in-process): not a secret.
AUDIT_KEY = "bench-audit-key-not-for-production-0123456789"
BENCH_BUDGET = 200_000_000_000  # enough room for approvals and 100,000 settlements
# The seed's mix, with more confirmed tickets: their pending claims are what the approvals
# bench approves (five windows at 400/s take 11,000), and fewer closed ones.
BENCH_STATUS_WEIGHTS = {
    "submitted": 8,
    "triaged": 6,
    "assigned": 6,
    "in_progress": 12,
    "resolved": 6,
    "confirmed": 20,
    "closed": 34,
    "rejected": 4,
    "cancelled": 4,
}


def _sqlite_path(name: str) -> Path:
    return SQLITE_PATH.with_stem(f"{SQLITE_PATH.stem}-{name}") if name else SQLITE_PATH


def _pg_name(name: str) -> str:
    return f"{PG_NAME}_{name}" if name else PG_NAME


def database_url(engine: str, name: str = "") -> str:
    """The bench database of `engine`; a `name` keeps one beside the others."""
    if engine == "sqlite":
        return f"sqlite:///{_sqlite_path(name)}"
    return make_url(PG_BASE).set(database=_pg_name(name)).render_as_string(hide_password=False)


def fresh_database(engine: str, name: str = "") -> str:
    """Drop and recreate the bench database (of that `name`); return its URL."""
    if engine == "sqlite":
        path = _sqlite_path(name)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_name(name)}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{_pg_name(name)}"'))
        admin.dispose()
    return database_url(engine, name)


def drop_database(engine: str, name: str = "") -> None:
    """Remove a bench database once measured (a 100,000-ticket one is a gigabyte)."""
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{_sqlite_path(name)}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_name(name)}" WITH (FORCE)'))
    admin.dispose()


def _app(url: str):
    os.environ["DATABASE_URL"] = url
    from aftercare import create_app
    from config import DevelopmentConfig

    DevelopmentConfig.SQLALCHEMY_DATABASE_URI = url
    DevelopmentConfig.AUDIT_KEY = AUDIT_KEY  # the same key as the servers: one verifiable chain
    return create_app(DevelopmentConfig)


def single_approvals(year: int) -> None:
    """Let one manager approve any claim of `year` (no four eyes, SPEC §11).

    The benchmark measures single approvals (bench/run.py approves with one manager) and
    settlement; the second approval is one more locked row update, measured nowhere here.
    Four eyes is tested in tests/integration/test_four_eyes.py.
    """
    from aftercare.extensions import db
    from aftercare.ledger.models import FiscalYear

    db.session.execute(
        update(FiscalYear).where(FiscalYear.year == year).values(second_approval_from=10**13)
    )
    db.session.commit()


def build(
    engine: str,
    tickets: int,
    firms: int = 20_000,
    meisters: int = 800,
    name: str = "",
    status_weights: dict[str, int] | None = None,
) -> dict:
    """Migrate a fresh database (of that `name`) and load firms, Meisters, tickets, claims
    and ledger.

    The headroom is added to the pool before the claims are written: the 2021 pool of
    4.4 billion won pays about 6,000 claims, and the bench's closed tickets (34,000 of
    100,000) are to be settled on the ledger, not refused for an empty pool.
    """
    from flask_migrate import upgrade

    from aftercare.cli.demo_seed import seed_demo
    from aftercare.domain.time import seoul_today
    from aftercare.extensions import db
    from aftercare.ledger.services import add_budget
    from bench.seed_tickets import seed_tickets

    url = fresh_database(engine, name)
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        seed_demo(echo=lambda _m: None)
        from aftercare.auth.models import User

        manager = db.session.scalar(select(User).where(User.role == "manager"))
        add_budget(manager, seoul_today().year, BENCH_BUDGET, "benchmark headroom")
        single_approvals(seoul_today().year)
        seed_tickets(
            tickets,
            echo=print,
            firms=firms,
            meisters=meisters,
            status_weights=status_weights or BENCH_STATUS_WEIGHTS,
        )
        # Statistics, then the bulk load's writes flushed: measurements start in a steady
        # state, not beside a checkpoint of a gigabyte of WAL.
        if engine == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
                conn.execute(text("CHECKPOINT"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()
    return {"url": url, "seconds": round(time.perf_counter() - started, 1)}


def approve_all_pending(url: str, limit: int | None = None) -> int:
    """Approve pending claims in bulk (reserve transactions), for the settlement bench.

    Claims past their firm's cap are skipped; with `limit`, approval stops there.
    """
    from aftercare.claims.models import Claim
    from aftercare.domain.money import cost_share
    from aftercare.extensions import db
    from aftercare.ledger.models import FirmUsage, LedgerAccount, LedgerTransaction, Posting
    from aftercare.ledger.queries import current_fiscal_year

    app = _app(url)
    with app.app_context():
        year = current_fiscal_year()
        accounts = dict(
            db.session.execute(
                select(LedgerAccount.name, LedgerAccount.id).where(
                    LedgerAccount.fiscal_year_id == year.id
                )
            ).all()
        )
        pending = db.session.execute(
            select(
                Claim.id, Claim.firm_id, Claim.support_type, Claim.eligible_total, Claim.created_at
            )
            .where(Claim.status == "pending")
            .order_by(Claim.id)
        ).all()
        usage = {
            (u.firm_id, u.support_type): u
            for u in db.session.scalars(
                select(FirmUsage).where(FirmUsage.fiscal_year_id == year.id)
            )
        }
        next_txn = (db.session.scalar(select(func.max(LedgerTransaction.id))) or 0) + 1
        txns, postings, total, approved = [], [], 0, 0
        claim_updates: list[dict] = []
        reserved_by: dict[tuple[int, str], int] = {}
        for claim in pending:
            if limit is not None and approved >= limit:
                break
            key = (claim.firm_id, claim.support_type)
            row = usage.get(key)
            used = (row.reserved + row.paid if row else 0) + reserved_by.get(key, 0)
            rule = year.type_of(claim.support_type)
            share = cost_share(
                claim.eligible_total,
                rule.share_rate_bp,
                rule.rounding_unit,
                rule.cap - used,
                BENCH_BUDGET,
            )
            if share.government_share == 0:
                continue
            amount = share.government_share
            when = claim.created_at + timedelta(hours=1)
            claim_updates.append(
                {
                    "cid": claim.id,
                    "status": "approved",
                    "fiscal_year_id": year.id,
                    "computed_share": share.computed_share,
                    "government_share": amount,
                    "firm_share": share.firm_share,
                    "limited_by": share.limited_by,
                    "approved_at": when,
                    "decided_at": when,
                }
            )
            txns.append(
                {
                    "id": next_txn,
                    "fiscal_year_id": year.id,
                    "type": "reserve",
                    "idempotency_key": f"reserve:claim:{claim.id}",
                    "amount": amount,
                    "claim_id": claim.id,
                    "firm_id": claim.firm_id,
                    "support_type": claim.support_type,
                    "reason": "",
                    "created_at": when,
                }
            )
            postings += [
                {
                    "transaction_id": next_txn,
                    "account_id": accounts["pool_available"],
                    "amount": -amount,
                },
                {
                    "transaction_id": next_txn,
                    "account_id": accounts["pool_reserved"],
                    "amount": amount,
                },
            ]
            next_txn += 1
            total += amount
            approved += 1
            reserved_by[key] = reserved_by.get(key, 0) + amount
        if claim_updates:  # one executemany, not one UPDATE per claim
            table = Claim.__table__
            statement = (
                table.update()
                .where(table.c.id == bindparam("cid"))
                .values({name: bindparam(name) for name in claim_updates[0] if name != "cid"})
            )
            for start in range(0, len(claim_updates), 5000):
                db.session.execute(statement, claim_updates[start : start + 5000])
        for start in range(0, len(txns), 5000):
            db.session.execute(LedgerTransaction.__table__.insert(), txns[start : start + 5000])
        for start in range(0, len(postings), 5000):
            db.session.execute(Posting.__table__.insert(), postings[start : start + 5000])
        db.session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == accounts["pool_available"])
            .values(balance=LedgerAccount.balance - total)
        )
        db.session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == accounts["pool_reserved"])
            .values(balance=LedgerAccount.balance + total)
        )
        for (firm_id, kind), amount in reserved_by.items():
            if (firm_id, kind) in usage:
                db.session.execute(
                    update(FirmUsage)
                    .where(FirmUsage.id == usage[(firm_id, kind)].id)
                    .values(reserved=FirmUsage.reserved + amount)
                )
            else:
                db.session.add(
                    FirmUsage(
                        fiscal_year_id=year.id,
                        firm_id=firm_id,
                        support_type=kind,
                        reserved=amount,
                        paid=0,
                    )
                )
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('ledger_transaction', 'id'), "
                    "(SELECT MAX(id) FROM ledger_transaction))"
                )
            )
        db.session.commit()
        db.engine.dispose()
    return approved


# A small but real PDF: the evidence archive copies bytes from disk, as in production.
FILE_NAMES = {"evidence": "세금계산서.pdf", "firm_payment": "이체확인증.pdf"}
EVIDENCE_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 16_000 + b"\n%%EOF\n"  # a scan-sized 16 KB


def give_settlement_evidence(url: str, upload_dir: Path | None = None) -> int:
    """Make every approved claim payable, as its people would have (docs/evidence.md):
    its eligible lines verified by an auditor, one evidence file per claim and the
    firm's share paid with a proof file and confirmed. The files' bytes are written to
    `upload_dir` if given (settlement reads the rows only; the evidence archive reads
    the bytes). Returns the number of claims made payable."""
    import hashlib
    import secrets

    from aftercare.auth.models import User
    from aftercare.claims.models import Claim, FirmPayment
    from aftercare.db import utcnow
    from aftercare.extensions import db
    from aftercare.meisters.models import CostLine
    from aftercare.tickets.models import Attachment, Ticket

    if upload_dir:
        upload_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(EVIDENCE_PDF).hexdigest()
    app = _app(url)
    with app.app_context():
        auditor = db.session.scalar(select(User.id).where(User.role == "auditor").limit(1))
        claims = db.session.execute(
            select(
                Claim.id,
                Claim.ticket_id,
                Claim.firm_share,
                Claim.approved_at,
                Ticket.created_by_id,
            )
            .join(Ticket, Ticket.id == Claim.ticket_id)
            .where(Claim.status == "approved")
            .order_by(Claim.id)
        ).all()
        next_file = (db.session.scalar(select(func.max(Attachment.id))) or 0) + 1
        files, payments = [], []
        for n, claim in enumerate(claims, 1):
            for kind in ("evidence", "firm_payment"):
                stored = secrets.token_hex(16) + ".pdf"
                if upload_dir:  # where aftercare.tickets.storage keeps it
                    (upload_dir / stored[:2]).mkdir(exist_ok=True)
                    (upload_dir / stored[:2] / stored).write_bytes(EVIDENCE_PDF)
                files.append(
                    {
                        "id": next_file,
                        "ticket_id": claim.ticket_id,
                        "uploaded_by_id": claim.created_by_id,
                        "original_name": FILE_NAMES[kind],
                        "stored_name": stored,
                        "content_type": "application/pdf",
                        "size": len(EVIDENCE_PDF),
                        "sha256": digest,
                        "created_at": claim.approved_at,
                        "kind": kind,
                    }
                )
                next_file += 1
            payments.append(
                {
                    "claim_id": claim.id,
                    "amount": claim.firm_share or 0,
                    "method": "transfer",
                    "paid_on": claim.approved_at.date(),
                    "attachment_id": next_file - 1,
                    "recorded_by_id": claim.created_by_id,
                    "recorded_at": claim.approved_at,
                    "confirmed_by_id": auditor,
                    "confirmed_at": claim.approved_at + timedelta(days=1),
                }
            )
            if n % 5000 == 0:
                print(f"  evidence files: {n:,}/{len(claims):,}", flush=True)
        for start in range(0, len(files), 5000):
            db.session.execute(Attachment.__table__.insert(), files[start : start + 5000])
        for start in range(0, len(payments), 5000):
            db.session.execute(FirmPayment.__table__.insert(), payments[start : start + 5000])
        approved_tickets = select(Claim.ticket_id).where(Claim.status == "approved")
        db.session.execute(
            update(CostLine)
            .where(CostLine.eligible.is_(True), CostLine.ticket_id.in_(approved_tickets))
            .values(review_status="verified", reviewed_by_id=auditor, reviewed_at=utcnow())
        )
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('ticket_attachment', 'id'), "
                    "(SELECT MAX(id) FROM ticket_attachment))"
                )
            )
        db.session.commit()
        db.engine.dispose()
    return len(claims)
