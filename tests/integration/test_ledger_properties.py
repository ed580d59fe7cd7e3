"""Property: any sequence of approve / void / reject / settle / fund / eligibility changes keeps
every ledger invariant (SPEC §5) after every step.

Three managers: the first approves pending claims (and voids, rejects, funds), the
second gives the second approval to claims awaiting it (SPEC §11, shares from the
year's default 3,000,000 won), and a third changes lines' eligibility (who may then
approve neither step).

Each example gets a fresh SQLite database copied from the migrated template (SQLite only,
to keep the suite quick; the services are the same on PostgreSQL). A model of the
formula is checked against each approval: the result equals the preview taken just
before it, and a refusal carries the preview's reason.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aftercare import create_app
from aftercare.auth.models import User
from aftercare.claims.evidence import lines_of
from aftercare.claims.models import Claim
from aftercare.claims.services import (
    approve_claim,
    preview,
    reject_claim,
    set_line_eligibility,
    void_claim,
)
from aftercare.domain.errors import Conflict, DomainError
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear
from aftercare.ledger.services import add_budget
from aftercare.payouts import settlement
from tests.helpers import Factory, make_all_settleable
from tests.integration.ledger_support import (
    assert_books_ok,
    assert_caps_and_pool_hold,
    balances,
    quick_claim,
    this_year,
)

CLAIMS = 4
KINDS = ("labour", "parts", "software", "travel", "other")

amount = st.one_of(
    st.sampled_from([1_999, 2_000, 3_001, 999_999, 2_000_001, 4_000_000, 6_543_210, 10_000_000]),
    st.integers(0, 12_000_000),
)
claim_spec = st.tuples(
    st.integers(0, 1),  # which firm
    st.sampled_from(["breakdown", "upgrade"]),
    st.lists(st.tuples(st.sampled_from(KINDS), amount), min_size=1, max_size=3),
)
approve = st.tuples(st.just("approve"), st.integers(0, CLAIMS - 1))
step = st.one_of(
    approve,
    approve,
    approve,
    st.tuples(st.just("void"), st.integers(0, CLAIMS - 1)),
    st.tuples(st.just("reject"), st.integers(0, CLAIMS - 1)),
    st.tuples(st.just("settle")),
    st.tuples(st.just("fund"), st.sampled_from([1, 999, 500_000, 2_000_000])),
    st.tuples(st.just("eligible"), st.integers(0, CLAIMS - 1), st.integers(0, 2), st.booleans()),
)
scenario = st.fixed_dictionaries(
    {
        "budget": st.sampled_from([1_500_500, 4_000_000, 9_000_000, 60_000_000]),
        "cap_emergency": st.sampled_from([2_000_000, 5_000_000]),
        "cap_growth": st.sampled_from([3_000_000, 20_000_000]),
        "rounding_unit": st.sampled_from([1, 1000, 10_000]),
        "claims": st.lists(claim_spec, min_size=CLAIMS, max_size=CLAIMS),
        "steps": st.lists(step, min_size=3, max_size=14),
    }
)

# Cap, pool and unit limits, a void after settlement, a top-up and a line change, for sure.
LIMITS_EXAMPLE = {
    "budget": 4_000_000,
    "cap_emergency": 2_000_000,
    "cap_growth": 3_000_000,
    "rounding_unit": 1000,
    "claims": [
        (0, "breakdown", [("parts", 6_543_210), ("travel", 70_000)]),
        (0, "breakdown", [("labour", 2_000_001)]),
        (1, "upgrade", [("software", 10_000_000)]),
        (1, "breakdown", [("parts", 1_999), ("other", 9_000_000)]),
    ],
    "steps": [
        ("approve", 0),  # limited by the firm's cap: 2,000,000
        ("approve", 1),  # firm_cap_exhausted
        ("approve", 2),  # limited by the pool: 2,000,000 of 5,000,000
        ("approve", 3),  # share_below_unit
        ("eligible", 3, 1, True),  # the "other" line becomes eligible
        ("approve", 3),  # pool_exhausted
        ("fund", 2_000_000),
        ("void", 2),
        ("settle",),
        ("void", 0),  # settled: refused
        ("approve", 3),
        ("reject", 1),
        ("settle",),
    ],
}


def _check_claims() -> None:
    for claim in db.session.scalars(select(Claim)):
        rejected_before_approval = claim.status == "rejected" and claim.first_approved_by_id is None
        if claim.status == "pending" or rejected_before_approval:
            assert claim.fiscal_year_id is None, claim.id
            assert claim.government_share is None
            continue
        assert claim.fiscal_year_id is not None
        assert claim.government_share > 0
        assert claim.government_share + claim.firm_share == claim.eligible_total
        assert claim.government_share <= claim.computed_share
    db.session.rollback()


def _approve(managers: Managers, claim_id: int) -> None:
    claim = db.session.get(Claim, claim_id)
    status = claim.status
    if status == "awaiting_second_approval":
        _approve_second(managers, claim_id, claim.government_share)
        return
    figures = preview(claim) if status == "pending" else None
    refused: str | None = None
    try:
        approved = approve_claim(managers.first, claim_id)
    except Conflict as refusal:
        db.session.rollback()
        refused = refusal.reason
    if refused is not None:
        expected = "invalid_transition" if status != "pending" else figures.refusal
        assert refused == expected, (refused, figures)
        event(f"approve refused: {refused}")
        return
    assert status == "pending"
    assert figures.refusal is None
    two = approved.government_share >= 3_000_000
    assert approved.status == ("awaiting_second_approval" if two else "approved")
    assert approved.government_share == figures.government_share
    assert approved.limited_by == figures.limited_by
    assert approved.firm_share == figures.firm_share
    event(f"approved, limited by {approved.limited_by}")


def _approve_second(managers: Managers, claim_id: int, share: int) -> None:
    refusal = None
    try:
        approve_claim(managers.first, claim_id)
    except Conflict as refused:
        db.session.rollback()
        refusal = refused.reason
    assert refusal == "four_eyes"
    approved = approve_claim(managers.second, claim_id)
    assert (approved.status, approved.government_share) == ("approved", share)
    event("second approval")


@dataclass
class Managers:
    first: User
    second: User
    clerk: User  # changes lines' eligibility


def _run(data: dict, managers: Managers, fy_year: int, claim_ids: list[int]) -> None:
    manager = managers.first
    day = seoul_today()
    for action in data["steps"]:
        kind = action[0]
        try:
            if kind == "approve":
                _approve(managers, claim_ids[action[1]])
            elif kind == "void":
                void_claim(manager, claim_ids[action[1]], "property void")
            elif kind == "reject":
                reject_claim(manager, claim_ids[action[1]], "property reject")
            elif kind == "settle":
                day += timedelta(days=1)  # each run is the batch of a new day
                with mock.patch.object(settlement, "seoul_today", return_value=day):
                    make_all_settleable()
                    batch = settlement.settle_for_date(day)
                assert batch.status == "complete"
                event(f"settled {min(batch.claims_settled, 2)}+ claims")
                assert not db.session.scalars(
                    select(Claim.id).where(Claim.status == "approved")
                ).all()
            elif kind == "fund":
                add_budget(manager, fy_year, action[1], "property top-up")
            elif kind == "eligible":
                claim = db.session.get(Claim, claim_ids[action[1]])
                lines = lines_of(claim)
                line = lines[action[2] % len(lines)]
                set_line_eligibility(
                    managers.clerk, claim.id, line.id, action[3], "property change"
                )
        except DomainError:
            db.session.rollback()
        assert_books_ok()
        assert_caps_and_pool_hold()
        _check_claims()


def _fresh_database(template: Path, path: Path) -> None:
    """Put an empty migrated database at `path` (the engine is disposed first)."""
    db.session.remove()
    db.engine.dispose()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(template, path)


def test_random_money_actions_keep_every_invariant(sqlite_template, tmp_path):
    path = tmp_path / "prop.sqlite"
    shutil.copyfile(sqlite_template, path)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "UPLOAD_DIR": str(tmp_path / "uploads")}
    )  # built once: a fresh database file per example is much cheaper than an app

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=scenario)
    @example(data=LIMITS_EXAMPLE)
    def money_actions_keep_invariants(data: dict) -> None:
        with app.app_context():
            _fresh_database(sqlite_template, path)
            make = Factory()
            fiscal_year = make.fiscal_year(
                year=this_year(),
                budget=data["budget"],
                cap_emergency=data["cap_emergency"],
                cap_growth=data["cap_growth"],
                rounding_unit=data["rounding_unit"],
            )
            fy_id, fy_year = fiscal_year.id, fiscal_year.year
            manager = make.user("manager")
            managers = Managers(manager, make.user("manager"), make.user("manager"))
            firms = [make.firm().id, make.firm().id]
            claim_ids = [
                quick_claim(firms[firm], manager.id, lines, category)
                for firm, category, lines in data["claims"]
            ]
            _run(data, managers, fy_year, claim_ids)
            pools = balances(fy_id)
            budget = db.session.get(FiscalYear, fy_id).budget
            assert sum(pools[n] for n in ("pool_available", "pool_reserved", "paid_out")) == budget
            db.session.remove()

    try:
        money_actions_keep_invariants()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
