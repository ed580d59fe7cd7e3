"""Double-entry rules of SPEC §5 as plain functions."""

from __future__ import annotations

from collections.abc import Iterable

FUNDING = "funding"
POOL_AVAILABLE = "pool_available"
POOL_RESERVED = "pool_reserved"
PAID_OUT = "paid_out"
# Recovery (docs/recovery.md): money clawed back is owed by the firm (receivable) until
# it comes back (recovered, for the treasury: never the pool) or is written off.
RECOVERY_RECEIVABLE = "recovery_receivable"
RECOVERED = "recovered"
WRITTEN_OFF = "written_off"
ACCOUNTS = (
    FUNDING,
    POOL_AVAILABLE,
    POOL_RESERVED,
    PAID_OUT,
    RECOVERY_RECEIVABLE,
    RECOVERED,
    WRITTEN_OFF,
)
# Accounts that may never go below zero; `funding` is the negative side of the books.
NON_NEGATIVE = (
    POOL_AVAILABLE,
    POOL_RESERVED,
    PAID_OUT,
    RECOVERY_RECEIVABLE,
    RECOVERED,
    WRITTEN_OFF,
)

TRANSACTION_LEGS: dict[str, tuple[str, str]] = {
    # type: (account debited −X, account credited +X)
    "fund": (FUNDING, POOL_AVAILABLE),
    "reserve": (POOL_AVAILABLE, POOL_RESERVED),
    "release": (POOL_RESERVED, POOL_AVAILABLE),
    "settle": (POOL_RESERVED, PAID_OUT),
    # Part of an approved claim's reservation given back (a line disallowed at review).
    "adjust": (POOL_RESERVED, POOL_AVAILABLE),
    # A recovery case decided: paid money becomes owed by the firm.
    "clawback": (PAID_OUT, RECOVERY_RECEIVABLE),
    # An objection revised the decided amount down: the difference counts as paid again.
    "revise": (RECOVERY_RECEIVABLE, PAID_OUT),
    "recovery": (RECOVERY_RECEIVABLE, RECOVERED),
    "write_off": (RECOVERY_RECEIVABLE, WRITTEN_OFF),
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
