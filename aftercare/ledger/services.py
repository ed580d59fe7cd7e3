"""Fiscal years, funding and posting transactions (money actions)."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    FromClause,
    Insert,
    Integer,
    String,
    Update,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain import ledger as rules
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.support_types import opening_types
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger.models import (
    SECOND_APPROVAL_FROM,
    FirmUsage,
    FiscalYear,
    LedgerAccount,
    LedgerTransaction,
    Posting,
    SupportType,
)

MONEY_MAX = 10_000_000_000_000  # 10 trillion won: beyond any programme budget


# Written by the system, kept as data: Korean first, English second, for every reader.
OPENING_REASON = "회계연도 개설 (Fiscal year opened)"


class InsufficientBalance(Conflict):
    """An account would go below zero."""


def _require(actor: User | None, *roles: Role) -> None:
    if actor is not None and actor.role not in {r.value for r in roles}:
        raise Forbidden("Your role may not do this")


def validate_fiscal_year_input(
    year: int,
    budget: int,
    share_rate_bp: int,
    cap_emergency: int,
    cap_growth: int,
    unit: int,
    second_approval_from: int = SECOND_APPROVAL_FROM,
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
    if not 1 <= unit <= 1_000_000:  # the opening types keep their old range (tests use 2,500)
        errors["rounding_unit"] = ["Rounding unit must be 1 to 1,000,000 won."]
    if not 0 <= second_approval_from <= MONEY_MAX:
        errors["second_approval_from"] = ["The second-approval threshold must be 0 won or more."]
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
    second_approval_from: int = SECOND_APPROVAL_FROM,
) -> FiscalYear:
    """Open a fiscal year with its accounts and its two support types; fund its pool.

    `cap_emergency`, `cap_growth`, `share_rate_bp` and `rounding_unit` become the rows
    `emergency` and `growth` (6-month projects, one 2-month extension); other types are
    added afterwards (add_support_type).

    `second_approval_from`: a claim's government share at or above it needs a second
    manager (SPEC §11). It is set when the year opens and not edited afterwards by one
    person: raising it would let one manager approve alone.
    """
    _require(actor, Role.ADMIN, Role.MANAGER)
    if errors := validate_fiscal_year_input(
        year, budget, share_rate_bp, cap_emergency, cap_growth, rounding_unit, second_approval_from
    ):
        raise ValidationFailed(errors)
    if db.session.scalar(select(FiscalYear.id).where(FiscalYear.year == year)) is not None:
        raise Conflict(f"Fiscal year {year} already exists", reason="fiscal_year_exists")
    fiscal_year = FiscalYear(
        year=year, budget=0, second_approval_from=second_approval_from, is_open=True
    )
    db.session.add(fiscal_year)
    db.session.flush()
    for spec in opening_types(cap_emergency, cap_growth, share_rate_bp, rounding_unit):
        fiscal_year.support_types.append(
            SupportType(fiscal_year_id=fiscal_year.id, **spec.as_dict())
        )
    for name in rules.ACCOUNTS:
        db.session.add(LedgerAccount(fiscal_year_id=fiscal_year.id, name=name, balance=0))
    db.session.flush()
    _fund(actor, fiscal_year, budget, f"fund:{year}:open", OPENING_REASON)
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
            "second_approval_from": second_approval_from,
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
    claim_id: int | None = None,
    firm_id: int | None = None,
    support_type: str | None = None,
    batch_id: int | None = None,
    recovery_case_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> int:
    """Append one balanced transaction, move the account balances with it; return its id.

    Balances that must stay ≥ 0 move by a conditional UPDATE, so two writers can
    never both take the last won: the loser gets InsufficientBalance. The accounts are
    locked (in id order) and moved last, after the transaction is written: a year's
    pool is one row every approval moves, and each holds it from here to its commit.
    """
    legs = rules.legs(transaction_type, amount)
    if not rules.is_balanced(a for _, a in legs):  # pragma: no cover - legs() is balanced
        raise ValueError("unbalanced transaction")
    transaction = LedgerTransaction(
        fiscal_year_id=fiscal_year_id,
        type=transaction_type,
        idempotency_key=idempotency_key,
        amount=amount,
        claim_id=claim_id,
        firm_id=firm_id,
        support_type=support_type,
        batch_id=batch_id,
        recovery_case_id=recovery_case_id,
        reason=reason,
        actor_id=actor_id,
        created_at=utcnow(),
    )
    db.session.add(transaction)
    db.session.flush()
    accounts, _ = lock_accounts(fiscal_year_id, *(name for name, _ in legs))
    db.session.execute(
        insert(Posting.__table__),
        [
            {"transaction_id": transaction.id, "account_id": accounts[name], "amount": delta}
            for name, delta in legs
        ],
    )
    move_balances(accounts, legs)
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
# The pool accounts are locked as late as possible (post_transaction moves them last):
# every approval of the year moves the same two rows.


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
    """Lock the firm's usage row; what the firm has used and what the pool holds now.

    The usage row stays locked to the commit, so the share computed from it keeps
    the firm within its cap. The pool is read, not locked: `reserve` moves it last,
    by a conditional UPDATE that never takes it below zero. Locking it here made every
    approval of the year wait for the whole of the one before (165 approvals/s with
    8 clients on PostgreSQL). Two approvals racing for the last of a pool may read
    the same balance; the later one is then refused (pool_exhausted), never paid.
    """
    usage = _locked_usage(fiscal_year_id, firm_id, support_type)
    return Headroom(usage.reserved + usage.paid, pool_available(fiscal_year_id))


def pool_available(fiscal_year_id: int) -> int:
    return db.session.scalar(
        select(LedgerAccount.balance).where(
            LedgerAccount.fiscal_year_id == fiscal_year_id,
            LedgerAccount.name == "pool_available",
        )
    )


def reserve(fiscal_year: FiscalYear, claim: Claim, amount: int, actor_id: int) -> int:
    """Move `amount` from the pool to reserved for `claim`, and onto the firm's usage.

    Call after `headroom` in the same transaction (its lock on the firm's usage makes
    the amount safe for the cap); the pool refuses to go below zero
    (InsufficientBalance).
    """
    _add_to_usage(fiscal_year.id, claim, reserved=amount)
    return _post_for_claim(fiscal_year.id, "reserve", claim, amount, "", actor_id)


def release(claim: Claim, reason: str, actor_id: int) -> int:
    """Give a claim's reservation back to the pool (a void, or a refused second approval)."""
    amount = claim.government_share or 0
    _locked_usage(claim.fiscal_year_id, claim.firm_id, claim.support_type)
    txn_id = _post_for_claim(claim.fiscal_year_id, "release", claim, amount, reason, actor_id)
    _add_to_usage(claim.fiscal_year_id, claim, reserved=-amount)
    return txn_id


