"""Ticket pages: filing with files, the timeline, triage and cancel forms, scoping, lists."""

import html
import io
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aftercare.extensions import db
from aftercare.tickets import services
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory

HANGUL = re.compile(r"[가-힣]")
FORM = {
    "category": "breakdown",
    "severity": "high",
    "title": "프레스 2호기 유압 누유",
    "system": "프레스 2호기",
    "description": "오전 교대 중 유압 저하 알람이 반복됩니다.",
    "tags": "plc, 유압",
}
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


# ---------------------------------------------------------------- helpers


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


class _Page(HTMLParser):
    """Collects the ids of fields marked is-invalid and the text of flash alerts."""

    def __init__(self) -> None:
        super().__init__()
        self.invalid: set[str] = set()
        self.alerts: list[tuple[str, str]] = []
        self._alert: list | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "is-invalid" in classes and attrs.get("id"):
            self.invalid.add(attrs["id"])
        if self._alert is not None:
            if tag == "div":
                self._depth += 1
        elif tag == "div" and "alert" in classes and attrs.get("role") == "alert":
            kind = next(
                (c[6:] for c in classes if c.startswith("alert-") and c != "alert-dismissible"), ""
            )
            self._alert = [kind, ""]
            self._depth = 1

    def handle_endtag(self, tag):
        if self._alert is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self.alerts.append((self._alert[0], " ".join(self._alert[1].split())))
                self._alert = None

    def handle_data(self, data):
        if self._alert is not None:
            self._alert[1] += data


def parse(page_html: str) -> _Page:
    parser = _Page()
    parser.feed(page_html)
    return parser


def text_of(response) -> str:
    return response.get_data(as_text=True)


