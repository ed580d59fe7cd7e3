"""`flask audit verify`: the hash chain of SPEC §7 holds, and tampering is reported."""

import re

import pytest
from sqlalchemy import func, select

from aftercare.audit.models import AuditEvent
from aftercare.extensions import db
from aftercare.tickets import services
from tests.helpers import forge_audit


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def first_number(output: str) -> int | None:
    match = re.search(r"\d+", output)
    return int(match.group()) if match else None


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def tamper(sql: str, **params) -> None:
    """A forger who owns the tables edits the rows past the append-only triggers."""
    forge_audit(sql, **params)


@pytest.fixture
def busy_chain(make):
    """A firm files a ticket, comments, a manager triages and extends it: a dozen events."""
    firm_user = make.user("firm")
    manager = make.user("manager")
    ticket = services.file_ticket(
        firm_user, {"category": "breakdown", "severity": "high", "title": "유압 누유"}
    )
    services.add_comment(firm_user, ticket.id, "사진 첨부합니다")
    services.triage_ticket(manager, ticket.id, "accept")
    services.extend_project(manager, ticket.id, "부품 수급 지연")
    total = event_count()
    assert total >= 6
    return total


def test_an_untouched_chain_verifies(runner, busy_chain):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert str(busy_chain) in result.output


def test_an_empty_chain_verifies(runner):
    assert event_count() == 0
    assert verify(runner).exit_code == 0


def test_a_changed_event_breaks_the_chain_at_that_event(runner, busy_chain):
    tamper("UPDATE audit_event SET after = :after WHERE id = 2", after='{"x":1}')
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == 2, result.output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("after", '{"status": "closed"}'),
        ("before", '{"status": "forged"}'),
        ("action", "ticket.cancel"),
        ("actor_id", 999),
        ("object_id", 999),
        ("request_id", "forged"),
        ("hash", "f" * 64),
    ],
)
@pytest.mark.parametrize("where", ["second", "middle", "last"])
def test_any_edited_field_of_any_event_is_detected(runner, busy_chain, column, value, where):
    event_id = {"second": 2, "middle": busy_chain // 2, "last": busy_chain}[where]
    tamper(f"UPDATE audit_event SET {column} = :value WHERE id = :id", value=value, id=event_id)
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == event_id, result.output


def test_a_rewritten_prev_hash_is_detected(runner, busy_chain):
    tamper("UPDATE audit_event SET prev_hash = :value WHERE id = 3", value="0" * 64)
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == 3, result.output


def test_deleting_a_middle_event_is_detected_at_the_next_one(runner, busy_chain):
    tamper("DELETE FROM audit_event WHERE id = 3")
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == 4, result.output


def test_deleting_the_first_event_is_detected(runner, busy_chain):
    tamper("DELETE FROM audit_event WHERE id = 1")
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == 2, result.output


def test_only_the_first_broken_link_is_reported(runner, busy_chain):
    tamper("UPDATE audit_event SET after = :after WHERE id IN (3, 5)", after='{"x":1}')
    result = verify(runner)
    assert result.exit_code == 1
    assert first_number(result.output) == 3, result.output
    assert not re.search(r"\bevent 5\b", result.output)


def test_the_chain_keeps_verifying_as_events_are_added(runner, make, busy_chain):
    assert verify(runner).exit_code == 0
    make.firm()
    assert event_count() > busy_chain
    result = verify(runner)
    assert result.exit_code == 0, result.output