def adjust(claim: Claim, amount: int, key: str, reason: str, actor_id: int) -> int:
    """Give `amount` of an approved claim's reservation back to the pool (a new `adjust`
    transaction, never an edit of the reserve) and off the firm's usage.

    `key` names the decision (say, the disallowed line), so the same one posts once.
    The caller holds the claim's lock and lowers its government share by `amount`.
    """
    _locked_usage(claim.fiscal_year_id, claim.firm_id, claim.support_type)
    txn_id = post_transaction(
        claim.fiscal_year_id,
        "adjust",
        amount,
        key,
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        reason=reason,
        actor_id=actor_id,
    )
    _add_to_usage(claim.fiscal_year_id, claim, reserved=-amount)
    return txn_id


def _post_for_claim(
    fiscal_year_id: int, kind: str, claim: Claim, amount: int, reason: str, actor_id: int
) -> int:
    """A reserve or release of `claim`, on the pool accounts."""
    return post_transaction(
        fiscal_year_id,
        kind,
        amount,
        f"{kind}:claim:{claim.id}",
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        reason=reason,
        actor_id=actor_id,
    )


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


# ---------------------------------------------------------------- settlement


def settle(approved: tuple, batch_id: int, actor_id: int | None, now: datetime) -> None:
    """Pay out the claims matching `approved` (WHERE conditions on Claim), set-based.

    Reserved → paid on each firm's usage row, pool_reserved → paid_out per fiscal
    year, and one `settle` transaction per claim with its two postings. No statement
    carries a row per claim: the database copies them (INSERT .. SELECT). Lock order
    as in approval: the claims (the caller's), firm usage rows (sorted), the accounts.
    """
    claims = db.session.execute(
        select(
            Claim.fiscal_year_id, Claim.firm_id, Claim.support_type, Claim.government_share
        ).where(*approved)
    ).all()
    _move_usage(approved, len({(c.fiscal_year_id, c.firm_id, c.support_type) for c in claims}))
    by_year: dict[int, int] = defaultdict(int)
    for claim in claims:
        by_year[claim.fiscal_year_id] += claim.government_share
    for fiscal_year_id, total in sorted(by_year.items()):
        _move_balances(fiscal_year_id, total)
    _post_settlements(approved, batch_id, actor_id, now)


