"""Fiscal years, funding and posting transactions (money actions)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    Update,
    bindparam,
    case,
    insert,
    or_,
    select,
    text,
    update,
)

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain import ledger as rules
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger.models import (
    FirmUsage,
    FiscalYear,
    LedgerAccount,
    LedgerTransaction,
    Posting,
)

MONEY_MAX = 10_000_000_000_000  # 10 trillion won: beyond any programme budget


class InsufficientBalance(Conflict):
    """An account would go below zero."""


def _require(actor: User | None, *roles: Role) -> None:
    if actor is not None and actor.role not in {r.value for r in roles}:
        raise Forbidden("Your role may not do this")


def validate_fiscal_year_input(
    year: int, budget: int, share_rate_bp: int, cap_emergency: int, cap_growth: int, unit: int
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = ["Year must be between 2000 and 2100."]
    if not 0 < budget <= MONEY_MAX:
        errors["budget"] = ["Budget must be a positive number of won."]
    if not 1 <= share_rate_bp <= 10000:
        errors["share_rate_bp"] = ["Share rate must be 1 to 10000 basis points."]
    if not 0 < cap_emergency <= MONEY_MAX:
        errors["cap_emergency"] = ["Cap must be a positive number of won."]
    if not 0 < cap_growth <= MONEY_MAX:
        errors["cap_growth"] = ["Cap must be a positive number of won."]
    if not 1 <= unit <= 1_000_000:
        errors["rounding_unit"] = ["Rounding unit must be 1 to 1,000,000 won."]
    return errors


def open_fiscal_year(
    actor: User | None,
    *,
    year: int,
    budget: int,
    share_rate_bp: int = 5000,
    cap_emergency: int = 5_000_000,
    cap_growth: int = 20_000_000,
    rounding_unit: int = 1000,
) -> FiscalYear:
    """Open a fiscal year with its four accounts and fund its pool."""
    _require(actor, Role.ADMIN, Role.MANAGER)
    if errors := validate_fiscal_year_input(
        year, budget, share_rate_bp, cap_emergency, cap_growth, rounding_unit
    ):
        raise ValidationFailed(errors)
    if db.session.scalar(select(FiscalYear.id).where(FiscalYear.year == year)) is not None:
        raise Conflict(f"Fiscal year {year} already exists", reason="fiscal_year_exists")
    fiscal_year = FiscalYear(
        year=year,
        budget=0,
        share_rate_bp=share_rate_bp,
        cap_emergency=cap_emergency,
        cap_growth=cap_growth,
        rounding_unit=rounding_unit,
        is_open=True,
    )
    db.session.add(fiscal_year)
    db.session.flush()
    for name in rules.ACCOUNTS:
        db.session.add(LedgerAccount(fiscal_year_id=fiscal_year.id, name=name, balance=0))
    db.session.flush()
    _fund(actor, fiscal_year, budget, f"fund:{year}:open", "Fiscal year opened")
    record_event(
        actor.id if actor else None,
        "fiscal_year.open",
        "fiscal_year",
        fiscal_year.id,
        after={
            "year": year,
            "budget": budget,
            "share_rate_bp": share_rate_bp,
            "cap_emergency": cap_emergency,
            "cap_growth": cap_growth,
            "rounding_unit": rounding_unit,
        },
    )
    db.session.commit()
    return fiscal_year


def add_budget(
    actor: User, year: int, amount: int, reason: str, key: str | None = None
) -> LedgerTransaction:
    """Add budget to a year's pool (a `fund` transaction with a reason)."""
    _require(actor, Role.MANAGER)
    errors: dict[str, list[str]] = {}
    if not 0 < amount <= MONEY_MAX:
        errors["amount"] = ["Amount must be a positive number of won."]
    if not reason.strip():
        errors["reason"] = ["Give a reason."]
    if errors:
        raise ValidationFailed(errors)
    fiscal_year = db.session.scalar(select(FiscalYear).where(FiscalYear.year == year))
    if fiscal_year is None:
        raise NotFound("No such fiscal year")
    txn_id = _fund(actor, fiscal_year, amount, key or f"fund:{year}:{uuid.uuid4().hex}", reason)
    record_event(
        actor.id,
        "fiscal_year.add_budget",
        "fiscal_year",
        fiscal_year.id,
        after={"amount": amount, "reason": reason},
    )
    db.session.commit()
    return db.session.get(LedgerTransaction, txn_id)


