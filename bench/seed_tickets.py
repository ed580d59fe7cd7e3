"""Bulk demo and benchmark data: firms, Meisters, tickets in every status, claims and ledger.

Rows are written with bulk INSERTs in chunks (no per-row services), so 100,000 tickets
load in well under a minute. The money is consistent: each settled claim gets its
reserve and settle transactions, firm usage stays within the caps, the pool never goes
below zero, and `flask ledger verify` passes afterwards. Bulk rows write no audit events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from werkzeug.security import generate_password_hash

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.cli.demo_seed import DEMO_DOMAIN
from aftercare.core.transactions import refresh_statistics
from aftercare.domain import sla
from aftercare.domain.money import DEFAULT_ELIGIBLE, cost_share
from aftercare.domain.registration import check_digit
from aftercare.domain.states import support_type_for
from aftercare.domain.time import seoul_midnight_utc, to_seoul
from aftercare.domain.vocab import REGIONS, SPECIALTIES
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount, LedgerTransaction, Posting
from aftercare.ledger.queries import current_fiscal_year
from aftercare.meisters.models import CostLine, MeisterProfile, Visit
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.tickets.models import Ticket, TicketHistory

CHUNK = 5000
STATUS_WEIGHTS = {
    "submitted": 8,
    "triaged": 6,
    "assigned": 6,
    "in_progress": 12,
    "resolved": 6,
    "confirmed": 10,
    "closed": 44,
    "rejected": 4,
    "cancelled": 4,
}
CATEGORY_WEIGHTS = {"breakdown": 40, "defect": 30, "upgrade": 15, "component_replacement": 15}
SEVERITY_WEIGHTS = {"critical": 10, "high": 25, "normal": 45, "low": 20}
TITLES = [
    ("PLC 통신 두절로 라인 정지", "plc"),
    ("MES 작업지시 누락", "mes"),
    ("ERP 재고 연동 오류", "erp"),
    ("SCADA 화면 갱신 지연", "scada"),
    ("비전 검사기 오판정 증가", "vision"),
    ("협동로봇 비상정지 반복", "robot"),
    ("온도 센서 값 튐", "sensor"),
    ("공장 내 무선망 끊김", "network"),
    ("생산 DB 용량 부족", "database"),
    ("CNC 스핀들 알람", "cnc"),
    ("바코드 리더 인식 불량", "sensor"),
    ("설비 가동률 대시보드 오류", "mes"),
]
CLAIM_DEFAULTS = {
    "computed_share": None,
    "government_share": None,
    "firm_share": None,
    "limited_by": None,
    "decided_at": None,
    "decided_by_id": None,
    "approved_at": None,
    "settled_at": None,
    "batch_id": None,
}  # every bulk row carries every column: executemany needs one shape
WITH_MEISTER = {"assigned", "in_progress", "resolved", "confirmed", "closed"}
WITH_VISIT = {"resolved", "confirmed", "closed"}

FILER_EMAIL = f"manager2@{DEMO_DOMAIN}"


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _bulk(model, rows: list[dict]) -> None:
    """Core executemany in chunks (the ORM's bulk path is slower for plain rows)."""
    for start in range(0, len(rows), CHUNK):
        db.session.execute(model.__table__.insert(), rows[start : start + CHUNK])


def _fix_sequences(*models) -> None:
    """Explicit ids do not move PostgreSQL sequences; move them past the highest id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )
        )


def bulk_firms(count: int, rng: random.Random) -> list[int]:
    """`count` more firms with valid registration numbers; returns all firm ids."""
    start = _next_id(Firm)
    rows = []
    for n in range(start, start + count):
        first_nine = f"{(n * 7919 + 100_000_000) % 10**9:09d}"
        rows.append(
            {
                "id": n,
                "name": f"데모제조 {n:05d}",
                "size": rng.choice(["micro", "small", "small"]),
                "registration_number": first_nine + str(check_digit(first_nine)),
                "region": rng.choice(REGIONS),
                "industry": "제조",
                "built_year": rng.randint(2015, 2020),
                "policy_fund_year": rng.choice([None, 2018, 2019, 2020]),
                "contact_name": "",
                "contact_phone": "",
                "contact_email": "",
                "created_at": datetime(2021, 1, 1),
            }
        )
    _bulk(Firm, rows)
    _fix_sequences(Firm)
    return list(db.session.scalars(select(Firm.id)))


def bulk_meisters(count: int, rng: random.Random, password: str) -> list[int]:
    """`count` more Meister users with profiles; returns all Meister user ids."""
    start = _next_id(User)
    password_hash = generate_password_hash(password)  # one hash shared by the bulk users
    users, profiles = [], []
    for n in range(start, start + count):
        users.append(
            {
                "id": n,
                "email": f"meister{n}@bench.aftercare.kr",
                "name": f"마이스터 {n}",
                "password_hash": password_hash,
                "role": "meister",
                "active": True,
                "language": "ko",
                "created_at": datetime(2021, 1, 1),
            }
        )
        profiles.append(
            {
                "user_id": n,
                "specialties": rng.sample(SPECIALTIES, 3),
                "regions": rng.sample(REGIONS, 3),
                "max_load": rng.choice([5, 8, 10]),
                "active": True,
            }
        )
    _bulk(User, users)
    _bulk(MeisterProfile, profiles)
    _fix_sequences(User, MeisterProfile)
    return list(db.session.scalars(select(MeisterProfile.user_id)))


def seed_tickets(
    count: int,
    echo: Callable[[str], None] = print,
    firms: int = 0,
    meisters: int = 0,
    seed: int = 2021,
    now: datetime | None = None,
    status_weights: dict[str, int] | None = None,
) -> int:
    """Add tickets until there are `count`; returns how many were added."""
    rng = random.Random(seed)
    existing = db.session.scalar(select(func.count(Ticket.id)))
    if existing >= count:
        echo(f"Tickets: {existing:,} already present, nothing to add.")
        return 0
    if firms:
        echo(f"Adding {firms:,} firms…")
        bulk_firms(firms, rng)
    if meisters:
        echo(f"Adding {meisters:,} Meisters…")
        bulk_meisters(meisters, rng, "bench-password-2021")
    firm_rows = db.session.execute(select(Firm.id, Firm.region)).all()
    meister_ids = list(db.session.scalars(select(MeisterProfile.user_id)))
    # Filed by the demo's second manager, not by manager@, who approves in bench/run.py:
    # the manager who filed a ticket may not approve its claim (SPEC §11).
    creator = db.session.scalar(
        select(User.id).where(User.email == FILER_EMAIL)
    ) or db.session.scalar(select(User.id).where(User.role == "manager").order_by(User.id).limit(1))
    fiscal_year = current_fiscal_year()
    if not firm_rows or not meister_ids or creator is None or fiscal_year is None:
        raise RuntimeError("seed firms, Meisters, a manager and this year's fiscal year first")
    now = now or datetime.now(UTC).replace(tzinfo=None)
    year_start = seoul_midnight_utc(to_seoul(now).date().replace(month=1, day=1))
    span = max(int((now - year_start).total_seconds()) - 86_400 * 12, 3600)
    to_add = count - existing
    plan = _plan_tickets(
        to_add,
        rng,
        firm_rows,
        meister_ids,
        creator,
        year_start,
        span,
        now,
        status_weights or STATUS_WEIGHTS,
    )
    echo(f"Writing {to_add:,} tickets…")
    _write_tickets(plan, echo)
    echo("Writing claims and ledger…")
    settled = _write_claims(plan, fiscal_year, rng)
    db.session.commit()
    refresh_statistics()
    echo(f"Tickets done: {to_add:,} added, {settled:,} claims settled.")
    return to_add


OPEN = {"submitted", "triaged", "assigned", "in_progress"}


def _breached(status, created, triaged, severity, now) -> bool:
    """Flag what the SLA job would flag, so its first run over bulk data has little to do."""
    if status == "submitted":
        return sla.triage_due_at(created, severity) < now
    if status in OPEN and triaged is not None:
        return sla.resolution_due_at(triaged, severity) < now
    return False


def _plan_tickets(
    to_add, rng, firm_rows, meister_ids, creator, year_start, span, now, weights
) -> list[dict]:
    ticket_id = _next_id(Ticket)
    plan = []
    for n in range(to_add):
        status = _weighted(rng, weights)
        category = _weighted(rng, CATEGORY_WEIGHTS)
        severity = _weighted(rng, SEVERITY_WEIGHTS)
        firm_id, _region = rng.choice(firm_rows)
        title, tag = rng.choice(TITLES)
        created = year_start + timedelta(seconds=span * n // max(to_add, 1) + rng.randint(0, 600))
        triaged = (
            created + timedelta(hours=rng.randint(2, 30))
            if status not in ("submitted", "rejected")
            else None
        )
        resolved = created + timedelta(days=rng.randint(2, 9)) if status in WITH_VISIT else None
        if status == "resolved":  # still waiting for the firm: resolved within the last days
            resolved = max(created + timedelta(hours=6), now - timedelta(days=rng.randint(0, 5)))
        confirmed = (
            resolved + timedelta(days=rng.randint(0, 3))
            if status in ("confirmed", "closed")
            else None
        )
        triaged_day = to_seoul(triaged).date() if triaged else None
        plan.append(
            {
                "id": ticket_id + n,
                "firm_id": firm_id,
                "created_by_id": creator,
                "category": category,
                "severity": severity,
                "title": title,
                "description": f"{title} — 데모 데이터 {n}",
                "system": f"{tag.upper()}-{rng.randint(1, 9)}",
                "tags": [tag],
                "status": status,
                "support_type": support_type_for(category),
                "meister_id": rng.choice(meister_ids) if status in WITH_MEISTER else None,
                "created_at": created,
                "updated_at": confirmed or resolved or triaged or created,
                "triaged_at": triaged,
                "triage_due_at": sla.triage_due_at(created, severity),
                "resolution_due_at": sla.resolution_due_at(triaged, severity) if triaged else None,
                "resolved_at": resolved,
                "confirmed_at": confirmed,
                "closed_at": confirmed + timedelta(days=1) if status == "closed" else None,
                "project_started_on": triaged_day,
                "project_deadline": sla.add_months(triaged_day, 6) if triaged_day else None,
                "deadline_extended": False,
                "sla_breached": _breached(status, created, triaged, severity, now),
                "project_overdue": status in OPEN
                and triaged_day is not None
                and sla.add_months(triaged_day, 6) < to_seoul(now).date(),
                "override_reason": "",
                "resolution_summary": "조치 완료" if resolved else "",
                "rating": rng.randint(3, 5) if status in ("confirmed", "closed") else None,
                "rating_comment": "",
                "search_text": f"{title} {title} — 데모 데이터 {n} {tag}-{n % 9} {tag}".lower(),
            }
        )
    return plan


def _write_tickets(plan: list[dict], echo: Callable[[str], None]) -> None:
    visit_id, line_id = _next_id(Visit), _next_id(CostLine)
    history, visits, lines = [], [], []
    rng = random.Random(len(plan))
    for row in plan:
        history.append(
            {
                "ticket_id": row["id"],
                "actor_id": row["created_by_id"],
                "action": "file",
                "from_status": None,
                "to_status": "submitted",
                "reason": "",
                "details": {},
                "created_at": row["created_at"],
            }
        )
        if row["status"] != "submitted":
            history.append(
                {
                    "ticket_id": row["id"],
                    "actor_id": None,
                    "action": "seed",
                    "from_status": "submitted",
                    "to_status": row["status"],
                    "reason": "",
                    "details": {"bulk": True},
                    "created_at": row["updated_at"],
                }
            )
        if row["status"] in WITH_VISIT:
            visits.append(
                {
                    "id": visit_id,
                    "ticket_id": row["id"],
                    "meister_id": row["meister_id"],
                    "visited_on": to_seoul(row["resolved_at"]).date(),
                    "hours": 3,
                    "notes": "점검 및 조치",
                    "created_at": row["resolved_at"],
                }
            )
            for kind, qty, price in (
                ("labour", rng.randint(1, 4), 300_000),
                ("parts", 1, rng.randint(1, 60) * 25_000),
                ("travel", 1, 60_000),
            ):
                lines.append(
                    {
                        "id": line_id,
                        "visit_id": visit_id,
                        "ticket_id": row["id"],
                        "kind": kind,
                        "description": kind,
                        "quantity": qty,
                        "unit_price": price,
                        "amount": qty * price,
                        "eligible": DEFAULT_ELIGIBLE[kind],
                    }
                )
                line_id += 1
            visit_id += 1
    for start in range(0, len(plan), CHUNK):
        db.session.execute(Ticket.__table__.insert(), plan[start : start + CHUNK])
        if start and start % (CHUNK * 4) == 0:
            echo(f"  {start:,}/{len(plan):,} tickets")
    _bulk(TicketHistory, history)
    _bulk(Visit, visits)
    _bulk(CostLine, lines)
    _fix_sequences(Ticket, Visit, CostLine)


def _write_claims(plan: list[dict], fiscal_year: FiscalYear, rng: random.Random) -> int:
    """Pending claims for confirmed tickets; settled (or refused) claims for closed ones."""
    eligible_by_ticket: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    ticket_ids = [r["id"] for r in plan if r["status"] in ("confirmed", "closed")]
    for start in range(0, len(ticket_ids), CHUNK):
        for tid, flag, amount in db.session.execute(
            select(CostLine.ticket_id, CostLine.eligible, CostLine.amount).where(
                CostLine.ticket_id.in_(ticket_ids[start : start + CHUNK])
            )
        ):
            eligible_by_ticket[tid][0 if flag else 1] += amount
    accounts = dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.id).where(
                LedgerAccount.fiscal_year_id == fiscal_year.id
            )
        ).all()
    )
    pool = db.session.scalar(
        select(LedgerAccount.balance).where(LedgerAccount.id == accounts["pool_available"])
    )
    used: dict[tuple[int, str], int] = defaultdict(int)
    for firm_id, kind, reserved, paid in db.session.execute(
        select(FirmUsage.firm_id, FirmUsage.support_type, FirmUsage.reserved, FirmUsage.paid).where(
            FirmUsage.fiscal_year_id == fiscal_year.id
        )
    ):
        used[(firm_id, kind)] = reserved + paid
    claim_id, txn_id = _next_id(Claim), _next_id(LedgerTransaction)
    claims, txns, postings, payout_lines = [], [], [], []
    batches: dict = {}
    batch_id = _next_id(PayoutBatch)
    paid_total = 0
    paid_by: dict[tuple[int, str], int] = defaultdict(int)
    for row in plan:
        if row["status"] not in ("confirmed", "closed"):
            continue
        eligible, ineligible = eligible_by_ticket[row["id"]]
        claim = CLAIM_DEFAULTS | {
            "id": claim_id,
            "ticket_id": row["id"],
            "firm_id": row["firm_id"],
            "support_type": row["support_type"],
            "eligible_total": eligible,
            "ineligible_total": ineligible,
            "created_at": row["confirmed_at"],
            "reason": "",
            "status": "pending",
            "fiscal_year_id": None,
        }
        claim_id += 1
        claims.append(claim)
        if row["status"] != "closed":
            continue
        key = (row["firm_id"], row["support_type"])
        rule = fiscal_year.type_of(row["support_type"])
        share = cost_share(
            eligible,
            rule.share_rate_bp,
            rule.rounding_unit,
            rule.cap - used[key],
            pool,
        )
        decided = row["confirmed_at"] + timedelta(hours=rng.randint(1, 20))
        claim.update(
            fiscal_year_id=fiscal_year.id, decided_at=decided, computed_share=share.computed_share
        )
        if share.government_share == 0:
            claim.update(status="rejected", reason="지원 한도 소진 (데모)")
            continue
        amount = share.government_share
        settled_at = decided + timedelta(days=1)
        day = to_seoul(settled_at).date()
        if day not in batches:
            batches[day] = {
                "id": batch_id,
                "batch_date": day,
                "cutoff_at": seoul_midnight_utc(day + timedelta(days=1)),
                "status": "complete",
                "claims_settled": 0,
                "amount": 0,
                "created_at": settled_at,
                "completed_at": settled_at,
            }
            batch_id += 1
        batch = batches[day]
        batch["claims_settled"] += 1
        batch["amount"] += amount
        claim.update(
            status="settled",
            government_share=amount,
            firm_share=share.firm_share,
            limited_by=share.limited_by,
            approved_at=decided,
            settled_at=settled_at,
            batch_id=batch["id"],
        )
        used[key] += amount
        paid_by[key] += amount
        pool -= amount
        paid_total += amount
        payout_lines.append(
            {
                "batch_id": batch["id"],
                "claim_id": claim["id"],
                "firm_id": row["firm_id"],
                "amount": amount,
                "status": "settled",
            }
        )
        for kind, when, debit, credit in (
            ("reserve", decided, "pool_available", "pool_reserved"),
            ("settle", settled_at, "pool_reserved", "paid_out"),
        ):
            txns.append(
                {
                    "id": txn_id,
                    "fiscal_year_id": fiscal_year.id,
                    "type": kind,
                    "idempotency_key": f"{kind}:claim:{claim['id']}",
                    "amount": amount,
                    "claim_id": claim["id"],
                    "firm_id": row["firm_id"],
                    "support_type": row["support_type"],
                    "batch_id": batch["id"] if kind == "settle" else None,
                    "reason": "",
                    "actor_id": None,
                    "created_at": when,
                }
            )
            postings.append(
                {"transaction_id": txn_id, "account_id": accounts[debit], "amount": -amount}
            )
            postings.append(
                {"transaction_id": txn_id, "account_id": accounts[credit], "amount": amount}
            )
            txn_id += 1
    _bulk(PayoutBatch, list(batches.values()))
    _bulk(Claim, claims)
    _bulk(PayoutLine, payout_lines)
    _bulk(LedgerTransaction, txns)
    _bulk(Posting, postings)
    db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == accounts["pool_available"])
        .values(balance=LedgerAccount.balance - paid_total)
    )
    db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == accounts["paid_out"])
        .values(balance=LedgerAccount.balance + paid_total)
    )
    _add_usage(fiscal_year.id, paid_by)
    _fix_sequences(Claim, PayoutBatch, PayoutLine, LedgerTransaction, Posting)
    return len(payout_lines)


def _add_usage(fiscal_year_id: int, paid_by: dict[tuple[int, str], int]) -> None:
    existing = {
        (u.firm_id, u.support_type): u.id
        for u in db.session.scalars(
            select(FirmUsage).where(FirmUsage.fiscal_year_id == fiscal_year_id)
        )
    }
    new_rows = []
    for (firm_id, kind), amount in paid_by.items():
        if (firm_id, kind) in existing:
            db.session.execute(
                update(FirmUsage)
                .where(FirmUsage.id == existing[(firm_id, kind)])
                .values(paid=FirmUsage.paid + amount)
            )
        else:
            new_rows.append(
                {
                    "fiscal_year_id": fiscal_year_id,
                    "firm_id": firm_id,
                    "support_type": kind,
                    "reserved": 0,
                    "paid": amount,
                }
            )
    _bulk(FirmUsage, new_rows)
