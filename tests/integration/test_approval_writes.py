"""What one approval writes besides the money: the firm's notices and the audit link.

PostgreSQL reads the firm's users with the locked claim and takes the audit chain's
lock with the posting, in the same statements; these tests hold what those
statements must still get right, on both engines.
"""

from __future__ import annotations

from sqlalchemy import select, update

from aftercare.audit.models import AuditEvent
from aftercare.audit.services import verify_chain
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.domain.audit_chain import GENESIS
from aftercare.extensions import db
from aftercare.notifications.models import Notification
from tests.helpers import forge_audit
from tests.integration.ledger_support import assert_books_ok, quick_claim, this_year


def _notified(claim_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.dedupe_key.like(f"claim_approved:c{claim_id}:%")
            )
        )
    )


def test_an_approval_notifies_each_active_user_of_the_firm_once(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    firm, other_firm = make.firm(), make.firm()
    first, second = make.user("firm", firm), make.user("firm", firm)
    inactive = make.user("firm", firm)
    db.session.execute(update(User).where(User.id == inactive.id).values(active=False))
    db.session.commit()
    make.user("firm", other_firm)
    claim_id = quick_claim(firm.id, manager.id, [("parts", 2_000_000)])

    answer = api.as_(manager).post(f"/claims/{claim_id}/approve", json={})

    assert answer.status_code == 200, answer.json
    assert _notified(claim_id) == sorted([first.id, second.id])


def test_an_approval_of_a_firm_without_users_notifies_no_one(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])

    answer = api.as_(manager).post(f"/claims/{claim_id}/approve", json={})

    assert answer.status_code == 200, answer.json
    assert _notified(claim_id) == []
    assert_books_ok()


def test_a_refused_approval_notifies_no_one_and_links_nothing(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    firm = make.firm()
    make.user("firm", firm)
    claim_id = quick_claim(firm.id, manager.id, [("parts", 1_999)])  # share below the unit
    boss = api.as_(manager)  # its token is an audited event of its own
    links_before = db.session.scalar(select(db.func.count(AuditEvent.id)))

    answer = boss.post(f"/claims/{claim_id}/approve", json={})

    assert answer.status_code == 409, answer.json
    assert answer.json["reason"] == "share_below_unit"
    assert _notified(claim_id) == []
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == links_before


def test_an_approval_as_the_first_link_of_an_empty_chain_starts_it(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    boss = api.as_(manager)
    forge_audit("DELETE FROM audit_event")  # as on a fresh database: no link yet

    answer = boss.post(f"/claims/{claim_id}/approve", json={})

    assert answer.status_code == 200, answer.json
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.id, event.action, event.prev_hash) == (1, "claim.approve", GENESIS)
    assert verify_chain() == (1, None)


def test_approvals_extend_the_chain_link_by_link(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    claims = [quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)]) for _ in range(3)]
    boss = api.as_(manager)
    last_before = db.session.scalar(select(db.func.max(AuditEvent.id)))

    for claim_id in claims:
        assert boss.post(f"/claims/{claim_id}/approve", json={}).status_code == 200

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > last_before).order_by(AuditEvent.id)
    ).all()
    assert [e.object_id for e in events] == claims
    assert [e.id for e in events] == [last_before + 1, last_before + 2, last_before + 3]
    assert verify_chain() == (last_before + 3, None)


def test_an_api_approval_is_refused_to_anyone_but_an_active_manager(make, api):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    manager = make.user("manager")
    firm = make.firm()
    claim_id = quick_claim(firm.id, manager.id, [("parts", 2_000_000)])
    auditor, own_firm_user = make.user("auditor"), make.user("firm", firm)
    other_firm_user = make.user("firm")
    deactivated = make.user("manager")
    tokens = {who: api.as_(who) for who in (auditor, own_firm_user, other_firm_user, deactivated)}
    db.session.execute(update(User).where(User.id == deactivated.id).values(active=False))
    db.session.commit()

    def status_as(user: User) -> int:
        return tokens[user].post(f"/claims/{claim_id}/approve", json={}).status_code

    assert status_as(auditor) == 403
    assert status_as(own_firm_user) == 403
    assert status_as(other_firm_user) == 404  # another firm's claim is not revealed
    assert status_as(deactivated) == 401
    db.session.expire_all()
    assert db.session.get(Claim, claim_id).status == "pending"
    assert (
        db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "claim.approve")) is None
    )
