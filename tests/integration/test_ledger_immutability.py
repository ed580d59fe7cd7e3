"""Postings and transactions are append-only: the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aftercare.claims.services import approve_claim
from aftercare.extensions import db
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
