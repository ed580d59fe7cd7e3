"""Reconciliation (SPEC §5): recompute balances from postings and check every invariant."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import and_, case, func, or_, select

from aftercare.claims.models import Claim
from aftercare.core.transactions import LEDGER_TABLES, refresh_statistics
from aftercare.domain.claim_states import RESERVED_CLAIM_STATUSES
from aftercare.extensions import db
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount, LedgerTransaction, Posting
from aftercare.notifications.services import manager_ids, notify
from aftercare.payouts.models import ReconciliationRun
from aftercare.recovery.models import RecoveryCase, RecoveryPayment

MAX_DETAIL_ITEMS = 10


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _ids(rows) -> str:
    values = [str(r) for r in rows]
    more = f" (+{len(values) - MAX_DETAIL_ITEMS} more)" if len(values) > MAX_DETAIL_ITEMS else ""
    return ", ".join(values[:MAX_DETAIL_ITEMS]) + more


def check_balanced_transactions() -> Check:
    bad = db.session.scalars(
        select(LedgerTransaction.id)
        .outerjoin(Posting, Posting.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id)
        .having(or_(func.coalesce(func.sum(Posting.amount), 0) != 0, func.count(Posting.id) < 2))
    ).all()
    return Check(
        "transactions_balanced",
        not bad,
        "every transaction has ≥2 postings summing to zero"
        if not bad
        else f"unbalanced transactions: {_ids(bad)}",
    )


def _posting_sums() -> dict[int, int]:
    return {
        account_id: int(total)
        for account_id, total in db.session.execute(
            select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)
        ).all()
    }


def check_account_balances(sums: dict[int, int]) -> Check:
    bad = [
        f"{a.id}:{a.name} cached {a.balance} ≠ postings {sums.get(a.id, 0)}"
        for a in db.session.scalars(select(LedgerAccount))
        if a.balance != sums.get(a.id, 0)
    ]
    return Check(
        "balances_match_postings",
        not bad,
        "cached balances equal the sums of postings" if not bad else _ids(bad),
    )


def check_never_negative() -> Check:
    """pool_available and pool_reserved were never below zero, posting by posting."""
    running = (
        select(
            Posting.account_id,
            func.sum(Posting.amount)
            .over(partition_by=Posting.account_id, order_by=Posting.id)
            .label("running"),
        )
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.name.in_(("pool_available", "pool_reserved", "paid_out")))
        .subquery()
    )
    bad = db.session.execute(
        select(running.c.account_id, func.min(running.c.running))
        .group_by(running.c.account_id)
        .having(func.min(running.c.running) < 0)
    ).all()
    return Check(
        "pools_never_negative",
        not bad,
        "pool_available, pool_reserved and paid_out never went below zero"
        if not bad
        else f"accounts below zero: {_ids(bad)}",
    )


def _claim_sums(*statuses: str) -> dict[int, int]:
    return {
        fy: int(total or 0)
        for fy, total in db.session.execute(
            select(Claim.fiscal_year_id, func.sum(Claim.government_share))
            .where(Claim.status.in_(statuses))
            .group_by(Claim.fiscal_year_id)
        ).all()
    }


def _signed_sum(amounts: dict[str, int]):
    """Σ amount × sign of the transaction types in `amounts` (type → +1 or −1)."""
    return func.coalesce(
        func.sum(
            case(
                *(
                    (LedgerTransaction.type == kind, LedgerTransaction.amount * sign)
                    for kind, sign in amounts.items()
                ),
                else_=0,
            )
        ),
        0,
    )


def _clawed_back_by_year() -> dict[int, int]:
    """Per fiscal year: clawed back less what revised decisions gave back."""
    net = _signed_sum({"clawback": 1, "revise": -1})
    return {
        fy: int(total)
        for fy, total in db.session.execute(
            select(LedgerTransaction.fiscal_year_id, net).group_by(LedgerTransaction.fiscal_year_id)
        ).all()
    }


def check_recovery_cases(sums: dict[int, int]) -> Check:
    """Per case, its receivable on the ledger (clawback − revise − recovery − write_off) is
    what the case says is owed, and its recovery transactions are its payments; per year,
    recovery_receivable is the sum of what cases are owed (docs/recovery.md §2)."""
    receivable = _signed_sum({"clawback": 1, "revise": -1, "recovery": -1, "write_off": -1})
    recovered = _signed_sum({"recovery": 1})
    ledger = (
        select(
            LedgerTransaction.recovery_case_id.label("case_id"),
            receivable.label("owed"),
            recovered.label("recovered"),
        )
        .where(LedgerTransaction.recovery_case_id.is_not(None))
        .group_by(LedgerTransaction.recovery_case_id)
        .subquery()
    )
    owed = (
        func.coalesce(RecoveryCase.decided_amount, 0)
        - RecoveryCase.recovered
        - RecoveryCase.written_off
    )
    bad = list(
        db.session.scalars(
            select(RecoveryCase.id)
            .outerjoin(ledger, ledger.c.case_id == RecoveryCase.id)
            .where(
                or_(
                    func.coalesce(ledger.c.owed, 0) != owed,
                    func.coalesce(ledger.c.recovered, 0) != RecoveryCase.recovered,
                )
            )
            .order_by(RecoveryCase.id)
        )
    )
    unlinked = db.session.scalars(
        select(LedgerTransaction.id)
        .outerjoin(RecoveryPayment, RecoveryPayment.transaction_id == LedgerTransaction.id)
        .where(
            LedgerTransaction.type.in_(("clawback", "revise", "recovery", "write_off")),
            or_(
                LedgerTransaction.recovery_case_id.is_(None),
                and_(LedgerTransaction.type == "recovery", RecoveryPayment.id.is_(None)),
            ),
        )
    ).all()
    owed_by_year = dict(
        db.session.execute(
            select(RecoveryCase.fiscal_year_id, func.sum(owed)).group_by(
                RecoveryCase.fiscal_year_id
            )
        ).all()
    )
    accounts = db.session.execute(
        select(LedgerAccount.id, LedgerAccount.fiscal_year_id).where(
            LedgerAccount.name == "recovery_receivable"
        )
    ).all()
    years_bad = [
        fy
        for account_id, fy in accounts
        if sums.get(account_id, 0) != int(owed_by_year.get(fy) or 0)
    ]
    ok = not bad and not unlinked and not years_bad
    detail = "each case's receivable and recoveries match the ledger; every recovery is linked"
    if not ok:
        detail = f"cases: {_ids(bad)}; unlinked: {_ids(unlinked)}; years: {_ids(years_bad)}"
    return Check("recovery_cases_match_ledger", ok, detail)


def check_pools_match_claims(sums: dict[int, int]) -> list[Check]:
    # Reserved: approved claims and those awaiting a second approval (reserved at the first).
    reserved_by_year = _claim_sums(*RESERVED_CLAIM_STATUSES)
    paid_by_year = _claim_sums("settled")
    for fy, net in _clawed_back_by_year().items():  # recovery cases take paid money back
        paid_by_year[fy] = paid_by_year.get(fy, 0) - net
    reserved_bad, paid_bad, budget_bad = [], [], []
    for fiscal_year in db.session.scalars(select(FiscalYear)):
        accounts = {
            a.name: sums.get(a.id, 0)
            for a in db.session.scalars(
                select(LedgerAccount).where(LedgerAccount.fiscal_year_id == fiscal_year.id)
            )
        }
        if accounts.get("pool_reserved", 0) != reserved_by_year.get(fiscal_year.id, 0):
            reserved_bad.append(
                f"{fiscal_year.year}: {accounts.get('pool_reserved', 0)} ≠ "
                f"{reserved_by_year.get(fiscal_year.id, 0)}"
            )
        if accounts.get("paid_out", 0) != paid_by_year.get(fiscal_year.id, 0):
            paid_bad.append(
                f"{fiscal_year.year}: {accounts.get('paid_out', 0)} ≠ "
                f"{paid_by_year.get(fiscal_year.id, 0)}"
            )
        if -accounts.get("funding", 0) != fiscal_year.budget:
            budget_bad.append(
                f"{fiscal_year.year}: funded {-accounts.get('funding', 0)} ≠ "
                f"budget {fiscal_year.budget}"
            )
    return [
        Check(
            "reserved_equals_approved_claims",
            not reserved_bad,
            "pool_reserved = Σ approved (or awaiting second approval), unsettled claims"
            if not reserved_bad
            else _ids(reserved_bad),
        ),
        Check(
            "paid_equals_settled_claims",
            not paid_bad,
            "paid_out = Σ settled claims − Σ clawed back" if not paid_bad else _ids(paid_bad),
        ),
        Check(
            "funding_equals_budget",
            not budget_bad,
            "funding equals each year's budget" if not budget_bad else _ids(budget_bad),
        ),
    ]


def check_firm_caps() -> list[Check]:
    """Usage rows agree with transactions, and reserved + paid ≤ cap per firm and type."""
    signed = case(
        (LedgerTransaction.type == "reserve", LedgerTransaction.amount),
        (LedgerTransaction.type.in_(("release", "adjust")), -LedgerTransaction.amount),
        (LedgerTransaction.type == "settle", -LedgerTransaction.amount),
        else_=0,
    )
    paid = case((LedgerTransaction.type == "settle", LedgerTransaction.amount), else_=0)
    from_ledger = {
        (fy, firm, kind): (int(r or 0), int(p or 0))
        for fy, firm, kind, r, p in db.session.execute(
            select(
                LedgerTransaction.fiscal_year_id,
                LedgerTransaction.firm_id,
                LedgerTransaction.support_type,
                func.sum(signed),
                func.sum(paid),
            )
            .where(LedgerTransaction.firm_id.is_not(None))
            .group_by(
                LedgerTransaction.fiscal_year_id,
                LedgerTransaction.firm_id,
                LedgerTransaction.support_type,
            )
        ).all()
    }
    caps = {fy.id: fy for fy in db.session.scalars(select(FiscalYear))}
    mismatch, over_cap = [], []
    rows = {
        (u.fiscal_year_id, u.firm_id, u.support_type): u
        for u in db.session.scalars(select(FirmUsage))
    }
    for key in set(rows) | set(from_ledger):
        usage = rows.get(key)
        stored = (usage.reserved, usage.paid) if usage else (0, 0)
        if stored != from_ledger.get(key, (0, 0)):
            mismatch.append(f"{key}: {stored} ≠ {from_ledger.get(key, (0, 0))}")
        reserved, paid_sum = from_ledger.get(key, (0, 0))
        if reserved + paid_sum > caps[key[0]].cap_for(key[2]):
            over_cap.append(f"firm {key[1]} {key[2]} FY#{key[0]}: {reserved + paid_sum}")
    return [
        Check(
            "firm_usage_matches_ledger",
            not mismatch,
            "usage rows equal the reserve/release/settle transactions"
            if not mismatch
            else _ids(mismatch),
        ),
        Check(
            "firm_caps_respected",
            not over_cap,
            "reserved + paid ≤ cap for every firm and support type"
            if not over_cap
            else _ids(over_cap),
        ),
    ]


def check_no_double_money() -> Check:
    twice = db.session.execute(
        select(LedgerTransaction.claim_id, LedgerTransaction.type, func.count())
        .where(
            LedgerTransaction.claim_id.is_not(None),
            LedgerTransaction.type.in_(("reserve", "release", "settle")),
        )
        .group_by(LedgerTransaction.claim_id, LedgerTransaction.type)
        .having(func.count() > 1)
    ).all()
    unpaid = db.session.scalars(
        select(Claim.id)
        .outerjoin(
            LedgerTransaction,
            and_(LedgerTransaction.claim_id == Claim.id, LedgerTransaction.type == "settle"),
        )
        .where(Claim.status == "settled", LedgerTransaction.id.is_(None))
    ).all()
    ok = not twice and not unpaid
    detail = "no claim reserved or settled twice; every settled claim has its settle"
    if not ok:
        detail = f"twice: {_ids(twice)}; settled without transaction: {_ids(unpaid)}"
    return Check("no_double_reservation_or_settlement", ok, detail)


def check_claim_money() -> Check:
    """Per claim: what was reserved, less its adjustments, is its government share; a
    settled claim was paid that share and a voided one released it (never more)."""

    def total(kind: str):
        return func.sum(
            case((LedgerTransaction.type == kind, LedgerTransaction.amount), else_=0)
        ).label(kind)

    sums = (
        select(
            LedgerTransaction.claim_id,
            total("reserve"),
            total("adjust"),
            total("release"),
            total("settle"),
        )
        .where(LedgerTransaction.claim_id.is_not(None))
        .group_by(LedgerTransaction.claim_id)
        .subquery()
    )
    share = func.coalesce(Claim.government_share, 0)
    kept = sums.c.reserve - sums.c.adjust
    bad = db.session.scalars(
        select(Claim.id)
        .join(sums, sums.c.claim_id == Claim.id)
        .where(
            or_(
                kept != share,
                and_(Claim.status == "settled", sums.c.settle != share),
                and_(Claim.status == "voided", sums.c.release != share),
                and_(Claim.status.in_(RESERVED_CLAIM_STATUSES), sums.c.release + sums.c.settle > 0),
            )
        )
        .order_by(Claim.id)
    ).all()
    return Check(
        "claim_money_matches_ledger",
        not bad,
        "reserve − adjustments = government share; settled paid it, voided released it"
        if not bad
        else f"claims: {_ids(bad)}",
    )


def run_checks() -> list[Check]:
    sums = _posting_sums()
    return [
        check_balanced_transactions(),
        check_account_balances(sums),
        check_never_negative(),
        *check_pools_match_claims(sums),
        *check_firm_caps(),
        check_no_double_money(),
        check_claim_money(),
        check_recovery_cases(sums),
    ]


def reconcile(record: bool = True) -> tuple[bool, list[Check]]:
    """Run every check; record the result and alert managers on a breach."""
    refresh_statistics(*LEDGER_TABLES)
    checks = run_checks()
    ok = all(c.ok for c in checks)
    db.session.rollback()
    if record:
        run = ReconciliationRun(ok=ok, checks=[asdict(c) for c in checks])
        db.session.add(run)
        db.session.flush()
        if not ok:
            notify(
                manager_ids(),
                "reconciliation_breach",
                None,
                "; ".join(c.name for c in checks if not c.ok),
                f"recon:{run.id}",
            )
        db.session.commit()
    return ok, checks


def run_reconciliation_job() -> dict[str, int]:
    ok, checks = reconcile()
    return {"checks": len(checks), "breaches": sum(1 for c in checks if not c.ok), "ok": int(ok)}
