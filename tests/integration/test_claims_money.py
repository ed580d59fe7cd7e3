"""Money edges of approval (SPEC §5), through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear
from tests.integration.ledger_support import (
    ONE_APPROVER,
    assert_books_ok,
    assert_caps_and_pool_hold,
    confirmed,
    journey_claim,
    quick_claim,
    this_year,
    transactions_of,
)


@pytest.fixture
def manager(make):
    return make.user("manager")


@pytest.fixture
def boss(api, manager):
    """The manager's API client."""
    return api.as_(manager)


@pytest.fixture
def second(api, make):
    """Another manager's API client: confirms the requests `boss` makes (four eyes)."""
    return api.as_(make.user("manager"))


def _approve(boss, claim_id: int):
    return boss.post(f"/claims/{claim_id}/approve")


def _claim(boss, claim_id: int) -> dict:
    response = boss.get(f"/claims/{claim_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _refused(response, reason: str) -> dict:
    body = response.get_json()
    assert response.status_code == 409, body
    assert body["reason"] == reason, body
    assert body["current_status"] == "pending", body
    assert body["code"] == 409
    return body


def _assert_shares_add_up(claim: dict) -> None:
    assert claim["government_share"] + claim["firm_share"] == claim["eligible_total"], claim


def test_eligible_1999_won_is_refused_as_share_below_unit(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    firm = make.firm()
    tiny = quick_claim(firm.id, manager.id, [("labour", 1_999), ("travel", 500_000)])
    just_enough = quick_claim(firm.id, manager.id, [("labour", 2_000)])

    preview = _claim(boss, tiny)["preview"]
    assert preview["computed_share"] == 0
    assert preview["government_share"] == 0
    assert preview["firm_share"] == 1_999
    assert preview["refusal"] == "share_below_unit"

    _refused(_approve(boss, tiny), "share_below_unit")
    after = _claim(boss, tiny)
    assert after["status"] == "pending"
    assert after["fiscal_year"] is None
    assert transactions_of(tiny, "reserve") == 0

    approved = _approve(boss, just_enough)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["government_share"] == 1_000
    assert approved.get_json()["firm_share"] == 1_000
    assert_books_ok()


def test_odd_amounts_floor_to_1000_won_and_fiscal_year_is_set_at_approval(boss, make, manager, api):
    year = this_year()
    make.fiscal_year(year=year - 1, budget=50_000_000)  # an older year stays untouched
    make.fiscal_year(year=year, budget=100_000_000)
    firm = make.firm()
    firm_user = make.user("firm", firm=firm)
    through_services = journey_claim(
        make,
        manager,
        firm_user,
        [("labour", 700_000), ("parts", 1_234_567), ("travel", 80_000)],
    )
    cases = {
        through_services: (1_934_567, 967_000),  # travel is ineligible, shown apart
        quick_claim(firm.id, manager.id, [("software", 2_001_999)], "upgrade"): (
            2_001_999,
            1_000_000,
        ),
        quick_claim(firm.id, manager.id, [("parts", 3_999)]): (3_999, 1_000),
        quick_claim(firm.id, manager.id, [("labour", 1), ("parts", 4_000)]): (4_001, 2_000),
    }
    for claim_id, (eligible, share) in cases.items():
        pending = _claim(boss, claim_id)
        assert pending["status"] == "pending"
        assert pending["fiscal_year"] is None
        assert pending["government_share"] is None
        assert pending["eligible_total"] == eligible
        assert pending["preview"]["government_share"] == share
        assert pending["preview"]["fiscal_year"] == year

        response = _approve(boss, claim_id)
        assert response.status_code == 200, response.get_json()
        claim = response.get_json()
        assert claim["status"] == "approved"
        assert claim["fiscal_year"] == year
        assert claim["computed_share"] == share
        assert claim["government_share"] == share
        assert claim["government_share"] % 1_000 == 0
        assert claim["firm_share"] == eligible - share
        assert claim["limited_by"] == "none"
        _assert_shares_add_up(claim)
        assert _claim(boss, claim_id)["fiscal_year"] == year
    assert _claim(boss, through_services)["ineligible_total"] == 80_000

    reserved = sum(share for _, share in cases.values())
    pool = boss.get("/ledger/pool").get_json()
    assert pool["reserved"] == reserved
    assert pool["available"] == 100_000_000 - reserved
    old = boss.get(f"/ledger/pool?fiscal_year={year - 1}").get_json()
    assert (old["available"], old["reserved"]) == (50_000_000, 0)
    assert_books_ok()


def test_a_different_rounding_unit_floors_to_that_unit(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000, rounding_unit=10_000)
    firm = make.firm()
    claim_id = quick_claim(firm.id, manager.id, [("labour", 1_239_999)])
    claim = _approve(boss, claim_id).get_json()
    assert claim["government_share"] == 610_000  # floor(619,999.5 / 10,000) × 10,000
    assert claim["firm_share"] == 1_239_999 - 610_000


def test_emergency_cap_partly_used_while_growth_cap_is_untouched(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=1_000_000_000, second_approval_from=ONE_APPROVER)
    firm = make.firm()
    emergency_1 = quick_claim(firm.id, manager.id, [("parts", 6_000_000)], "breakdown")
    growth_1 = quick_claim(firm.id, manager.id, [("software", 10_000_000)], "upgrade")
    emergency_2 = quick_claim(firm.id, manager.id, [("labour", 6_000_000)], "defect")
    emergency_3 = quick_claim(firm.id, manager.id, [("labour", 2_000_000)], "breakdown")
    growth_2 = quick_claim(firm.id, manager.id, [("software", 2_000_000)], "upgrade")

    first = _approve(boss, emergency_1).get_json()
    assert (first["government_share"], first["limited_by"]) == (3_000_000, "none")
    usage = boss.get(f"/firms/{firm.id}").get_json()["usage"]
    assert usage["emergency"] == {
        "cap": 5_000_000,
        "reserved": 3_000_000,
        "paid": 0,
        "remaining": 2_000_000,
    }
    assert usage["growth"] == {"cap": 20_000_000, "reserved": 0, "paid": 0, "remaining": 20_000_000}

    growth = _approve(boss, growth_1).get_json()
    assert (growth["government_share"], growth["limited_by"]) == (5_000_000, "none")

    preview = _claim(boss, emergency_2)["preview"]
    assert preview["firm_remaining"] == 2_000_000
    assert preview["limited_by"] == "firm_cap"
    second = _approve(boss, emergency_2).get_json()
    assert second["computed_share"] == 3_000_000
    assert second["government_share"] == 2_000_000
    assert second["firm_share"] == 4_000_000
    assert second["limited_by"] == "firm_cap"
    _assert_shares_add_up(second)

    _refused(_approve(boss, emergency_3), "firm_cap_exhausted")
    third_growth = _approve(boss, growth_2)
    assert third_growth.status_code == 200, third_growth.get_json()
    assert third_growth.get_json()["government_share"] == 1_000_000

    usage = boss.get(f"/firms/{firm.id}").get_json()["usage"]
    assert usage["emergency"]["remaining"] == 0
    assert usage["emergency"]["reserved"] == 5_000_000
    assert usage["growth"]["reserved"] == 6_000_000
    assert usage["growth"]["remaining"] == 14_000_000
    assert_books_ok()
    assert_caps_and_pool_hold()


def test_pool_smaller_than_the_share_limits_it_then_refuses(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=2_500_500)  # a 2,500,000 share: one approver
    first = quick_claim(make.firm().id, manager.id, [("parts", 8_000_000)])
    second = quick_claim(make.firm().id, manager.id, [("parts", 4_000_000)])

    claim = _approve(boss, first).get_json()
    assert claim["computed_share"] == 4_000_000
    assert claim["government_share"] == 2_500_000  # floor(pool / unit) × unit
    assert claim["firm_share"] == 5_500_000
    assert claim["limited_by"] == "pool"
    _assert_shares_add_up(claim)
    assert boss.get("/ledger/pool").get_json()["available"] == 500

    assert _claim(boss, second)["preview"]["refusal"] == "pool_exhausted"
    _refused(_approve(boss, second), "pool_exhausted")
    assert transactions_of(second, "reserve") == 0
    assert_books_ok()


def test_firm_cap_exhausted_is_refused_and_a_void_gives_the_room_back(boss, second, make, manager):
    make.fiscal_year(year=this_year(), budget=1_000_000_000, second_approval_from=ONE_APPROVER)
    firm = make.firm()
    big = quick_claim(firm.id, manager.id, [("parts", 12_000_000)])
    next_one = quick_claim(firm.id, manager.id, [("parts", 2_000_000)])

    claim = _approve(boss, big).get_json()
    assert (claim["computed_share"], claim["government_share"]) == (6_000_000, 5_000_000)
    assert claim["limited_by"] == "firm_cap"
    assert claim["firm_share"] == 7_000_000
    _refused(_approve(boss, next_one), "firm_cap_exhausted")

    asked = boss.post(f"/claims/{big}/void", json={"reason": "중복 청구"})
    assert _claim(boss, big)["status"] == "approved"  # a request only, until confirmed
    assert _approve(boss, next_one).status_code == 409
    voided = confirmed(second, asked)
    assert voided["result"]["released"] == 5_000_000
    assert _claim(boss, big)["status"] == "voided"
    again = _approve(boss, next_one)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["government_share"] == 1_000_000
    assert_books_ok()


def test_an_exact_tie_between_cap_and_pool_is_reported_as_firm_cap(boss, make, manager):
    make.fiscal_year(
        year=this_year(),
        budget=3_000_000,
        cap_emergency=3_000_000,
        second_approval_from=ONE_APPROVER,
    )
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 10_000_000)])
    claim = _approve(boss, claim_id).get_json()
    assert claim["government_share"] == 3_000_000
    assert claim["limited_by"] == "firm_cap"


