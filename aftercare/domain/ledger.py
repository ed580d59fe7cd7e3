"""Double-entry rules of SPEC §5 as plain functions."""

from __future__ import annotations

from collections.abc import Iterable

FUNDING = "funding"
POOL_AVAILABLE = "pool_available"
POOL_RESERVED = "pool_reserved"
PAID_OUT = "paid_out"
ACCOUNTS = (FUNDING, POOL_AVAILABLE, POOL_RESERVED, PAID_OUT)
# Accounts that may never go below zero; `funding` is the negative side of the books.
NON_NEGATIVE = (POOL_AVAILABLE, POOL_RESERVED, PAID_OUT)

TRANSACTION_LEGS: dict[str, tuple[str, str]] = {
    # type: (account debited −X, account credited +X)
    "fund": (FUNDING, POOL_AVAILABLE),
    "reserve": (POOL_AVAILABLE, POOL_RESERVED),
    "release": (POOL_RESERVED, POOL_AVAILABLE),
    "settle": (POOL_RESERVED, PAID_OUT),
    # Part of an approved claim's reservation given back (a line disallowed at review).
    "adjust": (POOL_RESERVED, POOL_AVAILABLE),
}


def legs(transaction_type: str, amount: int) -> list[tuple[str, int]]:
    """The postings of a transaction of `amount` won (>0)."""
    if transaction_type not in TRANSACTION_LEGS:
        raise ValueError(f"unknown transaction type {transaction_type!r}")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError("a transaction moves a positive integer number of won")
    source, target = TRANSACTION_LEGS[transaction_type]
    return [(source, -amount), (target, amount)]


def is_balanced(amounts: Iterable[int]) -> bool:
    """True when there are at least two postings and they sum to zero."""
    values = list(amounts)
    return len(values) >= 2 and sum(values) == 0
