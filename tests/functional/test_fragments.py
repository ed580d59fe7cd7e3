"""Kept list fragments: never stale, never another viewer's, each with its own CSRF token."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select, update

from aftercare.auth.services import issue_token
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets import services
from aftercare.tickets.models import Ticket
from tests.functional.test_query_counts import counted
from tests.helpers import PASSWORD, ApiClient, AuthActions, Factory


def _file(firm_user, title: str) -> int:
    return services.file_ticket(
        firm_user, {"category": "breakdown", "severity": "high", "title": title}
    ).id


def _list_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "ticket_fts" in s or "ORDER BY ticket.id DESC" in s]


def test_a_list_seen_again_is_not_read_again_until_a_ticket_changes(client, auth, make):
    firm_user = make.user("firm")
    ticket_id = _file(firm_user, "첫 고장")
    auth.login(make.user("manager"))
    assert "첫 고장" in client.get("/tickets").get_data(as_text=True)

    with counted() as statements:
        again = client.get("/tickets")
    assert "첫 고장" in again.get_data(as_text=True)
    assert _list_statements(statements) == []  # kept: the tickets were not read again

    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(title="바뀐 제목"))
    db.session.commit()  # a Core write, as a job or a shell would make
    with counted() as statements:
        page = client.get("/tickets").get_data(as_text=True)
    assert "바뀐 제목" in page
    assert "첫 고장" not in page
    assert len(_list_statements(statements)) == 1


def test_a_firm_rename_and_a_new_ticket_show_at_once(client, auth, make):
    firm_user = make.user("firm")
    _file(firm_user, "첫 고장")
    auth.login(make.user("manager"))
    client.get("/tickets")
    db.session.execute(update(Firm).where(Firm.id == firm_user.firm_id).values(name="새 이름 공장"))
    db.session.commit()
    assert "새 이름 공장" in client.get("/tickets").get_data(as_text=True)
    _file(firm_user, "둘째 고장")
    assert "둘째 고장" in client.get("/tickets").get_data(as_text=True)


def test_the_kept_api_list_changes_with_its_tickets(make, api):
    firm_user = make.user("firm")
    ticket_id = _file(firm_user, "첫 고장")
    caller = api.as_(make.user("manager"))
    assert caller.get("/tickets").get_json()["items"][0]["status"] == "submitted"
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status="triaged"))
    db.session.commit()
    assert caller.get("/tickets").get_json()["items"][0]["status"] == "triaged"


def _setup(app: Flask, build):
    with app.app_context():
        made = build(Factory())
        db.session.remove()
    return made


def test_another_firm_never_gets_a_list_kept_for_the_first(own_app):
    def build(make):
        viewers = []
        for title in ("첫째 회사 고장", "둘째 회사 고장"):
            user = make.user("firm")
            _file(user, title)
            viewers.append((user.email, issue_token(user)[0]))
        return viewers

    pages, answers = [], []
    for email, token in _setup(own_app, build):  # same address and data version, other viewer
        client = own_app.test_client()
        AuthActions(client).login(email)
        pages.append(client.get("/tickets").get_data(as_text=True))
        answers.append(ApiClient(own_app.test_client(), token).get("/tickets").get_json())
    assert "첫째 회사 고장" in pages[0]
    assert "둘째 회사 고장" not in pages[0]
    assert "둘째 회사 고장" in pages[1]
    assert "첫째 회사 고장" not in pages[1]
    assert [t["title"] for t in answers[1]["items"]] == ["둘째 회사 고장"]


def test_each_language_keeps_its_own_list(own_app):
    email = _setup(
        own_app, lambda make: (_file(make.user("firm"), "고장"), make.user("manager"))[1].email
    )
    client = own_app.test_client()
    AuthActions(client).login(email)
    korean = client.get("/tickets").get_data(as_text=True)
    client.post("/language/en", data={"next": "/tickets"})
    english = client.get("/tickets").get_data(as_text=True)
    assert "접수" in korean  # the status label, in Korean
    assert "Submitted" in english
    assert "Submitted" not in korean


def _csrf_tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page))  # every form


def test_a_kept_list_carries_each_viewers_own_csrf_token(csrf_app):
    app = csrf_app
    with app.app_context():
        make = Factory()
        emails = [make.user("manager").email for _ in range(2)]
        ticket_id = _file(make.user("firm"), "토큰 확인")
        db.session.remove()
    clients = [app.test_client() for _ in emails]
    for client, email in zip(clients, emails, strict=True):
        login = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"',
            client.get("/login").get_data(as_text=True),
        )
        client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": login.group(1)}
        )
    pages = [client.get("/tickets").get_data(as_text=True) for client in clients]  # 2nd: kept
    tokens = [_csrf_tokens(page) for page in pages]
    assert all(len(t) == 1 for t in tokens)  # the bulk form's and the header forms' agree
    assert tokens[0] != tokens[1]
    assert "csrf-hole" not in pages[1]
    data = {"ticket_ids": [ticket_id], "action": "accept", "csrf_token": tokens[1].pop()}
    assert clients[1].post("/tickets/bulk", data=data).status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_the_kept_ticket_json_changes_with_its_ticket_and_stays_its_viewers(make, api):
    owner = make.user("firm")
    ticket_id = _file(owner, "상세 확인")
    manager = api.as_(make.user("manager"))
    assert manager.get(f"/tickets/{ticket_id}").get_json()["status"] == "submitted"
    with counted() as statements:
        again = manager.get(f"/tickets/{ticket_id}").get_json()
    assert again["title"] == "상세 확인"
    assert not [s for s in statements if "ticket.id = " in s]  # kept: the row was not read

    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status="triaged"))
    db.session.commit()
    assert manager.get(f"/tickets/{ticket_id}").get_json()["status"] == "triaged"
    assert api.as_(make.user("firm")).get(f"/tickets/{ticket_id}").status_code == 404
    assert api.as_(owner).get(f"/tickets/{ticket_id}").get_json()["status"] == "triaged"
    assert manager.get(f"/tickets/{ticket_id + 1000}").status_code == 404


def test_a_kept_list_costs_one_statement_that_finds_the_viewer_and_the_version(own_app):
    def build(make):
        manager = make.user("manager")
        _file(make.user("firm"), "한 번에")
        return manager.email, issue_token(manager)[0]

    email, token = _setup(own_app, build)
    page_client, api_client = own_app.test_client(), ApiClient(own_app.test_client(), token)
    AuthActions(page_client).login(email)
    for get in (lambda: page_client.get("/tickets"), lambda: api_client.get("/tickets")):
        assert get().status_code == 200  # rendered and kept
        with own_app.app_context(), counted() as statements:
            assert get().status_code == 200
        assert len(statements) == 1, statements
        assert "data_version" in statements[0]
        assert '"user"' in statements[0] or "user." in statements[0]


def test_nothing_is_kept_from_a_transaction_that_wrote(app, make):
    """Kept, an uncommitted write would reach others: on PostgreSQL under the version
    before it, on SQLite under the one the next real write takes."""
    from aftercare import fragments
    from aftercare.data_version import TICKETS

    ticket_id = _file(make.user("firm"), "쓰기 전")
    db.session.commit()
    renders: list[str] = []

    def render() -> str:
        title = db.session.scalar(select(Ticket.title).where(Ticket.id == ticket_id))
        renders.append(title)
        return title

    def set_title(title: str) -> None:
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(title=title))

    with app.test_request_context("/tickets"):
        set_title("미확정")
        assert fragments.kept("test.written", TICKETS, (), render) == "미확정"
        db.session.rollback()  # that write never commits
        assert fragments.kept("test.written", TICKETS, (), render) == "쓰기 전"
        assert fragments.kept("test.written", TICKETS, (), render) == "쓰기 전"
        set_title("확정")
        db.session.commit()
        assert fragments.kept("test.written", TICKETS, (), render) == "확정"
    assert renders == ["미확정", "쓰기 전", "확정"]  # kept once: the state before the writes


def _page_with_templates(client, path: str = "/tickets") -> tuple[str, list[str]]:
    """A GET of `path`: the page and the templates rendered for it."""
    from flask import template_rendered

    rendered: list[str] = []

    def note(_sender, template, **_extra):
        rendered.append(template.name)

    template_rendered.connect(note)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        template_rendered.disconnect(note)
    return page, rendered


def _without_tokens(page: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", page)


def _unread(page: str) -> int:
    found = re.search(r'badge text-bg-warning">(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_a_page_seen_again_is_not_rendered_and_its_header_changes_show_at_once(own_app):
    from aftercare.auth.models import User
    from aftercare.notifications.models import Notification

    def build(make):
        manager = make.user("manager", name="김담당")
        _file(make.user("firm"), "머리글 확인")
        return manager.id, manager.email

    user_id, email = _setup(own_app, build)
    client = own_app.test_client()
    AuthActions(client).login(email)
    first, rendered = _page_with_templates(client)
    assert "tickets/index.html" in rendered
    again, rendered = _page_with_templates(client)
    assert rendered == []  # kept whole
    assert _without_tokens(again) == _without_tokens(first)  # a token is signed per second
    assert "김담당" in again

    with own_app.app_context():
        db.session.add(
            Notification(user_id=user_id, kind="assigned", message="새 알림", dedupe_key="t1")
        )
        db.session.commit()
    page, rendered = _page_with_templates(client)
    assert "tickets/index.html" in rendered
    assert _unread(page) == _unread(first) + 1  # the header's unread count, at once

    with own_app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(name="박담당"))
        db.session.commit()
    page = client.get("/tickets").get_data(as_text=True)
    assert "박담당" in page
    assert "김담당" not in page


def test_a_flashed_message_is_shown_once_and_never_kept(own_app):
    email = _setup(own_app, lambda make: make.user("manager").email)
    client = own_app.test_client()
    AuthActions(client).login(email)
    client.get("/tickets")  # kept
    assert client.get("/tickets?cursor=not-a-cursor").status_code == 302  # flashes, redirects
    shown = client.get("/tickets").get_data(as_text=True)
    assert "The page address was not valid" in shown or "페이지 주소가 올바르지 않아" in shown
    assert client.get("/tickets").get_data(as_text=True) != shown  # once, then the kept page


def test_a_kept_page_carries_each_sessions_own_csrf_token(csrf_app):
    """The same viewer signed in twice (two browsers): one kept page, two tokens."""
    app = csrf_app
    with app.app_context():
        email = Factory().user("manager").email
        db.session.remove()
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        login = _csrf_tokens(client.get("/login").get_data(as_text=True)).pop()
        answer = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": login}
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[-1500:]
    pages = [client.get("/tickets").get_data(as_text=True) for client in clients]  # 2nd: kept
    tokens = [_csrf_tokens(page) for page in pages]
    assert all(len(t) == 1 for t in tokens)
    assert tokens[0] != tokens[1]
    for client, token in zip(clients, tokens, strict=True):
        answer = client.post("/language/en", data={"csrf_token": token.pop(), "next": "/tickets"})
        assert answer.status_code == 302  # accepted: each page's token is its session's
