"""The recovery case's state machine and dates (aftercare.domain.recovery), as tables."""

from __future__ import annotations

from datetime import date

import pytest

from aftercare.domain import recovery as rules
from aftercare.domain.errors import InvalidTransition

ALL = sorted(
    {s for sources, _ in rules.TRANSITIONS.values() for s in sources}
    | {target for _, target in rules.TRANSITIONS.values()}
)
ALLOWED = {
    ("decide", "open"): "decided",
    ("dismiss", "open"): "dismissed",
    ("object", "decided"): "objected",
    ("uphold", "objected"): "upheld",
    ("revise", "objected"): "revised",
    **{("pay_part", s): "partly_paid" for s in ("decided", "upheld", "revised", "partly_paid")},
    **{("pay_off", s): "paid" for s in ("decided", "upheld", "revised", "partly_paid")},
    **{("write_off", s): "written_off" for s in ("decided", "upheld", "revised", "partly_paid")},
}


@pytest.mark.parametrize("action", sorted(rules.TRANSITIONS))
@pytest.mark.parametrize("status", ALL)
def test_every_action_from_every_status(action: str, status: str) -> None:
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            rules.next_status(action, status)
        assert refused.value.current_status == status
    else:
        assert rules.next_status(action, status) == expected


def test_final_statuses_allow_nothing() -> None:
    for status in rules.FINAL:
        assert not [a for a in rules.TRANSITIONS if (a, status) in ALLOWED]


@pytest.mark.parametrize(
    ("owed", "amount", "action"),
    [(100, 100, "pay_off"), (100, 99, "pay_part"), (100, 1, "pay_part")],
)
def test_a_payment_of_what_is_owed_settles_the_case(owed: int, amount: int, action: str) -> None:
    assert rules.payment_action(owed, amount) == action


@pytest.mark.parametrize(
    ("today", "allowed"),
    [(date(2021, 7, 1), True), (date(2021, 7, 31), True), (date(2021, 8, 1), False)],
)
def test_the_firm_may_object_for_30_days_after_the_decision(today: date, allowed: bool) -> None:
    assert rules.may_object(date(2021, 7, 1), today) is allowed


@pytest.mark.parametrize(
    ("status", "today", "soon", "overdue"),
    [
        ("decided", date(2021, 7, 23), False, False),  # 8 days before
        ("decided", date(2021, 7, 24), True, False),  # 7 days before
        ("partly_paid", date(2021, 7, 31), True, False),  # the due day itself
        ("revised", date(2021, 8, 1), False, True),
        ("objected", date(2021, 8, 1), False, False),  # nothing owed while it is objected
        ("paid", date(2021, 8, 1), False, False),
    ],
)
def test_due_soon_and_overdue(status: str, today: date, soon: bool, overdue: bool) -> None:
    due = date(2021, 7, 31)
    assert rules.is_due_soon(status, due, today) is soon
    assert rules.is_overdue(status, due, today) is overdue


def test_a_restriction_runs_its_years_and_ends_by_itself() -> None:
    span = rules.restriction_from(date(2021, 3, 15), 3)
    assert span.ends_on == date(2024, 3, 15)
    assert span.active_on(date(2021, 3, 15))
    assert span.active_on(date(2024, 3, 14))
    assert not span.active_on(date(2024, 3, 15))
    assert not span.active_on(date(2021, 3, 14))


def test_a_restriction_from_29_february_ends_on_28_february() -> None:
    assert rules.restriction_from(date(2024, 2, 29), 3).ends_on == date(2027, 2, 28)


def test_only_false_documents_restrict() -> None:
    assert [g for g in rules.GROUNDS if rules.restricts(g)] == ["false_invoice"]
