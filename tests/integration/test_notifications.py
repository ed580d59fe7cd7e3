"""Notifications (SPEC §6): the in-app inbox and the e-mail outbox the job delivers.

Each e-mail is sent once: retried after a failure, never lost, never sent twice.
SMTP is configured for this module; no real server is contacted (the sender is faked).
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.notifications import delivery
from aftercare.notifications.delivery import run_notifications_job
from aftercare.notifications.models import Notification

ZERO = {"sent": 0, "failed": 0, "skipped": 0}
TICKET = {"category": "breakdown", "severity": "high", "title": "프레스 정지", "tags": ["plc"]}


@pytest.fixture
def app_config(app_config):
    return app_config | {"SMTP_HOST": "smtp.test", "SMTP_PORT": 2525}


@pytest.fixture
def people(make):
    firm = make.firm()
    return SimpleNamespace(
        firm_user=make.user("firm", firm=firm, language="en"),
        manager=make.user("manager", language="en"),
        manager2=make.user("manager", language="ko"),
    )


class Outbox:
    """Stands in for delivery.send: records what would have gone out, or fails on demand."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.attempts = 0
        self.fail_with: Exception | None = None

    def __call__(self, message: EmailMessage) -> None:
        self.attempts += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)

    def recipients(self) -> list[str]:
        return sorted(m["To"] for m in self.sent)


