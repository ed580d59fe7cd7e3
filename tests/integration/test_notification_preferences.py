"""Notification preferences: per user and event kind, in the app and by e-mail.

Defaults: everything in the app; e-mail for the events that ask someone to act or
decide about money. Delivery honours each user's choice on both channels: no inbox
entry when the app is off, no e-mail queued (or sent, if turned off later) when e-mail
is off. SMTP is configured for this module; the sender is faked.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from aftercare.audit.models import AuditEvent
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.notification_kinds import (
    KIND_ROLES,
    Channels,
    default_channels,
    kinds_for_role,
)
from aftercare.extensions import db
from aftercare.notifications import delivery
from aftercare.notifications.delivery import run_notifications_job
from aftercare.notifications.models import Notification, NotificationPreference
from aftercare.notifications.preferences import preferences_of, save_preferences
from aftercare.notifications.services import notify
from aftercare.notifications.texts import KIND_LABELS, TEXTS
from aftercare.tickets import services

ZERO = {"sent": 0, "failed": 0, "skipped": 0}


@pytest.fixture
def app_config(app_config):
    return app_config | {"SMTP_HOST": "smtp.test", "SMTP_PORT": 2525}


@pytest.fixture
def people(make):
    firm = make.firm()
    return SimpleNamespace(
        firm_user=make.user("firm", firm=firm, language="en"),
        manager=make.user("manager", language="en"),
        manager2=make.user("manager", language="en"),
        meister=make.meister(),
    )


@pytest.fixture
def outbox(monkeypatch) -> list[EmailMessage]:
    sent: list[EmailMessage] = []
    monkeypatch.setattr(delivery, "send", sent.append)
    return sent


def file_ticket(people) -> int:
    data = {"category": "breakdown", "severity": "high", "title": "프레스 정지"}
    return services.file_ticket(people.firm_user, data).id


def rows(user_id: int) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    )


def all_defaults(role: str) -> dict[str, Channels]:
    return {kind: default_channels(kind) for kind in kinds_for_role(role)}


def choose(user, **changes: Channels) -> None:
    save_preferences(user, all_defaults(user.role) | changes)


def settings_form(user, **changes: Channels) -> dict[str, str]:
    """The form a browser would post: a '1' for every ticked box."""
    data = {}
    for kind, channels in (all_defaults(user.role) | changes).items():
        if channels.in_app:
            data[f"in_app_{kind}"] = "1"
        if channels.email:
            data[f"email_{kind}"] = "1"
    return data


def ticked(page: str) -> set[str]:
    """Names of the ticked channel checkboxes on a settings page."""
    names = set()
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="((?:in_app|email)_[a-z_]+)"', tag)
        if name and re.search(r"\schecked\b", tag):
            names.add(name.group(1))
    return names


def stored(user_id: int) -> dict[str, tuple[bool, bool]]:
    db.session.expire_all()
    return {
        p.kind: (p.in_app, p.email)
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }


OFF = Channels(in_app=False, email=False)
APP_ONLY = Channels(in_app=True, email=False)
EMAIL_ONLY = Channels(in_app=False, email=True)


# ---------------------------------------------------------------- defaults


def test_every_kind_the_system_sends_has_a_role_a_label_and_a_default():
    assert set(KIND_ROLES) == set(TEXTS) == set(KIND_LABELS)
    assert all(KIND_ROLES[kind] for kind in KIND_ROLES)


def test_by_default_everything_shows_in_the_app_and_important_events_are_emailed(people):
    prefs = preferences_of(people.manager)
    assert list(prefs) == [
        "ticket_filed", "declined", "confirmed", "sla_breach", "project_overdue",
        "reconciliation_breach", "firm_payment_overdue", "recovery_opened",
        "recovery_objection", "recovery_overdue",
    ]  # fmt: skip
    assert all(c.in_app for c in prefs.values())
    assert {k for k, c in prefs.items() if not c.email} == {"confirmed"}
    firm = preferences_of(people.firm_user)
    assert set(firm) == {
        "ticket_rejected", "accepted", "resolved", "claim_approved", "claim_rejected",
        "recovery_opened", "recovery_decided", "recovery_objection_decided", "recovery_due_soon",
        "recovery_overdue",
    }  # fmt: skip
    assert {k for k, c in firm.items() if not c.email} == {"accepted"}
    assert set(preferences_of(people.meister)) == {"assigned", "confirmed", "reopened"}
    assert stored(people.manager.id) == {}  # defaults are not written down


def test_without_a_choice_an_important_event_is_emailed_and_a_quiet_one_is_not(people):
    notify([people.firm_user.id], "resolved", None, "m", "k1")
    notify([people.firm_user.id], "accepted", None, "m", "k2")
    db.session.commit()
    status = {n.kind: (n.in_app, n.email_status) for n in rows(people.firm_user.id)}
    assert status == {"resolved": (True, "pending"), "accepted": (True, "none")}


# ---------------------------------------------------------------- the page


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("manager", "A new ticket waits for triage", "Your ticket was resolved"),
        ("firm", "Your ticket was resolved", "A new ticket waits for triage"),
        ("meister", "A ticket was assigned to you", "A cost-share claim was approved"),
    ],
)
def test_the_page_shows_only_the_events_of_the_users_role(
    client, auth, people, role, shown, hidden
):
    user = {"manager": people.manager, "firm": people.firm_user, "meister": people.meister}[role]
    user.language = "en"  # the event names below are the English texts
    db.session.commit()
    auth.login(user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert shown in page
    assert hidden not in page
    expected = {f"in_app_{k}" for k in kinds_for_role(role)} | {
        f"email_{k}" for k, c in all_defaults(role).items() if c.email
    }
    assert ticked(page) == expected


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_roles_that_receive_nothing_see_that_there_is_nothing_to_set(client, auth, make, role):
    auth.login(make.user(role, language="en"))
    response = client.get("/notifications/settings")
    assert response.status_code == 200
    assert "nothing to set" in response.get_data(as_text=True)
    assert client.post("/notifications/settings", data={}).status_code == 200  # nothing to save
    assert db.session.scalar(select(func.count(NotificationPreference.id))) == 0


def test_the_inbox_links_to_the_settings(client, auth, people):
    auth.login(people.firm_user)
    assert 'href="/notifications/settings"' in client.get("/notifications").get_data(as_text=True)


def test_saving_stores_every_choice_and_shows_it_again(client, auth, people):
    auth.login(people.manager)
    form = settings_form(people.manager, ticket_filed=EMAIL_ONLY, sla_breach=APP_ONLY)
    response = client.post("/notifications/settings", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/settings"
    saved = stored(people.manager.id)
    assert saved["ticket_filed"] == (False, True)
    assert saved["sla_breach"] == (True, False)
    assert saved["declined"] == (True, True)
    assert set(saved) == set(kinds_for_role("manager"))
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Notification settings saved." in page
    assert "in_app_ticket_filed" not in ticked(page)
    assert "email_ticket_filed" in ticked(page)
    assert "email_sla_breach" not in ticked(page)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification.preferences")
    ).one()
    assert (event.actor_id, event.object_type, event.object_id) == (
        people.manager.id,
        "user",
        people.manager.id,
    )


def test_clearing_every_box_turns_everything_off(client, auth, people):
    auth.login(people.meister)
    assert client.post("/notifications/settings", data={}).status_code == 302
    assert stored(people.meister.id) == dict.fromkeys(kinds_for_role("meister"), (False, False))


def test_saving_again_updates_the_same_rows(client, auth, people):
    auth.login(people.firm_user)
    client.post("/notifications/settings", data=settings_form(people.firm_user, resolved=OFF))
    client.post("/notifications/settings", data=settings_form(people.firm_user))
    assert stored(people.firm_user.id)["resolved"] == (True, True)
    count = db.session.scalar(
        select(func.count(NotificationPreference.id)).where(
            NotificationPreference.user_id == people.firm_user.id
        )
    )
    assert count == len(kinds_for_role("firm"))


def test_another_users_preferences_are_untouched(client, auth, people):
    choose(people.manager2, declined=APP_ONLY)
    before = stored(people.manager2.id)
    auth.login(people.manager)
    client.post("/notifications/settings", data=settings_form(people.manager, ticket_filed=OFF))
    assert stored(people.manager2.id) == before
    assert stored(people.manager.id)["ticket_filed"] == (False, False)
    tid = file_ticket(people)
    assert [n.ticket_id for n in rows(people.manager2.id)] == [tid]  # still notified
    assert rows(people.manager.id) == []


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"in_app_ticket_filed": "maybe"}, "Not a valid choice."),
        ({"email_declined": "2"}, "Not a valid choice."),
        ({"email_resolved": "1"}, "These settings do not match the notifications of your role."),
        ({"in_app_unknown_kind": "1"}, "These settings do not match the notifications"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(client, auth, people, extra, message):
    auth.login(people.manager)
    form = settings_form(people.manager, ticket_filed=OFF) | extra
    response = client.post("/notifications/settings", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored(people.manager.id) == {}


def test_the_service_refuses_kinds_of_another_role(people):
    with pytest.raises(ValidationFailed):
        save_preferences(people.firm_user, all_defaults("manager"))
    with pytest.raises(ValidationFailed):  # one of the role's kinds missing
        save_preferences(people.firm_user, dict(list(all_defaults("firm").items())[1:]))
    assert stored(people.firm_user.id) == {}


# ---------------------------------------------------------------- delivery


def test_app_off_email_on_queues_the_email_but_shows_nothing_in_the_inbox(
    client, auth, people, outbox
):
    choose(people.manager, ticket_filed=EMAIL_ONLY)
    tid = file_ticket(people)
    (row,) = rows(people.manager.id)
    assert (row.in_app, row.email_status) == (False, "pending")
    auth.login(people.manager)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert f"New ticket #{tid} waits for triage" not in inbox
    assert "No notifications." in inbox
    assert 'class="badge text-bg-warning"' not in inbox  # no unread badge
    client.post("/notifications/read", data={})
    assert rows(people.manager.id)[0].read_at is None  # not an inbox entry at all
    assert run_notifications_job() == ZERO | {"sent": 2}  # both managers
    assert sorted(m["To"] for m in outbox) == sorted([people.manager.email, people.manager2.email])


def test_email_off_keeps_the_inbox_entry_and_sends_nothing(people, outbox):
    choose(people.manager, ticket_filed=APP_ONLY)
    file_ticket(people)
    (row,) = rows(people.manager.id)
    assert (row.in_app, row.email_status) == (True, "none")
    assert run_notifications_job() == ZERO | {"sent": 1}
    assert [m["To"] for m in outbox] == [people.manager2.email]


def test_both_off_creates_no_notification_at_all(people, outbox):
    choose(people.manager, ticket_filed=OFF)
    file_ticket(people)
    assert rows(people.manager.id) == []
    assert len(rows(people.manager2.id)) == 1


def test_each_kind_is_judged_on_its_own(people, outbox):
    choose(people.firm_user, ticket_rejected=OFF)
    first, second = file_ticket(people), file_ticket(people)
    services.triage_ticket(people.manager, first, "reject", reason="중복")
    services.triage_ticket(people.manager, second, "accept")
    services.cancel_ticket(people.manager, second, "업체 요청")
    assert rows(people.firm_user.id) == []  # the rejection was turned off
    notify([people.firm_user.id], "resolved", second, "m", "resolved-test")
    db.session.commit()
    assert [(n.kind, n.email_status) for n in rows(people.firm_user.id)] == [
        ("resolved", "pending")
    ]


def test_email_turned_off_after_queueing_is_not_sent(people, outbox):
    file_ticket(people)
    assert {n.email_status for n in rows(people.manager.id)} == {"pending"}
    choose(people.manager, ticket_filed=APP_ONLY)
    assert run_notifications_job() == ZERO | {"sent": 1, "skipped": 1}
    assert [m["To"] for m in outbox] == [people.manager2.email]
    (row,) = rows(people.manager.id)
    assert (row.email_status, row.in_app) == ("none", True)
    assert run_notifications_job() == ZERO  # withdrawn for good


def test_email_only_without_a_mail_server_creates_nothing(app, people):
    app.config["SMTP_HOST"] = None
    choose(people.manager, ticket_filed=EMAIL_ONLY)
    file_ticket(people)
    assert rows(people.manager.id) == []
    (row,) = rows(people.manager2.id)
    assert (row.in_app, row.email_status) == (True, "none")
