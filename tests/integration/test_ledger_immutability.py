"""Postings and transactions are append-only: the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aftercare.claims.services import approve_claim
from aftercare.extensions import db
from aftercare.ledger.services import InsufficientBalance, post_transaction
from tests.integration.ledger_support import assert_books_ok, quick_claim, this_year

STATEMENTS = {
    "update transaction": "UPDATE ledger_transaction SET amount = amount + 1",
    "update transaction key": "UPDATE ledger_transaction SET idempotency_key = 'x' || id",
    "delete transaction": "DELETE FROM ledger_transaction",
    "update posting": "UPDATE ledger_posting SET amount = amount * 2",
    "delete posting": "DELETE FROM ledger_posting",
}


def _snapshot() -> list:
    return [
        db.session.execute(
            text("SELECT id, type, amount, idempotency_key FROM ledger_transaction ORDER BY id")
        ).all(),
        db.session.execute(
            text("SELECT id, transaction_id, account_id, amount FROM ledger_posting ORDER BY id")
        ).all(),
    ]


def _commit(sql: str, row_id: int) -> None:
    db.session.execute(text(sql), {"id": row_id})
    db.session.commit()


def test_update_or_delete_of_ledger_rows_fails_at_the_database(make):
    make.fiscal_year(year=this_year(), budget=10_000_000)
    manager = make.user("manager")
    approve_claim(manager, quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)]))
    before = _snapshot()
    assert len(before[0]) == 2  # fund + reserve
    assert len(before[1]) == 4

    for sql in STATEMENTS.values():
        with pytest.raises(DBAPIError, match="immutable"):
            db.session.execute(text(sql))
        db.session.rollback()

    # a single targeted row is refused too, and nothing changed
    with pytest.raises(DBAPIError, match="immutable"):
        _commit("UPDATE ledger_transaction SET reason = 'edited' WHERE id = :id", before[0][0].id)
    db.session.rollback()
    with pytest.raises(DBAPIError, match="immutable"):
        _commit("DELETE FROM ledger_posting WHERE id = :id", before[1][-1].id)
    db.session.rollback()

    assert _snapshot() == before
    assert_books_ok()


def _balances(fiscal_year_id: int) -> dict[str, int]:
    rows = db.session.execute(
        text("SELECT name, balance FROM ledger_account WHERE fiscal_year_id = :y"),
        {"y": fiscal_year_id},
    )
    return dict(rows.all())


def test_a_posting_past_an_accounts_balance_is_refused_and_writes_nothing(make):
    """The last won cannot be taken twice: the debit is refused at the database write."""
    fiscal_year = make.fiscal_year(year=this_year(), budget=3_000_000)
    before, rows_before = _balances(fiscal_year.id), _snapshot()
    with pytest.raises(InsufficientBalance, match="pool_available lacks 3000001 won"):
        post_transaction(fiscal_year.id, "reserve", 3_000_001, "reserve:too-much")
    db.session.rollback()
    assert _balances(fiscal_year.id) == before
    assert _snapshot() == rows_before

    # exactly the balance is allowed, and moves both legs
    post_transaction(fiscal_year.id, "reserve", 3_000_000, "reserve:all")
    db.session.commit()
    after = _balances(fiscal_year.id)
    assert after["pool_available"] == 0
    assert after["pool_reserved"] == before["pool_reserved"] + 3_000_000
    # and a release cannot take back more than is reserved
    with pytest.raises(InsufficientBalance, match="pool_reserved lacks 3000001 won"):
        post_transaction(fiscal_year.id, "release", 3_000_001, "release:too-much")
    db.session.rollback()
    post_transaction(fiscal_year.id, "release", 3_000_000, "release:all")
    db.session.commit()
    assert _balances(fiscal_year.id) == before
    assert_books_ok()
