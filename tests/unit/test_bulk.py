"""Bulk actions: the selection rules and the reason given for a refused ticket."""

import pytest

from aftercare.domain.bulk import MAX_ID, MAX_SELECTION, failure_reason, selected_ids
from aftercare.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)


def test_selection_keeps_the_given_order_and_drops_repeats():
    assert selected_ids([5, 3, 5, 9, 3]) == [5, 3, 9]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Select at least one ticket."),
        (list(range(1, MAX_SELECTION + 2)), "Select at most 100 tickets at a time."),
        ([0], "Ticket numbers must be positive whole numbers."),
        ([-4], "Ticket numbers must be positive whole numbers."),
        ([MAX_ID + 1], "Ticket numbers must be positive whole numbers."),
    ],
)
def test_a_bad_selection_is_refused(ids, message):
    with pytest.raises(ValidationFailed) as caught:
        selected_ids(ids)
    assert caught.value.errors == {"ticket_ids": [message]}


def test_exactly_the_cap_is_allowed_and_repeats_do_not_count():
    ids = list(range(1, MAX_SELECTION + 1))
    assert selected_ids(ids + ids) == ids


@pytest.mark.parametrize(
    ("action", "error", "expected"),
    [
        ("assign", InvalidTransition("x", current_status="assigned"), "already assigned"),
        ("assign", InvalidTransition("x", current_status="in_progress"), "already assigned"),
        ("assign", InvalidTransition("x", current_status="submitted"), "not triaged yet"),
        ("accept", InvalidTransition("x", current_status="triaged"), "already triaged"),
        ("reject", InvalidTransition("x", current_status="rejected"), "already rejected"),
        (
            "assign",
            Conflict("x", reason="meister_at_max_load", current_status="triaged"),
            "the Meister is at maximum load",
        ),
        (
            "assign",
            Conflict("x", reason="meister_declined", current_status="triaged"),
            "the Meister declined this ticket before",
        ),
        ("accept", NotFound("No such ticket"), "no such ticket"),
        ("accept", Forbidden("no"), "not allowed"),
        (
            "accept",
            ValidationFailed({"override_reason": ["The firm is not eligible."]}),
            "The firm is not eligible.",
        ),
        ("accept", DomainError("odd"), "refused"),
    ],
)
def test_each_refusal_has_a_short_reason(action, error, expected):
    assert failure_reason(action, error) == (expected, {})


def test_other_statuses_are_named_in_the_reason():
    message, params = failure_reason("accept", InvalidTransition("x", current_status="closed"))
    assert message == "not possible while the ticket is %(status)s"
    assert params == {"status": "closed"}