def _fund(actor: User | None, fiscal_year: FiscalYear, amount: int, key: str, reason: str) -> int:
    txn_id = post_transaction(
        fiscal_year.id, "fund", amount, key, reason=reason, actor_id=actor.id if actor else None
    )
    fiscal_year.budget = FiscalYear.budget + amount  # in SQL: no lost update
    return txn_id


def post_transaction(
    fiscal_year_id: int,
    transaction_type: str,
    amount: int,
    idempotency_key: str,
    *,
    accounts: Mapping[str, int] | None = None,
    claim_id: int | None = None,
    firm_id: int | None = None,
    support_type: str | None = None,
    batch_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> int:
    """Append one balanced transaction, move the account balances with it; return its id.

    Balances that must stay ≥ 0 move by a conditional UPDATE, so two writers can
    never both take the last won: the loser gets InsufficientBalance. `accounts`
    (name → id, e.g. from `lock_accounts`) saves looking the year's accounts up.
    """
    legs = rules.legs(transaction_type, amount)
    if not rules.is_balanced(a for _, a in legs):  # pragma: no cover - legs() is balanced
        raise ValueError("unbalanced transaction")
    accounts = accounts or account_ids(fiscal_year_id)
    move_balances(accounts, legs)
    transaction = LedgerTransaction(
        fiscal_year_id=fiscal_year_id,
        type=transaction_type,
        idempotency_key=idempotency_key,
        amount=amount,
        claim_id=claim_id,
        firm_id=firm_id,
        support_type=support_type,
        batch_id=batch_id,
        reason=reason,
        actor_id=actor_id,
        created_at=utcnow(),
    )
    db.session.add(transaction)
    db.session.flush()
    db.session.execute(
        insert(Posting.__table__),
        [
            {"transaction_id": transaction.id, "account_id": accounts[name], "amount": delta}
            for name, delta in legs
        ],
    )
    return transaction.id


def move_balances(accounts: Mapping[str, int], postings: list[tuple[str, int]]) -> None:
    """Add each posting's amount to its account's balance (name → id), in one UPDATE.

    A debit may not take a non-negative account below zero: the UPDATE then leaves
    that row out, and InsufficientBalance refuses the transaction.
    """
    params = _balance_params(accounts, postings)
    moved = db.session.execute(_balance_update(len(postings)), params).rowcount
    if moved != len(postings):
        _refuse_unmoved(accounts, postings)


# ---------------------------------------------------------------- a claim's reservation
#
# Lock order everywhere money moves: the claim (its service) → the firm's usage row →
# the year's pool accounts (in id order) → the audit chain (record_event, last).


@dataclass(frozen=True)
class Headroom:
    """What a firm may still be given for a support type, and what the pool holds."""

    firm_used: int  # reserved + paid this fiscal year
    pool_available: int


# Creates the firm's usage row if missing; on a conflict its no-op update takes the
# row lock (both databases), and RETURNING gives the row as it is now.
LOCK_USAGE = text(
    "INSERT INTO firm_usage (fiscal_year_id, firm_id, support_type, reserved, paid) "
    "VALUES (:fiscal_year_id, :firm_id, :support_type, 0, 0) "
    "ON CONFLICT (fiscal_year_id, firm_id, support_type) "
    "DO UPDATE SET reserved = firm_usage.reserved "
    "RETURNING id, reserved, paid"
)


def _locked_usage(fiscal_year_id: int, firm_id: int, support_type: str) -> Any:
    params = {"fiscal_year_id": fiscal_year_id, "firm_id": firm_id, "support_type": support_type}
    return db.session.execute(LOCK_USAGE, params).one()


def headroom(fiscal_year_id: int, firm_id: int, support_type: str) -> Headroom:
    """Lock the firm's usage row, then the pool accounts; what they hold now.

    Held to the commit: the share computed from it is the share that can be reserved.
    """
    usage = _locked_usage(fiscal_year_id, firm_id, support_type)
    _, balances = lock_accounts(fiscal_year_id, "pool_available", "pool_reserved")
    return Headroom(usage.reserved + usage.paid, balances["pool_available"])


def reserve(fiscal_year: FiscalYear, claim: Claim, amount: int, actor_id: int) -> int:
    """Move `amount` from the pool to reserved for `claim`, and onto the firm's usage.

    Call after `headroom` in the same transaction (the locks it took make the
    amount safe); the pool still refuses to go below zero (InsufficientBalance).
    """
    accounts, _ = lock_accounts(fiscal_year.id, "pool_available", "pool_reserved")
    txn_id = post_transaction(
        fiscal_year.id,
        "reserve",
        amount,
        f"reserve:claim:{claim.id}",
        accounts=accounts,
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        actor_id=actor_id,
    )
    _add_to_usage(fiscal_year.id, claim, reserved=amount)
    return txn_id


def release(claim: Claim, reason: str, actor_id: int) -> int:
    """Give an approved claim's reservation back to the pool (a void)."""
    amount = claim.government_share or 0
    _locked_usage(claim.fiscal_year_id, claim.firm_id, claim.support_type)
    accounts, _ = lock_accounts(claim.fiscal_year_id, "pool_available", "pool_reserved")
    txn_id = post_transaction(
        claim.fiscal_year_id,
        "release",
        amount,
        f"release:claim:{claim.id}",
        accounts=accounts,
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        reason=reason,
        actor_id=actor_id,
    )
    _add_to_usage(claim.fiscal_year_id, claim, reserved=-amount)
    return txn_id


def _add_to_usage(fiscal_year_id: int, claim: Claim, reserved: int) -> None:
    db.session.execute(
        update(FirmUsage)
        .where(
            FirmUsage.fiscal_year_id == fiscal_year_id,
            FirmUsage.firm_id == claim.firm_id,
            FirmUsage.support_type == claim.support_type,
        )
        .values(reserved=FirmUsage.reserved + reserved)
        .execution_options(synchronize_session=False)
    )


def _guarded(accounts: Mapping[str, int], postings: list[tuple[str, int]]) -> dict[int, int]:
    """The debits (account id → amount) that may not take their account below zero."""
    return {
        accounts[name]: delta
        for name, delta in postings
        if delta < 0 and name in rules.NON_NEGATIVE
    }


def _balance_params(accounts: Mapping[str, int], postings: list[tuple[str, int]]) -> dict:
    params: dict[str, Any] = {
        "ids": [accounts[name] for name, _ in postings],
        "guarded": list(_guarded(accounts, postings)),
    }
    for n, (name, delta) in enumerate(postings):
        params |= {f"id{n}": accounts[name], f"d{n}": delta}
    return params


def _refuse_unmoved(accounts: Mapping[str, int], postings: list[tuple[str, int]]) -> None:
    guarded = _guarded(accounts, postings)
    name = next(n for n, _ in postings if accounts[n] in guarded)
    lacking = -guarded[accounts[name]]
    raise InsufficientBalance(f"Account {name} lacks {lacking} won", reason="pool_exhausted")


@functools.cache
def _balance_update(legs: int) -> Update:
    """balance += d<n> where id = id<n>, guarded rows never below zero (built once per size)."""
    account = LedgerAccount.__table__
    whens = [
        (account.c.id == bindparam(f"id{n}"), bindparam(f"d{n}", type_=BigInteger))
        for n in range(legs)
    ]
    delta = case(*whens)
    return (
        account.update()
        .where(
            account.c.id.in_(bindparam("ids", expanding=True)),
            or_(
                account.c.id.not_in(bindparam("guarded", expanding=True)),
                account.c.balance + delta >= 0,
            ),
        )
        .values(balance=account.c.balance + delta)
    )


def account_ids(fiscal_year_id: int) -> dict[str, int]:
    """The year's accounts by name."""
    return dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.id).where(
                LedgerAccount.fiscal_year_id == fiscal_year_id
            )
        ).all()
    )


def lock_accounts(fiscal_year_id: int, *names: str) -> tuple[dict[str, int], dict[str, int]]:
    """Lock some of the year's accounts (in id order); (name → id, name → balance)."""
    rows = db.session.execute(
        _locked_accounts(), {"fiscal_year_id": fiscal_year_id, "names": list(names)}
    ).all()
    return {row.name: row.id for row in rows}, {row.name: row.balance for row in rows}


@functools.cache
def _locked_accounts() -> Select:
    account = LedgerAccount.__table__
    return (
        select(account.c.name, account.c.id, account.c.balance)
        .where(
            account.c.fiscal_year_id == bindparam("fiscal_year_id"),
            account.c.name.in_(bindparam("names", expanding=True)),
        )
        .order_by(account.c.id)
        .with_for_update()
    )


def fund_transaction_id(year: int) -> int | None:
    return db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == f"fund:{year}:open")
    )
