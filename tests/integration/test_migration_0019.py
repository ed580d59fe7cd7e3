"""Migration 0019 on a database with fiscal years (both databases).

Every year's caps, share rate and rounding unit become its rows `emergency` and `growth`
(6 + 2 months, open); the year's old columns go. Downgrading puts them back from the
rows, and upgrading again carries them once more.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from aftercare import create_app
from aftercare.extensions import db
from tests.helpers import valid_brn
from tests.integration.test_migration_0016 import _insert, empty_url  # noqa: F401 - fixture

BEFORE = "0018_recovery"
OLD = {"share_rate_bp", "cap_emergency", "cap_growth", "rounding_unit"}
YEARS = (  # id, year, rate, emergency cap, growth cap, rounding unit
    (1, 2021, 5000, 5_000_000, 20_000_000, 1000),
    (2, 2022, 6000, 3_000_000, 15_000_000, 10_000),
)


def _rows_before_0019() -> None:
    for fy_id, year, rate, emergency, growth, unit in YEARS:
        _insert(
            "fiscal_year",
            id=fy_id,
            year=year,
            budget=1_000_000_000,
            share_rate_bp=rate,
            cap_emergency=emergency,
            cap_growth=growth,
            rounding_unit=unit,
            is_open=True,
        )
    _insert("firm", id=1, name="공장", registration_number=valid_brn(1901), size="small")
    _insert("firm_usage", fiscal_year_id=1, firm_id=1, support_type="growth", reserved=1000)
    db.session.commit()


def _types() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            text(
                "SELECT fiscal_year_id, code, name_ko, cap, share_rate_bp, rounding_unit, "
                "project_months, extension_months, is_open FROM support_type "
                "ORDER BY fiscal_year_id, code"
            )
        )
    ]


def _expected() -> list[tuple]:
    rows = []
    for fy_id, _, rate, emergency, growth, unit in YEARS:
        rows.append((fy_id, "emergency", "긴급복구형", emergency, rate, unit, 6, 2, True))
        rows.append((fy_id, "growth", "성장연계형", growth, rate, unit, 6, 2, True))
    return rows


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.session.connection()).get_columns(table)}


def test_existing_caps_become_type_rows_and_come_back(empty_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url})
    with app.app_context():
        upgrade(revision=BEFORE)
        _rows_before_0019()
        db.session.remove()

        upgrade()
        assert [(*r[:8], bool(r[8])) for r in _types()] == _expected()
        assert not OLD & _columns("fiscal_year")
        assert db.session.scalar(text("SELECT reserved FROM firm_usage")) == 1000
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()

        downgrade(revision=BEFORE)
        assert "support_type" not in sa.inspect(db.session.connection()).get_table_names()
        back = db.session.execute(
            text(
                "SELECT id, year, share_rate_bp, cap_emergency, cap_growth, rounding_unit "
                "FROM fiscal_year ORDER BY id"
            )
        ).all()
        assert [tuple(r) for r in back] == list(YEARS)
        db.session.remove()

        upgrade()
        assert [(*r[:8], bool(r[8])) for r in _types()] == _expected()
        db.session.remove()
        db.engine.dispose()
