"""Recovery cases (환수), objections (이의신청) and participation restrictions (참여제한).

A case on settled claims of one firm: open → decided (a manager other than the opener,
with the amount and a due date) or dismissed; decided → objected (the firm, within 30
days of the decision) → upheld or revised (a manager other than the decider); decided,
upheld, revised → partly_paid … paid as money comes back, or written_off. Rules in
docs/recovery.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from aftercare.domain.errors import InvalidTransition

OBJECTION_DAYS = 30
DUE_SOON_DAYS = 7
DEFAULT_RESTRICTION_YEARS = 3

GROUNDS = ("false_invoice", "firm_share_unpaid", "obligation_breached", "other")
# Grounds whose decided case excludes the firm from support (false documents).
RESTRICTING_GROUNDS = frozenset({"false_invoice"})

# Every status, in the order a case moves through them (lists and filters show this order).
STATUSES = (
    "open", "decided", "objected", "upheld", "revised", "partly_paid", "paid", "dismissed",
    "written_off",
)  # fmt: skip
# Statuses in which money is owed (the receivable is open).
OWING = frozenset({"decided", "upheld", "revised", "partly_paid"})
FINAL = frozenset({"dismissed", "paid", "written_off"})

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "decide": (frozenset({"open"}), "decided"),
    "dismiss": (frozenset({"open"}), "dismissed"),
    "object": (frozenset({"decided"}), "objected"),
    "uphold": (frozenset({"objected"}), "upheld"),
    "revise": (frozenset({"objected"}), "revised"),
    "pay_part": (OWING, "partly_paid"),
    "pay_off": (OWING, "paid"),
    "write_off": (OWING, "written_off"),
}


def next_status(action: str, current: str) -> str:
    """The status `action` leads to, or InvalidTransition (409) from `current`."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(
            f"Cannot {action} a recovery case that is {current}", current_status=current
        )
    return target


def payment_action(owed: int, amount: int) -> str:
    """`pay_off` when `amount` settles what is owed, `pay_part` when less remains."""
    return "pay_off" if amount == owed else "pay_part"


def objection_deadline(decided_on: date) -> date:
    """The last day the firm may object: 30 days after the decision."""
    return decided_on + timedelta(days=OBJECTION_DAYS)


def may_object(decided_on: date, today: date) -> bool:
    return today <= objection_deadline(decided_on)


def is_overdue(status: str, due_on: date | None, today: date) -> bool:
    return status in OWING and due_on is not None and today > due_on


def is_due_soon(status: str, due_on: date | None, today: date) -> bool:
    """Owed and due within the next 7 days (not yet overdue)."""
    return status in OWING and due_on is not None and today <= due_on <= today + timedelta(days=7)


def restricts(grounds: str) -> bool:
    """A decided case on these grounds excludes the firm from support."""
    return grounds in RESTRICTING_GROUNDS


def add_years(start: date, years: int) -> date:
    """`start` moved `years` years on (29 February falls back to the 28th)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True)
class Restriction:
    starts_on: date
    ends_on: date  # the last restricted day is the day before

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day < self.ends_on


def restriction_from(decided_on: date, years: int) -> Restriction:
    """A restriction of `years` years from the decision date."""
    return Restriction(decided_on, add_years(decided_on, years))
