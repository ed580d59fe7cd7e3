"""Password policy, ledger legs and the audit chain: pure functions."""

import pytest

from aftercare.domain import ledger
from aftercare.domain.audit_chain import GENESIS, HMAC_SCHEME, first_broken_link, link_hmac
from aftercare.domain.passwords import password_problems


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("123456789", False),  # nine characters
        ("1234567890", False),  # common
        ("aaaaaaaaaaaa", False),  # too simple
        ("Qwertyuiop", False),  # common, any case
        ("factory-line-42", True),
        ("한국어비밀번호도좋아요", True),
    ],
)
def test_password_policy(password, ok):
    assert (password_problems(password) == []) is ok


def test_password_may_not_contain_the_email_name():
    assert password_problems("kimfactory-2021", "kimfactory@example.kr")


@pytest.mark.parametrize(
    ("kind", "debit", "credit"),
    [
        ("fund", "funding", "pool_available"),
        ("reserve", "pool_available", "pool_reserved"),
        ("release", "pool_reserved", "pool_available"),
        ("settle", "pool_reserved", "paid_out"),
    ],
)
def test_each_transaction_type_moves_between_its_two_accounts(kind, debit, credit):
    assert ledger.legs(kind, 1000) == [(debit, -1000), (credit, 1000)]
    assert ledger.is_balanced(a for _, a in ledger.legs(kind, 1000))


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_legs_refuse_non_positive_or_non_integer_amounts(amount):
    with pytest.raises(ValueError, match="positive integer"):
        ledger.legs("fund", amount)


def test_unknown_transaction_type_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        ledger.legs("gift", 10)


def test_balance_needs_two_postings_summing_to_zero():
    assert not ledger.is_balanced([0])
    assert not ledger.is_balanced([100, -99])
    assert ledger.is_balanced([100, -60, -40])


KEY = b"unit-test-audit-key"


def _chain(payloads):
    prev, rows = GENESIS, []
    for i, payload in enumerate(payloads, start=1):
        h = link_hmac(KEY, prev, payload)
        rows.append((i, prev, h, HMAC_SCHEME, payload))
        prev = h
    return rows


def test_untouched_chain_verifies():
    assert first_broken_link(_chain([{"a": 1}, {"b": "한글"}, {"c": None}]), KEY) is None


def test_changed_payload_is_the_first_broken_link():
    rows = _chain([{"a": 1}, {"b": 2}, {"c": 3}])
    rows[1] = (*rows[1][:4], {"b": 999})
    assert first_broken_link(rows, KEY) == (2, "hash does not match the event's content")


def test_removed_event_breaks_the_next_link():
    rows = _chain([{"a": 1}, {"b": 2}, {"c": 3}])
    del rows[1]
    assert first_broken_link(rows, KEY)[0] == 3
