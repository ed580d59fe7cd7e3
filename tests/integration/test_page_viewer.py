"""The ticket list on PostgreSQL finds its signed-in user as a `PageViewer`.

One statement on a connection of its own, without the ORM; the page must still show
and scope everything as it does for the User: name, role, unread count, language,
the firm's own tickets, and sign an inactive user out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, template_rendered
from sqlalchemy import update

from aftercare.auth.models import User
from aftercare.auth.viewer import PageViewer
from aftercare.extensions import db
from aftercare.notifications.services import notify
from aftercare.tickets.services import file_ticket
from tests.helpers import PASSWORD, Factory


@pytest.fixture
def database_url(pg_database: str) -> str:
    return pg_database


@contextmanager
def viewers_seen(app: Flask) -> Iterator[list[object]]:
    """The `current_user` behind every template the app renders meanwhile."""
    seen: list[object] = []

    def note(_sender, template, context, **_extra) -> None:
        seen.append(context["current_user"])  # Flask-Login injects the user itself

    template_rendered.connect(note, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(note, app)


def signed_in(app: Flask, user_id: int):
    client = app.test_client()
    with app.app_context():
        email = db.session.get(User, user_id).email
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def set_user(app: Flask, user_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(**values))
        db.session.commit()


def notify_user(app: Flask, user_id: int, key: str) -> None:
    with app.app_context():
        notify([user_id], "ticket_filed", None, "상태가 바뀌었습니다", key)
        db.session.commit()


def test_the_list_shows_the_viewers_name_role_and_unread_count(own_app):
    with own_app.app_context():
        manager_id = Factory().user("manager", name="김관리").id
        db.session.commit()
    client = signed_in(own_app, manager_id)
    notify_user(own_app, manager_id, "first")
    notify_user(own_app, manager_id, "second")

    with viewers_seen(own_app) as seen:
        page = client.get("/tickets").get_data(as_text=True)
    assert seen
    assert all(type(viewer) is PageViewer for viewer in seen)
    assert "김관리 · 사업 운영자" in page
    assert 'text-bg-warning">2<' in page

    notify_user(own_app, manager_id, "third")  # a kept page must not show the old count
    assert 'text-bg-warning">3<' in client.get("/tickets").get_data(as_text=True)


def test_a_firm_viewer_sees_only_its_own_firms_tickets(own_app):
    with own_app.app_context():
        make = Factory()
        mine, theirs = make.user("firm"), make.user("firm")
        for user, title in ((mine, "우리 설비 고장"), (theirs, "남의 설비 고장")):
            file_ticket(user, {"category": "breakdown", "severity": "high", "title": title})
        mine_id = mine.id
        db.session.commit()
    client = signed_in(own_app, mine_id)

    with viewers_seen(own_app) as seen:
        page = client.get("/tickets").get_data(as_text=True)
    assert type(seen[0]) is PageViewer
    assert seen[0].firm_id is not None
    assert "우리 설비 고장" in page
    assert "남의 설비 고장" not in page


def test_the_list_speaks_the_viewers_language(own_app):
    with own_app.app_context():
        manager_id = Factory().user("manager").id
        db.session.commit()
    client = signed_in(own_app, manager_id)
    set_user(own_app, manager_id, language="en")
    assert "Notifications" in client.get("/tickets").get_data(as_text=True)
    set_user(own_app, manager_id, language="ko")
    assert "Notifications" not in client.get("/tickets").get_data(as_text=True)


def test_a_deactivated_user_is_sent_to_sign_in(own_app):
    with own_app.app_context():
        meister_id = Factory().user("meister").id
        db.session.commit()
    client = signed_in(own_app, meister_id)
    assert client.get("/tickets").status_code == 200
    set_user(own_app, meister_id, active=False)
    response = client.get("/tickets")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_administrator_is_refused_the_list(own_app):
    with own_app.app_context():
        admin_id = Factory().user("admin").id
        db.session.commit()
    assert signed_in(own_app, admin_id).get("/tickets").status_code == 403


def test_other_pages_still_get_the_user(own_app):
    with own_app.app_context():
        manager_id = Factory().user("manager").id
        db.session.commit()
    client = signed_in(own_app, manager_id)
    with viewers_seen(own_app) as seen:
        assert client.get("/claims").status_code == 200
    assert seen
    assert all(type(viewer) is User for viewer in seen)