def _move_usage(approved: tuple, rows: int) -> None:
    """Reserved → paid for each firm and support type of the chunk, in one UPDATE.

    PostgreSQL locks the usage rows first, sorted, as approval and earlier
    settlements do; UPDATE .. FROM alone would lock them in the order of its plan.
    """
    moves = (
        select(
            Claim.fiscal_year_id,
            Claim.firm_id,
            Claim.support_type,
            func.sum(Claim.government_share).label("amount"),
        )
        .where(*approved)
        .group_by(Claim.fiscal_year_id, Claim.firm_id, Claim.support_type)
        .subquery()
    )
    keys = tuple_(FirmUsage.fiscal_year_id, FirmUsage.firm_id, FirmUsage.support_type)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(FirmUsage.id)
            .where(keys.in_(select(moves.c.fiscal_year_id, moves.c.firm_id, moves.c.support_type)))
            .order_by(FirmUsage.fiscal_year_id, FirmUsage.firm_id, FirmUsage.support_type)
            .with_for_update()
        ).all()
    moved = db.session.execute(
        update(FirmUsage)
        .where(
            FirmUsage.fiscal_year_id == moves.c.fiscal_year_id,
            FirmUsage.firm_id == moves.c.firm_id,
            FirmUsage.support_type == moves.c.support_type,
        )
        .values(reserved=FirmUsage.reserved - moves.c.amount, paid=FirmUsage.paid + moves.c.amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != rows:
        raise Conflict("a firm's usage row is missing", reason="ledger_breach")


def _move_balances(fiscal_year_id: int, total: int) -> None:
    """pool_reserved → paid_out for the chunk's claims of one fiscal year."""
    try:
        move_balances(account_ids(fiscal_year_id), rules.legs("settle", total))
    except InsufficientBalance as error:
        raise Conflict("pool_reserved would go below zero", reason="ledger_breach") from error


def _post_settlements(approved: tuple, batch_id: int, actor_id: int | None, now: datetime) -> None:
    """One `settle` transaction per approved claim of the chunk, with its two postings.

    The postings are built from the transactions just inserted, never by searching
    the ledger: PostgreSQL takes them from the INSERT's RETURNING inside the same
    statement; SQLite, the only writer while it holds the lock, from the ids above
    the largest one before the insert.
    """
    txn = LedgerTransaction.__table__
    add_transactions = insert(txn).from_select(
        [
            "fiscal_year_id",
            "type",
            "idempotency_key",
            "amount",
            "claim_id",
            "firm_id",
            "support_type",
            "batch_id",
            "reason",
            "actor_id",
            "created_at",
        ],
        select(
            Claim.fiscal_year_id,
            literal("settle"),
            literal("settle:claim:") + cast(Claim.id, String),
            Claim.government_share,
            Claim.id,
            Claim.firm_id,
            Claim.support_type,
            literal(batch_id),
            literal(""),
            literal(actor_id, Integer),
            literal(now, DateTime),
        )
        .where(*approved)
        .order_by(Claim.id),
    )
    if db.session.get_bind().dialect.name == "postgresql":
        added = add_transactions.returning(txn.c.id, txn.c.fiscal_year_id, txn.c.amount).cte()
        db.session.execute(_postings_of(added))
        return
    before = db.session.scalar(select(func.coalesce(func.max(txn.c.id), 0)))
    db.session.execute(add_transactions)
    added = (
        select(txn.c.id, txn.c.fiscal_year_id, txn.c.amount)
        .where(txn.c.id > before, txn.c.type == "settle")
        .subquery()
    )
    db.session.execute(_postings_of(added))


def _postings_of(added: FromClause) -> Insert:
    """pool_reserved −X, paid_out +X for each transaction of `added` (id, year, amount)."""
    account = LedgerAccount.__table__
    paid = account.c.name == "paid_out"
    return insert(Posting.__table__).from_select(
        ["transaction_id", "account_id", "amount"],
        select(
            added.c.id,
            account.c.id,
            case((paid, added.c.amount), else_=-added.c.amount),
        )
        .join(
            account,
            and_(
                account.c.fiscal_year_id == added.c.fiscal_year_id,
                account.c.name.in_(("pool_reserved", "paid_out")),
            ),
        )
        .order_by(added.c.id, paid),
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
    """Lock some of the year's accounts (in id order); (name → id, name → balance).

    FOR NO KEY UPDATE (PostgreSQL): the lock a balance UPDATE takes, which postings
    referring to the account (a foreign key's KEY SHARE) do not wait for, nor block.
    """
    rows = db.session.execute(
        select(LedgerAccount.name, LedgerAccount.id, LedgerAccount.balance)
        .where(LedgerAccount.fiscal_year_id == fiscal_year_id, LedgerAccount.name.in_(names))
        .order_by(LedgerAccount.id)
        .with_for_update(key_share=True)
    ).all()
    return {row.name: row.id for row in rows}, {row.name: row.balance for row in rows}


def fund_transaction_id(year: int) -> int | None:
    return db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == f"fund:{year}:open")
    )