@pytest.fixture
def outbox(monkeypatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(delivery, "send", box)
    return box


def file_ticket(api, user, **fields) -> int:
    response = api.as_(user).post("/tickets", json=TICKET | fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def rows(**where) -> list[Notification]:
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- e-mail outbox


def test_an_action_queues_one_pending_email_per_recipient(app, api, people, outbox):
    tid = file_ticket(api, people.firm_user)
    queued = rows(ticket_id=tid)
    assert sorted(n.user_id for n in queued) == sorted([people.manager.id, people.manager2.id])
    assert {(n.kind, n.email_status, n.email_attempts) for n in queued} == {
        ("ticket_filed", "pending", 0)
    }
    assert outbox.attempts == 0  # nothing is sent inside the request


def test_the_job_delivers_each_email_once(app, api, people, outbox):
    tid = file_ticket(api, people.firm_user, title="용접 로봇 정지")
    assert run_notifications_job() == ZERO | {"sent": 2}
    assert outbox.recipients() == sorted([people.manager.email, people.manager2.email])
    english = next(m for m in outbox.sent if m["To"] == people.manager.email)
    assert english["Subject"] == f"[Aftercare] New ticket #{tid} waits for triage"
    assert english["From"] == app.config["MAIL_FROM"]
    assert "용접 로봇 정지" in english.get_content()
    assert len({m["Message-ID"] for m in outbox.sent}) == 2
    for n in rows(ticket_id=tid):
        assert (n.email_status, n.email_attempts, n.email_error) == ("sent", 1, "")
        assert n.email_sent_at is not None

    assert run_notifications_job() == ZERO
    assert run_notifications_job() == ZERO
    assert len(outbox.sent) == 2
    assert outbox.attempts == 2


def test_the_real_sender_uses_the_configured_smtp_server(app, api, people, monkeypatch):
    connections: list[tuple] = []
    delivered: list[EmailMessage] = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            connections.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            delivered.append(message)

    monkeypatch.setattr(delivery.smtplib, "SMTP", FakeSMTP)
    file_ticket(api, people.firm_user)
    assert run_notifications_job() == ZERO | {"sent": 2}
    assert connections == [("smtp.test", 2525)] * 2
    assert sorted(m["To"] for m in delivered) == sorted(
        [people.manager.email, people.manager2.email]
    )


def test_a_failed_email_is_retried_later_and_sent_once(app, api, people, outbox):
    tid = file_ticket(api, people.firm_user)
    outbox.fail_with = smtplib.SMTPException("451 try again later")
    before = utcnow()
    assert run_notifications_job() == ZERO | {"failed": 2}
    assert outbox.sent == []
    for n in rows(ticket_id=tid):
        assert (n.email_status, n.email_attempts) == ("failed", 1)
        assert "451 try again later" in n.email_error
        assert n.email_sent_at is None
        # a back-off of a couple of minutes, not an immediate hammering of the server
        assert before + timedelta(seconds=60) <= n.email_next_try_at
        assert n.email_next_try_at <= utcnow() + timedelta(minutes=5)

    # the server is back, but the retry is not due yet: nothing happens
    outbox.fail_with = None
    assert run_notifications_job() == ZERO
    assert outbox.attempts == 2

    db.session.execute(
        update(Notification)
        .where(Notification.ticket_id == tid)
        .values(email_next_try_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert run_notifications_job() == ZERO | {"sent": 2}
    assert outbox.recipients() == sorted([people.manager.email, people.manager2.email])
    for n in rows(ticket_id=tid):
        assert (n.email_status, n.email_attempts, n.email_error) == ("sent", 2, "")
        assert n.email_sent_at is not None

    assert run_notifications_job() == ZERO
    assert len(outbox.sent) == 2


def test_a_connection_error_is_a_failure_not_a_crash(app, api, people, monkeypatch):
    class Unreachable:
        def __init__(self, *args, **kwargs):
            raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(delivery.smtplib, "SMTP", Unreachable)
    tid = file_ticket(api, people.firm_user)
    assert run_notifications_job() == ZERO | {"failed": 2}
    assert {(n.email_status, n.email_attempts) for n in rows(ticket_id=tid)} == {("failed", 1)}


def test_only_the_failed_email_is_retried(app, api, people, outbox, monkeypatch):
    tid = file_ticket(api, people.firm_user)
    broken = people.manager2.email

    def flaky(message: EmailMessage) -> None:
        outbox.attempts += 1
        if message["To"] == broken:
            raise smtplib.SMTPRecipientsRefused({broken: (450, b"mailbox busy")})
        outbox.sent.append(message)

    monkeypatch.setattr(delivery, "send", flaky)
    assert run_notifications_job() == ZERO | {"sent": 1, "failed": 1}
    monkeypatch.setattr(delivery, "send", outbox)
    status = {n.user_id: n.email_status for n in rows(ticket_id=tid)}
    assert status == {people.manager.id: "sent", people.manager2.id: "failed"}

    db.session.execute(
        update(Notification)
        .where(Notification.email_status == "failed")
        .values(email_next_try_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert run_notifications_job() == ZERO | {"sent": 1}
    assert outbox.recipients() == sorted([people.manager.email, people.manager2.email])


def test_without_smtp_nothing_is_emailed(app, api, people, outbox):
    queued_before = file_ticket(api, people.firm_user)  # queued while SMTP was configured
    app.config["SMTP_HOST"] = None
    tid = file_ticket(api, people.firm_user, title="SMTP 없음")
    assert {n.email_status for n in rows(ticket_id=tid)} == {"none"}
    assert run_notifications_job() == ZERO
    assert outbox.attempts == 0
    # what was queued earlier is kept (not lost), waiting for SMTP to come back
    assert {n.email_status for n in rows(ticket_id=queued_before)} == {"pending"}
    app.config["SMTP_HOST"] = "smtp.test"
    assert run_notifications_job() == ZERO | {"sent": 2}
    assert {n.email_status for n in rows(ticket_id=tid)} == {"none"}


# ---------------------------------------------------------------- in-app inbox


BADGE = r'<span class="badge text-bg-warning">(\d+)<span class="visually-hidden">'


def badge(html: str) -> int | None:
    """The unread count shown next to the Notifications link, or None without a badge."""
    match = re.search(BADGE, html)
    return int(match.group(1)) if match else None


def inbox(client, query: str = "") -> str:
    response = client.get(f"/notifications{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_inbox_lists_the_users_notifications_with_an_unread_badge(
    app, api, client, auth, people
):
    first = file_ticket(api, people.firm_user, title="첫번째 고장")
    second = file_ticket(api, people.firm_user, title="두번째 고장")
    reject = api.as_(people.manager).post(
        f"/tickets/{first}/triage", json={"decision": "reject", "reason": "중복"}
    )
    assert reject.status_code == 200
    mine = [n.id for n in rows(user_id=people.manager.id)]
    theirs = [n.id for n in rows(user_id=people.manager2.id)]
    firms = [n.id for n in rows(user_id=people.firm_user.id)]
    assert len(mine) == 2
    assert len(theirs) == 2
    assert len(firms) == 1

    auth.login(people.manager)
    html = inbox(client)
    assert f"New ticket #{first} waits for triage" in html
    assert f"New ticket #{second} waits for triage" in html
    assert "첫번째 고장" in html
    assert "두번째 고장" in html
    assert f'href="/tickets/{second}"' in html
    assert badge(html) == 2
    for nid in mine:
        assert f'name="id" value="{nid}"' in html
    for nid in theirs + firms:
        assert f'name="id" value="{nid}"' not in html
    assert "was rejected at triage" not in html  # the firm's notification
    home = client.get("/", follow_redirects=True)
    assert badge(home.get_data(as_text=True)) == 2  # the badge is on every page

    auth.logout()
    auth.login(people.firm_user)
    html = inbox(client)
    assert f"Ticket #{first} was rejected at triage" in html
    assert "waits for triage" not in html
    assert badge(html) == 1


def test_marking_one_and_then_all_read(app, api, client, auth, people):
    file_ticket(api, people.firm_user, title="먼저-온-고장")
    file_ticket(api, people.firm_user, title="나중-온-고장")
    older, newer = [n.id for n in rows(user_id=people.manager.id)]
    auth.login(people.manager)

    response = client.post("/notifications/read", data={"id": older})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications")
    read = {n.id: n.read_at for n in rows(user_id=people.manager.id)}
    assert read[older] is not None
    assert read[newer] is None
    html = inbox(client)
    assert badge(html) == 1
    assert f'name="id" value="{older}"' not in html  # no "mark as read" for a read one
    unread_only = inbox(client, "?unread=1")
    assert f'name="id" value="{newer}"' in unread_only
    assert "나중-온-고장" in unread_only
    assert "먼저-온-고장" not in unread_only

    assert client.post("/notifications/read").status_code == 302
    assert all(n.read_at is not None for n in rows(user_id=people.manager.id))
    assert badge(inbox(client)) is None
    # the other manager's copies stay unread
    assert all(n.read_at is None for n in rows(user_id=people.manager2.id))


def test_another_users_notification_cannot_be_marked_read(app, api, client, auth, people):
    file_ticket(api, people.firm_user)
    [theirs] = [n.id for n in rows(user_id=people.manager2.id)]
    auth.login(people.manager)
    assert client.post("/notifications/read", data={"id": theirs}).status_code == 302
    assert rows(id=theirs)[0].read_at is None
    assert all(n.read_at is None for n in rows(user_id=people.manager.id))


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/x", "/\\evil.example"]
)
def test_marking_read_never_redirects_off_site(app, api, client, auth, people, target):
    file_ticket(api, people.firm_user)
    auth.login(people.manager)
    response = client.post("/notifications/read", data={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).netloc in ("", "localhost"), location
    assert not location.startswith("//"), location
    assert "\\" not in location, location


def test_marking_read_returns_to_a_page_of_this_site(app, api, client, auth, people):
    tid = file_ticket(api, people.firm_user)
    auth.login(people.manager)
    response = client.post("/notifications/read", data={"next": f"/tickets/{tid}"})
    assert response.headers["Location"].endswith(f"/tickets/{tid}")


def test_the_inbox_needs_a_signed_in_user(app, client):
    assert client.get("/notifications").status_code in (302, 401)
    assert client.post("/notifications/read").status_code in (302, 401)
