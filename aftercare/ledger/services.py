"""Fiscal years, funding and posting transactions (money actions)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.domain import ledger as rules
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear, LedgerAccount, LedgerTransaction, Posting
from aftercare.transactions import begin_write

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
    begin_write()
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
    begin_write()
    fiscal_year = db.session.scalar(select(FiscalYear).where(FiscalYear.year == year))
    if fiscal_year is None:
        raise NotFound("No such fiscal year")
    txn = _fund(actor, fiscal_year, amount, key or f"fund:{year}:{uuid.uuid4().hex}", reason)
    record_event(
        actor.id,
        "fiscal_year.add_budget",
        "fiscal_year",
        fiscal_year.id,
        after={"amount": amount, "reason": reason},
    )
    db.session.commit()
    return txn


def _fund(
    actor: User | None, fiscal_year: FiscalYear, amount: int, key: str, reason: str
) -> LedgerTransaction:
    txn = post_transaction(
        fiscal_year.id, "fund", amount, key, reason=reason, actor_id=actor.id if actor else None
    )
    fiscal_year.budget = FiscalYear.budget + amount  # in SQL: no lost update
    return txn


def post_transaction(
    fiscal_year_id: int,
    transaction_type: str,
    amount: int,
    idempotency_key: str,
    *,
    claim_id: int | None = None,
    firm_id: int | None = None,
    support_type: str | None = None,
    batch_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> LedgerTransaction:
    """Append one balanced transaction and move the account balances with it.

    Balances that must stay ≥ 0 move by a conditional UPDATE, so two writers can
    never both take the last won: the loser gets InsufficientBalance.
    """
    postings = rules.legs(transaction_type, amount)
    if not rules.is_balanced(a for _, a in postings):  # pragma: no cover - legs() is balanced
        raise ValueError("unbalanced transaction")
    accounts = {
        a.name: a
        for a in db.session.scalars(
            select(LedgerAccount).where(LedgerAccount.fiscal_year_id == fiscal_year_id)
        )
    }
    for name, delta in postings:
        stmt = (
            update(LedgerAccount)
            .where(LedgerAccount.id == accounts[name].id)
            .values(balance=LedgerAccount.balance + delta)
        )
        if delta < 0 and name in rules.NON_NEGATIVE:
            stmt = stmt.where(LedgerAccount.balance >= -delta)
        if db.session.execute(stmt).rowcount != 1:
            raise InsufficientBalance(f"Account {name} lacks {-delta} won", reason="pool_exhausted")
    txn = LedgerTransaction(
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
    )
    db.session.add(txn)
    db.session.flush()
    for name, delta in postings:
        db.session.add(Posting(transaction_id=txn.id, account_id=accounts[name].id, amount=delta))
    db.session.flush()
    return txn


def fund_transaction_id(year: int) -> int | None:
    return db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == f"fund:{year}:open")
    )
