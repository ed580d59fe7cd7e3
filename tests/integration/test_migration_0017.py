"""Migration 0017 on a database with cost lines and attachments (both databases).

Existing lines start without evidence and unreviewed, existing files are ticket files;
downgrading drops only what 0017 added, and upgrading again works on the same rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from aftercare import create_app
from aftercare.extensions import db
from tests.helpers import valid_brn
from tests.integration.test_migration_0016 import _insert, empty_url  # noqa: F401 - fixture

BEFORE = "0016_supplier_registry"
ADDED = {
    "cost_line": {"supplier_id", "invoice_number", "review_status", "reviewed_by_id", "paid_on"},
    "ticket_attachment": {"kind", "cost_line_id"},
}


def _rows_before_0017() -> None:
    _insert("firm", id=1, name="공장", registration_number=valid_brn(1701), size="small")
    _insert("user", id=1, email="u1@example.kr", role="firm", firm_id=1)
    _insert("ticket", id=1, firm_id=1, created_by_id=1, status="confirmed")
    _insert("visit", id=1, ticket_id=1, meister_id=1)
    _insert(
        "cost_line", id=1, visit_id=1, ticket_id=1, kind="labour", amount=500_000, eligible=True
    )
    _insert("ticket_attachment", id=1, ticket_id=1, uploaded_by_id=1, stored_name="a" * 32)
    db.session.commit()


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.session.connection()).get_columns(table)}


def test_existing_lines_and_files_survive_the_round_trip(empty_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url})
    with app.app_context():
        upgrade(revision=BEFORE)
        _rows_before_0017()
        db.session.remove()

        upgrade()
        line = db.session.execute(
            text("SELECT amount, review_status, review_note, invoice_number FROM cost_line")
        ).one()
        assert tuple(line) == (500_000, "pending", "", None)
        assert db.session.scalar(text("SELECT kind FROM ticket_attachment")) == "ticket"
        assert db.session.scalar(text("SELECT count(*) FROM firm_payment")) == 0
        for table, added in ADDED.items():
            assert added <= _columns(table)
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()

        downgrade(revision=BEFORE)
        for table, added in ADDED.items():
            assert not added & _columns(table)
        assert db.session.scalar(text("SELECT amount FROM cost_line")) == 500_000
        assert db.session.scalar(text("SELECT count(*) FROM ticket_attachment")) == 1
        db.session.remove()

        upgrade()
        assert db.session.scalar(text("SELECT review_status FROM cost_line")) == "pending"
        db.session.remove()
        db.engine.dispose()
