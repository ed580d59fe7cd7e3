"""Migration 0016 on a database whose firms name their suppliers in free text (both databases).

Every distinct non-empty text becomes a registry entry (spellings differing only in
case or spacing are one), every firm points at its entry, and nothing is lost:
downgrading writes the names back, and upgrading again links the same firms.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, make_url, text

from aftercare import create_app
from aftercare.extensions import db
from tests.conftest import PG_URL, _pg_reachable
from tests.helpers import valid_brn

BEFORE = "0015_account_four_eyes"

# firm → the free text it had before the registry
TEXTS = {
    1: "스마트솔루션㈜",
    2: "  스마트솔루션㈜ ",
    3: "Factory One",
    4: "factory  one",
    5: "FACTORY ONE",
    6: "",
    7: "   ",
    8: "엠이에스코리아",
    9: "Factory One",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An unmigrated database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite'}"
        return
    if _pg_reachable():
        pytest.skip("PostgreSQL not reachable")
    name = f"{make_url(PG_URL).database}_m0016_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _filler(column: sa.Column) -> object:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2021, 1, 1)
    if isinstance(kind, sa.Date):
        return date(2021, 1, 1)
    if isinstance(kind, sa.Integer | sa.Numeric):
        return 0
    if isinstance(kind, sa.JSON):
        return []
    return ""


def _insert(table_name: str, **values: object) -> None:
    """A row with `values`; every other required column gets a plain value of its type."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=db.session.connection())
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is None:
            values[column.name] = _filler(column)
    db.session.execute(table.insert().values(**values))


def _firms_with_free_text() -> None:
    for firm_id, supplier in TEXTS.items():
        _insert(
            "firm",
            id=firm_id,
            name=f"공장 {firm_id}",
            registration_number=valid_brn(1600 + firm_id),
            size="small",
            region="busan",
            supplier=supplier,
        )
        # a row referencing the firm: the migration must keep every reference valid
        _insert("user", id=firm_id, email=f"u{firm_id}@example.kr", role="firm", firm_id=firm_id)
    db.session.commit()


def _links() -> dict[int, str | None]:
    rows = db.session.execute(
        text(
            "SELECT firm.id, supplier.name FROM firm"
            " LEFT JOIN supplier ON supplier.id = firm.supplier_id ORDER BY firm.id"
        )
    )
    return dict(rows.all())


EXPECTED = {
    1: "스마트솔루션㈜",
    2: "스마트솔루션㈜",
    3: "Factory One",  # two firms wrote it so: the spelling most firms used names the entry
    4: "Factory One",
    5: "Factory One",
    6: None,
    7: None,
    8: "엠이에스코리아",
    9: "Factory One",
}


def test_free_text_suppliers_become_entries_and_come_back_on_downgrade(empty_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url})
    with app.app_context():
        upgrade(revision=BEFORE)
        _firms_with_free_text()
        db.session.remove()
        upgrade()

        assert _links() == EXPECTED
        entries = db.session.execute(
            text("SELECT name, registration_number, region, active FROM supplier ORDER BY name")
        ).all()
        assert [tuple(row) for row in entries] == [
            ("Factory One", None, None, True),
            ("스마트솔루션㈜", None, None, True),
            ("엠이에스코리아", None, None, True),
        ]
        columns = {c["name"] for c in sa.inspect(db.session.connection()).get_columns("firm")}
        assert "supplier_id" in columns
        assert "supplier" not in columns
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()

        downgrade(revision=BEFORE)
        restored = dict(db.session.execute(text("SELECT id, supplier FROM firm")).all())
        assert restored == {k: v or "" for k, v in EXPECTED.items()}
        assert db.session.scalar(text('SELECT count(*) FROM "user"')) == len(TEXTS)
        db.session.remove()

        upgrade()
        assert _links() == EXPECTED
        db.session.remove()
        db.engine.dispose()
