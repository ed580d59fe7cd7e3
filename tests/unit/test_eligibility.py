"""Triage eligibility findings of SPEC §3."""

import pytest

from aftercare.domain.eligibility import eligibility_findings, is_eligible

YEAR = 2021


def check(
    size="small",
    built_year=2019,
    policy_fund_year=2020,
    support_type="emergency",
    year=YEAR,
):
    findings = eligibility_findings(size, built_year, policy_fund_year, support_type, year)
    return {f.code: f.ok for f in findings}, is_eligible(findings)


@pytest.mark.parametrize(("size", "ok"), [("micro", True), ("small", True), ("medium", False)])
def test_only_micro_and_small_firms_are_small_enterprises(size, ok):
    codes, eligible = check(size=size)
    assert codes["size"] is ok
    assert eligible is ok


def test_a_firm_without_a_built_smart_factory_is_not_eligible():
    codes, eligible = check(built_year=None)
    assert codes["smart_factory"] is False
    assert eligible is False


def test_a_firm_with_a_build_year_has_a_smart_factory():
    codes, eligible = check(built_year=2015)
    assert codes["smart_factory"] is True
    assert eligible is True


@pytest.mark.parametrize(
    ("policy_fund_year", "ok"),
    [
        (YEAR, True),  # this year
        (YEAR - 1, True),
        (YEAR - 3, True),  # exactly three years back: still within the window
        (YEAR - 4, False),  # four years back: outside
        (YEAR - 10, False),
        (None, False),
    ],
)
def test_growth_needs_a_policy_fund_investment_within_three_years(policy_fund_year, ok):
    codes, eligible = check(support_type="growth", policy_fund_year=policy_fund_year)
    assert codes["policy_fund"] is ok
    assert eligible is ok


@pytest.mark.parametrize("policy_fund_year", [None, YEAR - 4, YEAR - 10])
def test_emergency_ignores_the_policy_fund(policy_fund_year):
    codes, eligible = check(support_type="emergency", policy_fund_year=policy_fund_year)
    assert "policy_fund" not in codes
    assert eligible is True


def test_every_failing_rule_is_reported_not_just_the_first():
    codes, eligible = check(
        size="medium", built_year=None, policy_fund_year=None, support_type="growth"
    )
    assert codes == {"size": False, "smart_factory": False, "policy_fund": False}
    assert eligible is False


def test_findings_carry_a_message_for_the_triage_page():
    findings = eligibility_findings("medium", None, None, "growth", YEAR)
    assert all(isinstance(f.message, str) and f.message for f in findings)
