"""The cost-share formula of SPEC.md §5, on integer won: expected values by hand.

Unless a row says otherwise the fiscal year is the 2021 default: rate 5000 bp (50 %),
rounding unit 1,000 won. "Plenty" is a firm cap or pool far above any share here.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercare.domain.money import (
    COST_KINDS,
    DEFAULT_ELIGIBLE,
    Share,
    computed_share,
    cost_share,
    line_amount,
    refusal_reason,
    validate_cost_line,
)

RATE = 5000
UNIT = 1000
PLENTY = 4_400_000_000


# --- computed_share -------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligible", "rate", "unit", "expected"),
    [
        # 50 %, unit 1,000: the edges around the first whole unit
        (0, RATE, UNIT, 0),
        (1, RATE, UNIT, 0),
        (1_999, RATE, UNIT, 0),  # 999.5 won is below one unit
        (2_000, RATE, UNIT, 1_000),  # exactly one unit
        (2_001, RATE, UNIT, 1_000),  # 1,000.5 → 1,000
        (3_999, RATE, UNIT, 1_000),  # 1,999.5 → 1,000
        (4_000, RATE, UNIT, 2_000),
        # odd amounts floor, never round up
        (1_234_567, RATE, UNIT, 617_000),  # 617,283.5
        (9_999_999, RATE, UNIT, 4_999_000),  # 4,999,999.5
        (1_999_999, RATE, UNIT, 999_000),  # 999,999.5
        # exact multiples are kept whole
        (10_000_000, RATE, UNIT, 5_000_000),
        (40_000_000, RATE, UNIT, 20_000_000),
        (8_800_000_000, RATE, UNIT, 4_400_000_000),
        # rate 10000 bp (100 %)
        (1_234_567, 10_000, UNIT, 1_234_000),
        (1_000, 10_000, UNIT, 1_000),
        (999, 10_000, UNIT, 0),
        # rate 1 bp (0.01 %)
        (10_000_000, 1, UNIT, 1_000),  # exactly 1,000 won
        (9_999_999, 1, UNIT, 0),  # 999.9999 won
        (10_000, 1, 1, 1),
        (9_999, 1, 1, 0),
        # rate 0
        (10_000_000, 0, UNIT, 0),
        # unit 1
        (1_234_567, RATE, 1, 617_283),
        (1, RATE, 1, 0),  # 0.5 won
        (2, RATE, 1, 1),
        # unit 10,000
        (1_234_567, RATE, 10_000, 610_000),
        (19_999, RATE, 10_000, 0),  # 9,999.5
        (20_000, RATE, 10_000, 10_000),
        (39_999, RATE, 10_000, 10_000),  # 19,999.5
    ],
)
def test_computed_share_floors_the_rate_share_to_whole_units(eligible, rate, unit, expected):
    assert computed_share(eligible, rate, unit) == expected


def test_a_share_below_one_unit_is_refused_as_share_below_unit():
    share = cost_share(1_999, RATE, UNIT, PLENTY, PLENTY)
    assert share.computed_share == 0
    assert share.government_share == 0
    assert share.firm_share == 1_999
    assert refusal_reason(share) == "share_below_unit"


def test_a_share_of_exactly_one_unit_may_be_approved():
    share = cost_share(2_000, RATE, UNIT, PLENTY, PLENTY)
    assert share == Share(2_000, 1_000, 1_000, 1_000, "none")
    assert refusal_reason(share) is None


# --- cost_share: the firm cap and the pool ---------------------------------------


@pytest.mark.parametrize(
    ("eligible", "firm_remaining", "pool", "government", "firm", "limited_by"),
    [
        # the computed share fits both bounds
        (10_000_000, 5_000_000, PLENTY, 5_000_000, 5_000_000, "none"),  # exactly at the cap
        (10_000_000, PLENTY, 5_000_000, 5_000_000, 5_000_000, "none"),  # exactly the pool
        (1_234_567, 5_000_000, PLENTY, 617_000, 617_567, "none"),
        (2_000, 1_000, 1_000, 1_000, 1_000, "none"),
        # a bound above the computed share but not a unit multiple does not limit
        (10_000_000, 5_000_500, 5_000_999, 5_000_000, 5_000_000, "none"),
        # the firm's remaining cap limits
        (20_000_000, 5_000_000, PLENTY, 5_000_000, 15_000_000, "firm_cap"),
        (10_000_000, 4_999_999, PLENTY, 4_999_000, 5_001_000, "firm_cap"),
        (20_000_000, 1_234_500, PLENTY, 1_234_000, 18_766_000, "firm_cap"),
        # the pool limits
        (20_000_000, PLENTY, 3_000_000, 3_000_000, 17_000_000, "pool"),
        (20_000_000, PLENTY, 2_500_999, 2_500_000, 17_500_000, "pool"),
        # both limit: the smaller one wins
        (20_000_000, 3_000_000, 4_000_000, 3_000_000, 17_000_000, "firm_cap"),
        (20_000_000, 4_000_000, 3_000_000, 3_000_000, 17_000_000, "pool"),
        (20_000_000, 2_000_001, 2_000_000, 2_000_000, 18_000_000, "pool"),  # by one won
        (20_000_000, 2_000_000, 2_000_001, 2_000_000, 18_000_000, "firm_cap"),
        # an exact tie between firm_remaining and pool_available names the firm cap
        (20_000_000, 4_000_000, 4_000_000, 4_000_000, 16_000_000, "firm_cap"),
        (20_000_000, 1_234_500, 1_234_500, 1_234_000, 18_766_000, "firm_cap"),
    ],
)
def test_cost_share_takes_the_smallest_of_computed_share_firm_cap_and_pool(
    eligible, firm_remaining, pool, government, firm, limited_by
):
    share = cost_share(eligible, RATE, UNIT, firm_remaining, pool)
    assert share.eligible_total == eligible
    assert share.government_share == government
    assert share.firm_share == firm
    assert share.limited_by == limited_by
    assert share.government_share + share.firm_share == eligible


@pytest.mark.parametrize(
    ("firm_remaining", "pool", "reason"),
    [
        (0, PLENTY, "firm_cap_exhausted"),
        (-1, PLENTY, "firm_cap_exhausted"),
        (-5_000_000, PLENTY, "firm_cap_exhausted"),  # cap lowered below what was used
        (999, PLENTY, "firm_cap_exhausted"),  # less than one unit left
        (PLENTY, 0, "pool_exhausted"),
        (PLENTY, 999, "pool_exhausted"),
        (5_000_000, 0, "pool_exhausted"),
        (-1, 3_000_000, "firm_cap_exhausted"),
        (0, 0, "firm_cap_exhausted"),  # an exact tie names the firm cap
    ],
)
def test_an_exhausted_bound_gives_no_government_share_and_names_the_reason(
    firm_remaining, pool, reason
):
    share = cost_share(10_000_000, RATE, UNIT, firm_remaining, pool)
    assert share.computed_share == 5_000_000
    assert share.government_share == 0
    assert share.firm_share == 10_000_000
    assert share.limited_by == ("firm_cap" if reason == "firm_cap_exhausted" else "pool")
    assert refusal_reason(share) == reason


@pytest.mark.parametrize(
    ("rate", "unit", "government"),
    [
        (10_000, UNIT, 1_234_000),
        (1, UNIT, 0),  # 123.4567 won
        (RATE, 1, 617_283),
        (RATE, 10_000, 610_000),
    ],
)
def test_cost_share_uses_the_fiscal_years_rate_and_unit(rate, unit, government):
    share = cost_share(1_234_567, rate, unit, PLENTY, PLENTY)
    assert share.government_share == government
    assert share.firm_share == 1_234_567 - government
    assert share.limited_by == "none"


def test_firm_cap_below_one_unit_of_ten_thousand_floors_to_zero():
    share = cost_share(1_000_000, RATE, 10_000, 9_999, PLENTY)
    assert share.government_share == 0
    assert share.limited_by == "firm_cap"
    assert refusal_reason(share) == "firm_cap_exhausted"


# --- type safety ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (2_000.0, RATE, UNIT),
        (True, RATE, UNIT),
        (2_000, 5000.0, UNIT),
        (2_000, True, UNIT),
        (2_000, RATE, 1000.0),
        (2_000, RATE, True),
        ("2000", RATE, UNIT),
    ],
)
def test_computed_share_refuses_floats_bools_and_strings_as_money(args):
    with pytest.raises(TypeError):
        computed_share(*args)


@pytest.mark.parametrize(
    "args",
    [
        (2_000.0, RATE, UNIT, PLENTY, PLENTY),
        (False, RATE, UNIT, PLENTY, PLENTY),
        (2_000, RATE, UNIT, 5_000_000.0, PLENTY),
        (2_000, RATE, UNIT, True, PLENTY),
        (2_000, RATE, UNIT, PLENTY, 4.4e9),
        (2_000, RATE, UNIT, PLENTY, True),
    ],
)
def test_cost_share_refuses_floats_and_bools_as_money(args):
    with pytest.raises(TypeError):
        cost_share(*args)


@pytest.mark.parametrize(
    "args",
    [
        (-1, RATE, UNIT),
        (-2_000, RATE, UNIT),
        (2_000, RATE, 0),
        (2_000, RATE, -1_000),
        (2_000, -1, UNIT),
        (2_000, 10_001, UNIT),
    ],
)
def test_computed_share_refuses_negative_totals_non_positive_units_and_rates_out_of_range(args):
    with pytest.raises(ValueError, match="eligible total"):
        computed_share(*args)


@pytest.mark.parametrize(
    "args", [(-1, RATE, UNIT, PLENTY, PLENTY), (2_000, RATE, 0, PLENTY, PLENTY)]
)
def test_cost_share_refuses_a_negative_total_or_a_zero_unit(args):
    with pytest.raises(ValueError, match="eligible total"):
        cost_share(*args)


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount"),
    [(1, 0, 0), (3, 150_000, 450_000), (1_000_000, 10_000_000_000, 10**16)],
)
def test_line_amount_is_quantity_times_unit_price(quantity, unit_price, amount):
    assert line_amount(quantity, unit_price) == amount


@pytest.mark.parametrize(("quantity", "unit_price"), [(1.0, 1_000), (1, 1_000.0), (True, 1_000)])
def test_line_amount_refuses_floats_and_bools(quantity, unit_price):
    with pytest.raises(TypeError):
        line_amount(quantity, unit_price)


# --- cost lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "eligible"),
    [
        ("labour", True),
        ("parts", True),
        ("software", True),
        ("travel", False),
        ("other", False),
    ],
)
def test_default_eligibility_of_each_cost_kind(kind, eligible):
    assert DEFAULT_ELIGIBLE[kind] is eligible


def test_the_cost_kinds_are_exactly_the_five_of_the_spec():
    assert set(COST_KINDS) == {"labour", "parts", "software", "travel", "other"}
    assert set(DEFAULT_ELIGIBLE) == set(COST_KINDS)


@pytest.mark.parametrize("kind", ["labour", "parts", "software", "travel", "other"])
def test_a_line_of_each_kind_is_valid(kind):
    assert validate_cost_line(kind, "PLC I/O card", 1, 150_000) == []


@pytest.mark.parametrize(
    ("kind", "description", "quantity", "unit_price", "problem"),
    [
        # kind
        ("gift", "PLC I/O card", 1, 150_000, "Kind"),
        ("", "PLC I/O card", 1, 150_000, "Kind"),
        # description
        ("parts", "", 1, 150_000, "Describe"),
        ("parts", "   ", 1, 150_000, "Describe"),
        ("parts", "x" * 201, 1, 150_000, "Describe"),
        # quantity
        ("parts", "PLC I/O card", 0, 150_000, "Quantity"),
        ("parts", "PLC I/O card", -1, 150_000, "Quantity"),
        ("parts", "PLC I/O card", True, 150_000, "Quantity"),
        ("parts", "PLC I/O card", 1.0, 150_000, "Quantity"),
        ("parts", "PLC I/O card", 1.5, 150_000, "Quantity"),
        ("parts", "PLC I/O card", "1", 150_000, "Quantity"),
        # unit price
        ("parts", "PLC I/O card", 1, -1, "Unit price"),
        ("parts", "PLC I/O card", 1, 10_000_000_001, "Unit price"),
        ("parts", "PLC I/O card", 1, 150_000.0, "Unit price"),
        ("parts", "PLC I/O card", 1, False, "Unit price"),
    ],
)
def test_an_invalid_cost_line_has_exactly_one_problem_naming_the_field(
    kind, description, quantity, unit_price, problem
):
    problems = validate_cost_line(kind, description, quantity, unit_price)
    assert len(problems) == 1
    assert problem in problems[0]


@pytest.mark.parametrize(
    ("description", "quantity", "unit_price"),
    [
        ("x", 1, 150_000),  # one-character description
        ("x" * 200, 1, 150_000),  # 200 characters is the most allowed
        ("PLC I/O card", 1, 0),  # a free part
        ("PLC I/O card", 1, 10_000_000_000),  # the largest unit price
        ("PLC I/O card", 2, 150_000),
    ],
)
def test_a_cost_line_at_the_allowed_edges_is_valid(description, quantity, unit_price):
    assert validate_cost_line("parts", description, quantity, unit_price) == []


def test_every_problem_of_a_line_is_reported_at_once():
    assert len(validate_cost_line("gift", "", 0, -1)) == 4


# --- properties -------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**12)
rates = st.integers(min_value=0, max_value=10_000)
units = st.sampled_from([1, 10, 100, 1_000, 10_000])
bounds = st.integers(min_value=-(10**9), max_value=10**12)


@settings(deadline=None, database=None, max_examples=500)
@given(eligible=amounts, rate=rates, unit=units, remaining=bounds, pool=bounds)
def test_cost_share_properties_hold_for_any_integer_inputs(eligible, rate, unit, remaining, pool):
    share = cost_share(eligible, rate, unit, remaining, pool)
    government, computed = share.government_share, share.computed_share

    assert share.eligible_total == eligible
    assert computed % unit == 0
    assert government % unit == 0
    assert 0 <= government <= computed
    # computed ≤ eligible × rate / 10000, and it is the largest such unit multiple
    assert computed * 10_000 <= eligible * rate
    assert (computed + unit) * 10_000 > eligible * rate
    assert government <= max(remaining, 0)
    assert government <= max(pool, 0)
    # the government share is the largest unit multiple under all three bounds
    assert government + unit > min(computed, max(remaining, 0), max(pool, 0))
    assert government + share.firm_share == eligible
    assert share.firm_share >= 0
    assert share.limited_by in {"none", "firm_cap", "pool"}
    assert (share.limited_by == "none") == (government == computed)
    assert (refusal_reason(share) is None) == (government > 0)


@settings(deadline=None, database=None)
@given(eligible=amounts, rate=rates, unit=units)
def test_computed_share_never_exceeds_the_eligible_total(eligible, rate, unit):
    assert 0 <= computed_share(eligible, rate, unit) <= eligible
