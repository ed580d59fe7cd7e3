"""Planner statistics follow the data: settlement and reconciliation refresh the ledger's.

Statistics taken while the ledger was nearly empty made SQLite scan the ledger once per
claim during `ledger verify` (minutes at 100,000 claims instead of seconds).
"""

from sqlalchemy import func, select, text

from aftercare.claims.models import Claim
from aftercare.core.transactions import refresh_statistics
from aftercare.extensions import db
from aftercare.payouts.reconciliation import reconcile
from aftercare.tickets.models import Ticket
from tests.functional.test_query_counts import add_confirmed_tickets


def _analysed_rows(table: str) -> int:
    if db.engine.dialect.name == "sqlite":
        stat = db.session.scalar(
            text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t AND idx IS NOT NULL LIMIT 1"),
            {"t": table},
        )
        return int(stat.split()[0])
    return int(
        db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
    )


def _people(make):
    firm = make.firm()
    return {
        "firm": firm,
        "firm_user": make.user("firm", firm=firm),
        "manager": make.user("manager"),
        "meister": make.meister(),
    }


def test_bulk_loads_refresh_statistics_on_every_database(make):
    add_confirmed_tickets(_people(make), 3)
    refresh_statistics()
    assert _analysed_rows("ticket") == db.session.scalar(select(func.count(Ticket.id)))


def test_reconciliation_refreshes_the_ledger_statistics(make):
    people = _people(make)
    add_confirmed_tickets(people, 1)
    refresh_statistics()
    add_confirmed_tickets(people, 4)
    ok, _checks = reconcile(record=False)
    assert ok
    assert _analysed_rows("claim") == db.session.scalar(select(func.count(Claim.id)))
    assert _analysed_rows("ticket") < db.session.scalar(select(func.count(Ticket.id)))
