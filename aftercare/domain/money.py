"""The cost-share formula of SPEC §5, on integer won only."""

from __future__ import annotations

from dataclasses import dataclass

from aftercare.domain.text import N_

DEFAULT_ELIGIBLE = {
    "labour": True,
    "parts": True,
    "software": True,
    "travel": False,
    "other": False,
}
COST_KINDS = tuple(DEFAULT_ELIGIBLE)
UNIT_PRICE_MAX = 10_000_000_000
QUANTITY_MAX = 1_000_000


@dataclass(frozen=True)
class Share:
    eligible_total: int
    computed_share: int
    government_share: int
    firm_share: int
    limited_by: str  # none | firm_cap | pool


def _require_int(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an integer number of won, not {type(value).__name__}")


def floor_to_unit(amount: int, unit: int) -> int:
    """Round down to a multiple of `unit` (amounts below zero count as zero)."""
    _require_int(amount=amount, unit=unit)
    if unit <= 0:
        raise ValueError("the rounding unit must be positive")
    return max(amount, 0) // unit * unit


def computed_share(eligible_total: int, rate_bp: int, unit: int) -> int:
    """floor(eligible_total × rate / 10000 / unit) × unit, exactly, in integers."""
    _require_int(eligible_total=eligible_total, rate_bp=rate_bp, unit=unit)
    if eligible_total < 0 or not 0 <= rate_bp <= 10_000 or unit <= 0:
        raise ValueError("eligible total ≥ 0, rate 0–10000 bp, unit > 0")
    return eligible_total * rate_bp // (10_000 * unit) * unit


def cost_share(
    eligible_total: int, rate_bp: int, unit: int, firm_remaining: int, pool_available: int
) -> Share:
    """The government and firm shares of a claim and what limited them."""
    _require_int(firm_remaining=firm_remaining, pool_available=pool_available)
    computed = computed_share(eligible_total, rate_bp, unit)
    firm_room = max(firm_remaining, 0)
    pool_room = max(pool_available, 0)
    government = floor_to_unit(min(computed, firm_room, pool_room), unit)
    if government == computed:
        limited_by = "none"
    elif firm_room <= pool_room:
        limited_by = "firm_cap"  # the smaller bound, firm_cap on an exact tie
    else:
        limited_by = "pool"
    return Share(eligible_total, computed, government, eligible_total - government, limited_by)


def refusal_reason(share: Share) -> str | None:
    """Why approval must be refused (government share 0), or None when it may go ahead."""
    if share.government_share > 0:
        return None
    if share.computed_share == 0:
        return "share_below_unit"
    return "firm_cap_exhausted" if share.limited_by == "firm_cap" else "pool_exhausted"


def reduced_share(government_share: int, eligible_total: int, rate_bp: int, unit: int) -> int:
    """An approved claim's government share after its eligible total went down.

    Never more than was reserved (the cap or the pool may have limited it), never more
    than the formula gives for the new total: min(reserved, computed(new total)).
    """
    _require_int(government_share=government_share)
    return min(government_share, computed_share(eligible_total, rate_bp, unit))


def line_amount(quantity: int, unit_price: int) -> int:
    _require_int(quantity=quantity, unit_price=unit_price)
    return quantity * unit_price


def validate_cost_line(
    kind: str, description: str, quantity: object, unit_price: object
) -> list[str]:
    """Problems with one cost line (empty when valid)."""
    problems = []
    if kind not in COST_KINDS:
        problems.append(N_("Kind must be labour, parts, software, travel or other."))
    if not (description or "").strip() or len(description) > 200:
        problems.append(N_("Describe the cost in 1 to 200 characters."))
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= QUANTITY_MAX
    ):
        problems.append(N_("Quantity must be a whole number of at least 1."))
    if (
        not isinstance(unit_price, int)
        or isinstance(unit_price, bool)
        or not 0 <= unit_price <= UNIT_PRICE_MAX
    ):
        problems.append(N_("Unit price must be a whole number of won from 0 to 10,000,000,000."))
    return problems