def test_no_open_fiscal_year_for_today_is_refused(boss, make, manager):
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    assert _claim(boss, claim_id)["preview"] is None
    _refused(_approve(boss, claim_id), "no_fiscal_year")

    make.fiscal_year(year=this_year() - 1, budget=100_000_000)  # last year's does not count
    _refused(_approve(boss, claim_id), "no_fiscal_year")

    make.fiscal_year(year=this_year(), budget=100_000_000)
    db.session.execute(
        update(FiscalYear).where(FiscalYear.year == this_year()).values(is_open=False)
    )
    db.session.commit()
    _refused(_approve(boss, claim_id), "no_fiscal_year")
    pending = _claim(boss, claim_id)
    assert (pending["status"], pending["fiscal_year"]) == ("pending", None)
    assert db.session.execute(text("SELECT COUNT(*) FROM firm_usage")).scalar() == 0
    db.session.rollback()

    db.session.execute(
        update(FiscalYear).where(FiscalYear.year == this_year()).values(is_open=True)
    )
    db.session.commit()
    approved = _approve(boss, claim_id)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["fiscal_year"] == this_year()
    assert_books_ok()


def test_a_firm_sees_its_claims_figures_but_not_the_programme_pool(
    api, client, auth, boss, make, manager
):
    make.fiscal_year(year=this_year(), budget=123_456_000)
    firm = make.firm()
    owner = make.user("firm", firm=firm)
    claim_id = quick_claim(firm.id, manager.id, [("labour", 2_000_000)])

    assert _claim(boss, claim_id)["preview"]["pool_available"] == 123_456_000
    firms_view = _claim(api.as_(owner), claim_id)["preview"]
    assert firms_view["pool_available"] is None
    assert firms_view["government_share"] == 1_000_000  # its own figures stay

    auth.login(owner)
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "1,000,000" in page
    assert "123,456,000" not in page
    assert "풀 가용액" not in page
    auth.logout()
    auth.login(manager)
    assert "123,456,000" in client.get(f"/claims/{claim_id}").get_data(as_text=True)
