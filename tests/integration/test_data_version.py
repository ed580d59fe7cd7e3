"""The data version moves with every committed write of what a ticket list shows."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from aftercare import data_version
from aftercare.claims.models import Claim
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket
from tests.integration.ledger_support import quick_claim


def version() -> int:
    db.session.commit()  # a fresh read of the committed counter
    return data_version.current(data_version.TICKETS)


@pytest.fixture
def firm_user(make):
    return make.user("firm")


def test_filing_changing_and_deleting_a_ticket_each_move_the_version(firm_user):
    start = version()
    ticket = file_ticket(firm_user, {"category": "breakdown", "severity": "high", "title": "고장"})
    filed = version()
    assert filed > start
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(status="triaged"))
    db.session.commit()
    changed = version()
    assert changed > filed
    for child in ("notification", "ticket_history"):
        db.session.execute(text(f"DELETE FROM {child} WHERE ticket_id = :id"), {"id": ticket.id})
    db.session.execute(text("DELETE FROM ticket WHERE id = :id"), {"id": ticket.id})
    db.session.commit()
    assert version() > changed


def test_a_claim_change_and_a_firm_rename_move_it_other_firm_columns_do_not(make, firm_user):
    manager = make.user("manager")
    claim_id = quick_claim(firm_user.firm_id, manager.id, [("parts", 100_000)])
    start = version()
    db.session.execute(update(Claim).where(Claim.id == claim_id).values(status="rejected"))
    db.session.commit()
    after_claim = version()
    assert after_claim > start

    db.session.execute(update(Firm).where(Firm.id == firm_user.firm_id).values(industry="사출"))
    db.session.commit()
    assert version() == after_claim  # not shown on a ticket list

    db.session.execute(update(Firm).where(Firm.id == firm_user.firm_id).values(name="새이름"))
    db.session.commit()
    assert version() > after_claim


def test_a_rolled_back_write_leaves_the_version_alone(firm_user):
    ticket = file_ticket(firm_user, {"category": "breakdown", "severity": "high", "title": "고장"})
    start = version()
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(title="바뀜"))
    db.session.rollback()
    assert version() == start