def timeline(page_html: str) -> list[str]:
    """The timeline entries of a ticket page as plain text, oldest first."""
    match = re.search(r'<ol class="list-group[^"]*">(.*?)</ol>', page_html, re.S)
    assert match, "no timeline on the page"
    items = re.findall(r"<li[^>]*>(.*?)</li>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def ticket_links(page_html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/tickets/(\d+)"', page_html)]


def older_link(page_html: str) -> str | None:
    for href in re.findall(r'class="page-link" href="([^"]+)"', page_html):
        href = html.unescape(href)
        if "cursor=" in href:
            return href
    return None


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ticket_row(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def set_status(ticket_id: int, status: str) -> None:
    db.session.get(Ticket, ticket_id).status = status
    db.session.commit()


def file_ticket(user, **fields) -> Ticket:
    data = {"category": "breakdown", "severity": "normal", "title": "설비 고장"} | fields
    return services.file_ticket(user, data)


def post_new(client, files=(), **fields):
    data = FORM | fields
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/tickets/new", data=data, content_type="multipart/form-data")


def switch_to(auth, user) -> None:
    auth.logout()
    assert auth.login(user).status_code == 302


def uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------- filing


def test_firm_files_a_ticket_with_a_photo_and_lands_on_its_timeline(client, auth, make):
    user = make.user("firm")
    auth.login(user)
    response = post_new(client, files=[("설비사진.png", png_bytes())])
    assert response.status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert response.headers["Location"] == f"/tickets/{ticket.id}"
    assert ticket.firm_id == user.firm_id
    assert (ticket.title, ticket.severity, ticket.status) == (FORM["title"], "high", "submitted")
    assert ticket.tags == ["plc", "유압"]
    attachment = db.session.scalars(select(Attachment)).one()
    assert (attachment.ticket_id, attachment.original_name) == (ticket.id, "설비사진.png")
    assert attachment.content_type == "image/png"

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    body = text_of(page)
    assert FORM["title"] in body
    assert [kind for kind, _ in parse(body).alerts] == ["success"]
    entries = timeline(body)
    assert len(entries) == 2  # the filing and the photo
    assert any("설비사진.png" in entry for entry in entries)
    assert f'href="/attachments/{attachment.id}"' in body


def test_the_firm_downloads_its_photo_from_the_page(client, auth, make):
    user = make.user("firm")
    auth.login(user)
    post_new(client, files=[("photo.png", png_bytes())])
    attachment = db.session.scalars(select(Attachment)).one()
    response = client.get(f"/attachments/{attachment.id}")
    try:
        assert response.status_code == 200
        assert response.get_data() == png_bytes()
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        response.close()


BAD_FORMS = [
    ("missing title", {"title": ""}, [], "title"),
    ("title of 201 characters", {"title": "가" * 201}, [], "title"),
    ("unknown category", {"category": "fire"}, [], "category"),
    ("executable named as a photo", {}, [("photo.png", EXE)], "files"),
    ("empty file", {}, [("empty.txt", b"")], "files"),
]


@pytest.mark.parametrize(
    ("fields", "files", "field"), [b[1:] for b in BAD_FORMS], ids=[b[0] for b in BAD_FORMS]
)
def test_form_errors_are_shown_in_place_and_nothing_is_created(
    client, auth, make, app, fields, files, field
):
    auth.login(make.user("firm"))
    response = post_new(client, files=files, **fields)
    assert response.status_code == 200
    page = parse(text_of(response))
    assert field in page.invalid
    assert count(Ticket) == 0
    assert count(Attachment) == 0
    assert count(TicketHistory) == 0
    assert uploaded_files(app) == []


def test_a_manager_files_for_a_firm_named_in_the_form(client, auth, make):
    firm = make.firm()
    auth.login(make.user("manager"))
    response = post_new(client, firm_id=str(firm.id))
    assert response.status_code == 302
    assert db.session.scalars(select(Ticket)).one().firm_id == firm.id


def test_a_manager_who_names_no_firm_sees_the_error_beside_the_field(client, auth, make):
    auth.login(make.user("manager"))
    response = post_new(client)
    assert response.status_code == 200
    assert "firm_id" in parse(text_of(response)).invalid
    assert count(Ticket) == 0


@pytest.mark.parametrize("role", ["meister", "auditor"])
def test_roles_that_do_not_file_get_403_on_the_form(client, auth, make, role):
    auth.login(make.user(role))
    assert client.get("/tickets/new").status_code == 403
    assert post_new(client).status_code == 403
    assert count(Ticket) == 0


# ---------------------------------------------------------------- triage


def test_manager_sees_eligibility_findings_and_triages_through_the_form(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(make.user("manager"))
    page = text_of(client.get(f"/tickets/{ticket.id}"))
    assert f'action="/tickets/{ticket.id}/triage"' in page
    # in words with a colour, no emoji font needed: small enterprise, smart factory built
    assert page.count('data-finding="met"><span class="badge text-bg-success">✓ 충족</span>') == 2
    assert 'data-finding="unmet"' not in page

    response = client.post(
        f"/tickets/{ticket.id}/triage",
        data={
            "decision": "accept",
            "support_type": "emergency",
            "reason": "",
            "override_reason": "",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.id}"
    row = ticket_row(ticket.id)
    assert row.status == "triaged"
    assert row.project_deadline is not None
    after = text_of(client.get(f"/tickets/{ticket.id}"))
    assert [kind for kind, _ in parse(after).alerts] == ["success"]
    assert f'action="/tickets/{ticket.id}/triage"' not in after


def test_the_firm_does_not_see_the_triage_form(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(firm_user)
    page = text_of(client.get(f"/tickets/{ticket.id}"))
    assert f'action="/tickets/{ticket.id}/triage"' not in page
    assert "data-finding" not in page


def test_an_ineligible_firm_needs_an_override_reason_in_the_form(client, auth, make):
    firm_user = make.user("firm", firm=make.firm(size="medium"))
    ticket = file_ticket(firm_user)
    auth.login(make.user("manager"))
    page = text_of(client.get(f"/tickets/{ticket.id}"))
    assert page.count('data-finding="unmet"><span class="badge text-bg-warning">! 미충족') == 1

    refused = client.post(
        f"/tickets/{ticket.id}/triage",
        data={"decision": "accept", "support_type": "emergency"},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert "danger" in [kind for kind, _ in parse(text_of(refused)).alerts]
    assert ticket_row(ticket.id).status == "submitted"

    accepted = client.post(
        f"/tickets/{ticket.id}/triage",
        data={"decision": "accept", "support_type": "emergency", "override_reason": "예외 승인"},
    )
    assert accepted.status_code == 302
    assert ticket_row(ticket.id).status == "triaged"
    assert "예외 승인" in " ".join(timeline(text_of(client.get(f"/tickets/{ticket.id}"))))


def test_firm_and_manager_see_the_same_timeline(client, auth, make):
    firm_user = make.user("firm")
    manager = make.user("manager")
    auth.login(firm_user)
    post_new(client, files=[("photo.png", png_bytes())])
    ticket = db.session.scalars(select(Ticket)).one()
    client.post(f"/tickets/{ticket.id}/comments", data={"body": "오후 방문 가능합니다"})

    switch_to(auth, manager)
    client.post(
        f"/tickets/{ticket.id}/triage", data={"decision": "accept", "support_type": "emergency"}
    )
    client.post(f"/tickets/{ticket.id}/comments", data={"body": "내일 오전 배정 예정"})
    manager_view = timeline(text_of(client.get(f"/tickets/{ticket.id}")))

    switch_to(auth, firm_user)
    firm_view = timeline(text_of(client.get(f"/tickets/{ticket.id}")))
    assert firm_view == manager_view
    assert len(firm_view) == 5  # filed, photo, comment, triage, comment
    joined = " ".join(firm_view)
    assert "오후 방문 가능합니다" in joined
    assert "내일 오전 배정 예정" in joined
    assert joined.index("오후 방문 가능합니다") < joined.index("내일 오전 배정 예정")
    assert count(Comment) == 2


def test_attaching_a_file_on_the_ticket_page(client, auth, make, app):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(firm_user)
    ok = client.post(
        f"/tickets/{ticket.id}/attachments",
        data={"files": [(io.BytesIO("점검 메모\n".encode()), "메모.txt")]},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert db.session.scalars(select(Attachment)).one().content_type == "text/plain"
    refused = client.post(
        f"/tickets/{ticket.id}/attachments",
        data={"files": [(io.BytesIO(EXE), "photo.png")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert "danger" in [kind for kind, _ in parse(text_of(refused)).alerts]
    assert count(Attachment) == 1
    assert len(uploaded_files(app)) == 1


# ---------------------------------------------------------------- refused transitions


def test_a_refused_transition_flashes_a_message_instead_of_failing(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    set_status(ticket.id, "resolved")
    auth.login(firm_user)
    response = client.post(
        f"/tickets/{ticket.id}/cancel", data={"reason": "필요 없음"}, follow_redirects=True
    )
    assert response.status_code == 200
    alerts = parse(text_of(response)).alerts
    assert alerts
    assert alerts[0][0] in ("warning", "danger")
    assert ticket_row(ticket.id).status == "resolved"


def test_triaging_twice_through_the_form_flashes_a_message(client, auth, make):
    ticket = file_ticket(make.user("firm"))
    auth.login(make.user("manager"))
    data = {"decision": "accept", "support_type": "emergency"}
    first = client.post(f"/tickets/{ticket.id}/triage", data=data, follow_redirects=True)
    assert [kind for kind, _ in parse(text_of(first)).alerts] == ["success"]
    history = count(TicketHistory)
    again = client.post(f"/tickets/{ticket.id}/triage", data=data, follow_redirects=True)
    assert again.status_code == 200
    assert [kind for kind, _ in parse(text_of(again)).alerts] == ["warning"]
    assert count(TicketHistory) == history


def test_a_firm_posting_a_triage_gets_403_not_a_crash(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(firm_user)
    response = client.post(f"/tickets/{ticket.id}/triage", data={"decision": "accept"})
    assert response.status_code == 403
    assert ticket_row(ticket.id).status == "submitted"


# ---------------------------------------------------------------- cancel


def test_cancel_asks_for_confirmation_and_get_changes_nothing(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(firm_user)
    page = text_of(client.get(f"/tickets/{ticket.id}"))
    assert f'href="/tickets/{ticket.id}/cancel"' in page
    confirm = client.get(f"/tickets/{ticket.id}/cancel")
    assert confirm.status_code == 200
    body = text_of(confirm)
    assert '<form method="post"' in body
    assert 'name="reason"' in body
    assert ticket_row(ticket.id).status == "submitted"
    assert count(TicketHistory) == 1


def test_cancelling_through_the_form_needs_a_reason(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user)
    auth.login(firm_user)
    empty = client.post(f"/tickets/{ticket.id}/cancel", data={"reason": "  "})
    assert empty.status_code == 200
    assert "reason" in parse(text_of(empty)).invalid
    assert ticket_row(ticket.id).status == "submitted"

    done = client.post(f"/tickets/{ticket.id}/cancel", data={"reason": "자체 수리 완료"})
    assert done.status_code == 302
    assert ticket_row(ticket.id).status == "cancelled"
    page = text_of(client.get(done.headers["Location"]))
    assert "자체 수리 완료" in " ".join(timeline(page))
    assert f'href="/tickets/{ticket.id}/cancel"' not in page


# ---------------------------------------------------------------- scoping


def test_another_firms_ticket_page_and_files_are_404(client, auth, make):
    owner = make.user("firm")
    ticket = file_ticket(owner)
    auth.login(owner)
    post = client.post(
        f"/tickets/{ticket.id}/attachments",
        data={"files": [(io.BytesIO(png_bytes()), "photo.png")]},
        content_type="multipart/form-data",
    )
    assert post.status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()

    switch_to(auth, make.user("firm"))
    for path in (
        f"/tickets/{ticket.id}",
        f"/tickets/{ticket.id}/cancel",
        f"/attachments/{attachment.id}",
    ):
        response = client.get(path)
        response.close()
        assert response.status_code == 404, path
    assert client.post(f"/tickets/{ticket.id}/comments", data={"body": "엿보기"}).status_code == 404
    assert (
        client.post(f"/tickets/{ticket.id}/cancel", data={"reason": "남의 것"}).status_code == 404
    )
    assert ticket.id not in ticket_links(text_of(client.get("/tickets")))
    assert count(Comment) == 0
    assert ticket_row(ticket.id).status == "submitted"


def test_an_unassigned_meister_gets_404_for_the_ticket_page(client, auth, make):
    ticket = file_ticket(make.user("firm"))
    auth.login(make.user("meister"))
    assert client.get(f"/tickets/{ticket.id}").status_code == 404
    assert ticket_links(text_of(client.get("/tickets"))) == []


# ---------------------------------------------------------------- list


def test_list_filters_show_only_matching_tickets(client, auth, make):
    firm_user = make.user("firm")
    breakdown = file_ticket(firm_user, category="breakdown", title="유압 누유")
    upgrade = file_ticket(firm_user, category="upgrade", title="MES 개선")
    critical = file_ticket(firm_user, severity="critical", title="정전 후 재기동 불가")
    auth.login(make.user("manager"))
    assert ticket_links(text_of(client.get("/tickets?category=upgrade"))) == [upgrade.id]
    assert ticket_links(text_of(client.get("/tickets?severity=critical"))) == [critical.id]
    assert ticket_links(text_of(client.get("/tickets?q=누유"))) == [breakdown.id]
    set_status(upgrade.id, "cancelled")
    assert ticket_links(text_of(client.get("/tickets?status=cancelled"))) == [upgrade.id]
    everything = ticket_links(text_of(client.get("/tickets")))
    assert everything == [critical.id, upgrade.id, breakdown.id]


@pytest.mark.parametrize("query", ["status=bogus", "category=fire", "severity=' OR 1=1 --"])
def test_a_filter_value_outside_its_vocabulary_matches_nothing(client, auth, make, query):
    file_ticket(make.user("firm"), title="유압 누유")
    auth.login(make.user("manager"))
    page = client.get(f"/tickets?{query}")
    assert page.status_code == 200
    assert ticket_links(text_of(page)) == []
    assert "조건에 맞는 A/S 요청이 없습니다." in text_of(page)


def test_list_pagination_links_walk_every_ticket_once(client, auth, make):
    firm_user = make.user("firm")
    made = [file_ticket(firm_user, title=f"티켓 {n}").id for n in range(5)]
    auth.login(firm_user)
    seen, url, pages = [], "/tickets?limit=2", 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        body = text_of(page)
        seen += ticket_links(body)
        pages += 1
        url = older_link(body)
        if url:
            assert "limit=2" in url
    assert pages == 3
    assert seen == sorted(made, reverse=True)


def test_pagination_links_keep_the_filter(client, auth, make):
    firm_user = make.user("firm")
    upgrades = [file_ticket(firm_user, category="upgrade").id for _ in range(2)]
    file_ticket(firm_user, category="defect")
    auth.login(firm_user)
    first = text_of(client.get("/tickets?category=upgrade&limit=1"))
    link = older_link(first)
    assert link is not None
    assert "category=upgrade" in link
    second = text_of(client.get(link))
    assert ticket_links(first) + ticket_links(second) == sorted(upgrades, reverse=True)
    assert older_link(second) is None


@pytest.mark.parametrize("query", ["cursor=%%%", "limit=abc", "limit=0"])
def test_a_bad_list_address_redirects_with_a_message(client, auth, make, query):
    auth.login(make.user("manager"))
    response = client.get(f"/tickets?{query}", follow_redirects=True)
    assert response.status_code == 200
    assert parse(text_of(response)).alerts


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/tickets/9999999999", 404),
        ("/tickets/99999999999999999999999", 404),
        ("/tickets/99999999999999999999999/cancel", 404),
        ("/attachments/99999999999999999999999", 404),
        ("/tickets?firm_id=99999999999999999999999", 200),
        ("/tickets?firm_id=abc", 200),
    ],
)
def test_odd_addresses_are_answered_without_a_500(client, auth, make, path, expected):
    auth.login(make.user("manager"))
    response = client.get(path)
    response.close()
    assert response.status_code == expected


def test_a_manager_typing_letters_as_the_firm_id_sees_a_field_error(client, auth, make):
    auth.login(make.user("manager"))
    response = post_new(client, firm_id="abc")
    assert response.status_code == 200
    assert "firm_id" in parse(text_of(response)).invalid
    assert count(Ticket) == 0


# ---------------------------------------------------------------- language


def _labels(page_html: str) -> list[str]:
    """Text of the status and severity badges on a page."""
    return [
        html.unescape(t).strip()
        for t in re.findall(r'<span class="badge text-bg-[a-z]+">([^<]+)</span>', page_html)
    ]


def test_ticket_pages_are_korean_by_default(client, auth, make):
    firm_user = make.user("firm")
    ticket = file_ticket(firm_user, category="breakdown", severity="high")
    auth.login(firm_user)
    listing = text_of(client.get("/tickets"))
    detail = text_of(client.get(f"/tickets/{ticket.id}"))
    for page in (listing, detail):
        labels = _labels(page)
        assert labels, "no status or severity badges found"
        assert all(HANGUL.search(label) for label in labels), labels
        for english in ("Breakdown", "Submitted", "High", "Timeline", "Tickets"):
            assert f">{english}<" not in page, english
    assert "filed the ticket" not in detail
    new_form = text_of(client.get("/tickets/new"))
    assert "Report a problem" not in new_form
    assert "<title>" in new_form


def test_english_is_shown_to_users_who_prefer_it(client, auth, make):
    firm_user = make.user("firm", language="en")
    ticket = file_ticket(firm_user, category="breakdown", severity="high")
    auth.login(firm_user)
    detail = text_of(client.get(f"/tickets/{ticket.id}"))
    assert "Breakdown" in detail
    assert "Submitted" in _labels(detail)
