"""/api/v1/tickets: filing, scoped lists, detail, triage, cancel, extend, comments, files."""

import io
import json
import struct
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.tickets import services as ticket_services
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory

TICKET = {
    "category": "breakdown",
    "severity": "normal",
    "title": "프레스 2호기 유압 누유",
    "description": "오전 교대 중 유압 저하 알람이 반복됩니다.",
}
THIS_YEAR = datetime.now(ZoneInfo("Asia/Seoul")).year
CONTRACT_FIELDS = {
    "id", "firm_id", "category", "support_type", "severity", "title", "description",
    "status", "meister_id", "sla_breached", "project_deadline", "claim",
}  # fmt: skip


@pytest.fixture
def app_config(app_config):
    return app_config | {"MAX_ATTACHMENT_BYTES": 1024}


# ---------------------------------------------------------------- helpers


def assert_error(response, code):
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str)
    assert body["status"]
    assert isinstance(body["message"], str)
    return body


def seoul_today() -> date:
    return datetime.now(ZoneInfo("Asia/Seoul")).date()


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


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


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def file_ticket(caller, **fields) -> dict:
    response = caller.post("/tickets", json=TICKET | fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def upload(caller, ticket_id: int, data: bytes, name: str = "photo.png"):
    return caller.post(
        f"/tickets/{ticket_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def download(caller, attachment_id: int):
    """(status, headers, body) of a download; the streamed response is closed."""
    response = caller.get(f"/attachments/{attachment_id}")
    try:
        return response.status_code, response.headers, response.get_data()
    finally:
        response.close()


def set_ticket(ticket_id: int, **values) -> None:
    ticket = db.session.get(Ticket, ticket_id)
    for name, value in values.items():
        setattr(ticket, name, value)
    db.session.commit()


def ticket_row(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def history_rows(ticket_id: int) -> list[TicketHistory]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketHistory)
            .where(TicketHistory.ticket_id == ticket_id)
            .order_by(TicketHistory.id)
        )
    )


def audit_events(ticket_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "ticket", AuditEvent.object_id == ticket_id)
            .order_by(AuditEvent.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def people(make):
    firm_a = make.firm(name="가나정밀")
    firm_b = make.firm(name="다라기계")
    return SimpleNamespace(
        firm_a=firm_a,
        firm_b=firm_b,
        alice=make.user("firm", firm=firm_a),
        bob=make.user("firm", firm=firm_b),
        manager=make.user("manager"),
        auditor=make.user("auditor"),
        meister=make.user("meister"),
        admin=make.user("admin"),
    )


def triaged_ticket(api, people, **fields) -> dict:
    ticket = file_ticket(api.as_(people.alice), **fields)
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "accept"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# ---------------------------------------------------------------- filing


def test_firm_user_files_a_ticket_for_their_own_firm(client, api, people):
    response = api.as_(people.alice).post("/tickets", json=TICKET)
    assert response.status_code == 201
    ticket = response.get_json()
    assert set(ticket) >= CONTRACT_FIELDS
    assert ticket["firm_id"] == people.firm_a.id
    assert ticket["status"] == "submitted"
    assert ticket["title"] == TICKET["title"]
    assert ticket["meister_id"] is None
    assert ticket["claim"] is None
    assert ticket["project_deadline"] is None
    assert ticket["sla_breached"] is False
    assert ticket_row(ticket["id"]).created_by_id == people.alice.id


def test_firm_user_cannot_file_for_another_firm_by_naming_it(client, api, people):
    response = api.as_(people.alice).post("/tickets", json=TICKET | {"firm_id": people.firm_b.id})
    assert response.status_code in (201, 403, 422)
    if response.status_code == 201:
        assert response.get_json()["firm_id"] == people.firm_a.id
    other = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.firm_id == people.firm_b.id)
    )
    assert other == 0


def test_manager_files_a_ticket_for_the_firm_they_name(client, api, people):
    ticket = file_ticket(api.as_(people.manager), firm_id=people.firm_b.id)
    assert ticket["firm_id"] == people.firm_b.id
    assert ticket_row(ticket["id"]).created_by_id == people.manager.id


@pytest.mark.parametrize("firm_id", [None, 999_999])
def test_manager_must_name_an_existing_firm(client, api, people, firm_id):
    body = TICKET if firm_id is None else TICKET | {"firm_id": firm_id}
    errors = assert_error(api.as_(people.manager).post("/tickets", json=body), 422)["errors"]
    assert "firm_id" in errors
    assert count(Ticket) == 0


@pytest.mark.parametrize("role", ["meister", "auditor", "admin"])
def test_other_roles_may_not_file_tickets(client, api, people, role):
    user = {"meister": people.meister, "auditor": people.auditor, "admin": people.admin}[role]
    assert_error(api.as_(user).post("/tickets", json=TICKET | {"firm_id": people.firm_a.id}), 403)
    assert count(Ticket) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "가" * 201}, "title"),
        ({"category": "fire"}, "category"),
        ({"category": None}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"severity": None}, "severity"),
    ],
    ids=[
        "missing-title", "empty-title", "blank-title", "title-201-chars", "bad-category",
        "missing-category", "bad-severity", "missing-severity",
    ],
)  # fmt: skip
def test_invalid_ticket_input_is_422_with_field_errors(client, api, people, change, field):
    body = {k: v for k, v in (TICKET | change).items() if v is not None}
    errors = assert_error(api.as_(people.alice).post("/tickets", json=body), 422)["errors"]
    assert field in errors
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert count(Ticket) == 0


def test_a_title_of_exactly_200_characters_is_accepted(client, api, people):
    ticket = file_ticket(api.as_(people.alice), title="가" * 200)
    assert len(ticket["title"]) == 200


ODD_REQUESTS = [
    ("POST", "/tickets", []),
    ("POST", "/tickets", "just a string"),
    ("POST", "/tickets", TICKET | {"title": 5}),
    ("POST", "/tickets", TICKET | {"tags": "plc"}),
    ("POST", "/tickets", TICKET | {"tags": [1, 2]}),
    ("POST", "/tickets", TICKET | {"tags": ["x" * 41]}),
    ("POST", "/tickets", TICKET | {"tags": [f"t{n}" for n in range(11)]}),
    ("POST", "/tickets", TICKET | {"description": None}),
    ("POST", "/tickets", TICKET | {"description": "가" * 10_001}),
    ("POST", "/tickets", TICKET | {"firm_id": "1"}),
    ("POST", "/tickets", TICKET | {"support_type": "growth"}),
    ("POST", "/tickets/{t}/triage", {"decision": None}),
    ("POST", "/tickets/{t}/triage", []),
    ("POST", "/tickets/{t}/triage", {"decision": "accept", "reason": 5}),
    ("POST", "/tickets/{t}/cancel", {"reason": ["a"]}),
    ("POST", "/tickets/{t}/comments", {"body": {"x": 1}}),
    ("GET", "/tickets/9999999999", None),
    ("GET", "/tickets/99999999999999999999999", None),
    ("GET", "/tickets?firm_id=99999999999999999999999", None),
    ("GET", "/tickets?limit=1.5", None),
    ("GET", "/tickets?q=" + "x" * 201, None),
    ("GET", "/tickets?cursor=aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5", None),
    ("GET", "/attachments/99999999999999999999999", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), ODD_REQUESTS, ids=[f"{m} {p[:40]}" for m, p, _ in ODD_REQUESTS]
)
def test_odd_input_is_answered_without_a_500(client, api, people, method, path, body):
    ticket = file_ticket(api.as_(people.alice))
    caller = api.as_(people.manager)
    path = path.format(t=ticket["id"])
    response = caller.get(path) if method == "GET" else caller.post(path, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.get_json()["code"] == response.status_code
    assert ticket_row(ticket["id"]).status == "submitted"


def test_a_body_that_is_not_json_is_400(client, api, people):
    caller = api.as_(people.alice)
    form = caller._headers({"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(client.post("/api/v1/tickets", data="title=x", headers=form), 400)
    broken = caller._headers({"Content-Type": "application/json"})
    assert_error(client.post("/api/v1/tickets", data='{"title": ', headers=broken), 400)
    assert count(Ticket) == 0


@pytest.mark.parametrize(
    ("category", "support_type"),
    [
        ("breakdown", "emergency"),
        ("defect", "emergency"),
        ("component_replacement", "emergency"),
        ("upgrade", "growth"),
    ],
)
def test_support_type_is_set_by_category(client, api, people, category, support_type):
    ticket = file_ticket(api.as_(people.alice), category=category)
    assert ticket["support_type"] == support_type


# ---------------------------------------------------------------- lists


def test_firm_sees_only_their_own_firms_tickets(client, api, people):
    mine = [file_ticket(api.as_(people.alice))["id"] for _ in range(2)]
    file_ticket(api.as_(people.bob))
    caller = api.as_(people.alice)
    assert ids(caller.get("/tickets")) == sorted(mine, reverse=True)
    assert ids(caller.get(f"/tickets?firm_id={people.firm_b.id}")) == []


def test_meister_sees_only_tickets_assigned_to_them(client, api, make, people):
    other_meister = make.user("meister")
    tickets = [file_ticket(api.as_(people.alice))["id"] for _ in range(3)]
    set_ticket(tickets[1], meister_id=people.meister.id, status="assigned")
    set_ticket(tickets[2], meister_id=other_meister.id, status="assigned")
    assert ids(api.as_(people.meister).get("/tickets")) == [tickets[1]]
    assert ids(api.as_(other_meister).get("/tickets")) == [tickets[2]]
    assert ids(api.as_(make.user("meister")).get("/tickets")) == []


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_managers_and_auditors_see_every_ticket(client, api, people, role):
    tickets = [file_ticket(api.as_(user))["id"] for user in (people.alice, people.bob)]
    caller = api.as_(getattr(people, role))
    assert ids(caller.get("/tickets")) == sorted(tickets, reverse=True)


def test_admins_do_not_see_tickets(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    caller = api.as_(people.admin)
    assert_error(caller.get("/tickets"), 403)
    assert caller.get(f"/tickets/{ticket['id']}").status_code in (403, 404)


@pytest.fixture
def catalogue(api, people):
    """Four tickets of two firms, named so filter expectations read plainly."""
    manager = api.as_(people.manager)
    made = {
        "press": file_ticket(
            manager, firm_id=people.firm_a.id, category="breakdown", severity="critical",
            title="프레스 유압 누유", tags=["plc"],
        ),
        "mes": file_ticket(
            manager, firm_id=people.firm_a.id, category="upgrade", severity="normal",
            title="MES 화면 개선", system="MES 서버",
        ),
        "vision": file_ticket(
            manager, firm_id=people.firm_b.id, category="defect", severity="high",
            title="비전 검사 오류", description="카메라 초점과 PLC 신호 불일치",
        ),
        "sensor": file_ticket(
            manager, firm_id=people.firm_b.id, category="component_replacement",
            severity="low", title="온도 센서 교체",
        ),
    }  # fmt: skip
    set_ticket(made["vision"]["id"], status="triaged")
    set_ticket(made["sensor"]["id"], sla_breached=True)
    set_ticket(made["mes"]["id"], meister_id=people.meister.id, status="assigned")
    return {name: ticket["id"] for name, ticket in made.items()}


FILTERS = [
    ("status=submitted", ["press", "sensor"]),
    ("status=triaged", ["vision"]),
    ("status=assigned", ["mes"]),
    ("category=upgrade", ["mes"]),
    ("category=component_replacement", ["sensor"]),
    ("severity=high", ["vision"]),
    ("severity=critical", ["press"]),
    ("firm_id={firm_a}", ["press", "mes"]),
    ("firm_id={firm_b}", ["vision", "sensor"]),
    ("meister_id={meister}", ["mes"]),
    ("q=프레스", ["press"]),
    ("q=PLC", ["press", "vision"]),  # a tag and a description, case-insensitive
    ("q=mes 서버", ["mes"]),  # every word must match
    ("q=없는단어", []),
    ("q=%25", []),  # a literal percent sign is not a wildcard
    ("q=_", []),
    ("sla_breached=true", ["sensor"]),
    ("sla_breached=false", ["press", "mes", "vision"]),
    ("status=submitted&firm_id={firm_b}", ["sensor"]),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_ticket_list_filters(client, api, people, catalogue, query, expected):
    query = query.format(
        firm_a=people.firm_a.id, firm_b=people.firm_b.id, meister=people.meister.id
    )
    got = ids(api.as_(people.manager).get(f"/tickets?{query}"))
    assert got == sorted((catalogue[name] for name in expected), reverse=True)


@pytest.mark.parametrize(
    "query", ["status=bogus", "category=fire", "severity=urgent", "limit=0", "limit=101",
              "cursor=%%%", "firm_id=abc"],
)  # fmt: skip
def test_bad_list_arguments_are_422(client, api, people, query):
    assert_error(api.as_(people.manager).get(f"/tickets?{query}"), 422)


def test_ticket_list_pages_by_cursor_newest_first_without_duplicates(client, api, people):
    caller = api.as_(people.alice)
    made = [file_ticket(caller, title=f"티켓 {n}")["id"] for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        path = "/tickets?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = caller.get(path).get_json()
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == 3
    assert seen == sorted(made, reverse=True)
    assert len(seen) == len(set(seen))


def test_pagination_keeps_the_filter(client, api, people):
    caller = api.as_(people.alice)
    upgrades = [file_ticket(caller, category="upgrade")["id"] for _ in range(3)]
    file_ticket(caller, category="defect")
    first = caller.get("/tickets?category=upgrade&limit=2").get_json()
    second = caller.get(
        f"/tickets?category=upgrade&limit=2&cursor={first['next_cursor']}"
    ).get_json()
    got = [t["id"] for t in first["items"] + second["items"]]
    assert got == sorted(upgrades, reverse=True)
    assert second["next_cursor"] is None


def test_text_search_pages_by_cursor_within_the_callers_tickets(client, api, people):
    alice, bob = api.as_(people.alice), api.as_(people.bob)
    # Words of three or more characters: SQLite answers them from its FTS5 index.
    mine = [file_ticket(alice, title=f"유압펌프 교체 {n}")["id"] for n in range(5)]
    file_ticket(bob, title="유압펌프 교체")  # another firm's: never listed for alice
    file_ticket(alice, title="컨베이어 벨트")  # no match
    seen, cursor = [], None
    while True:
        body = alice.get("/tickets?q=유압펌프&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += ids(body)
        cursor = body.get_json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(mine, reverse=True)


def test_default_page_size_is_25(client, api, people):
    caller = api.as_(people.alice)
    for n in range(26):
        file_ticket(caller, title=f"티켓 {n}")
    body = caller.get("/tickets").get_json()
    assert len(body["items"]) == 25
    assert body["next_cursor"] is not None


# ---------------------------------------------------------------- detail and history


def test_ticket_detail_has_the_contract_fields(client, api, people):
    ticket = file_ticket(api.as_(people.alice), system="프레스 2호기", tags=["PLC", "plc", "유압"])
    detail = api.as_(people.alice).get(f"/tickets/{ticket['id']}")
    assert detail.status_code == 200
    body = detail.get_json()
    assert set(body) >= CONTRACT_FIELDS
    assert {k: body[k] for k in CONTRACT_FIELDS} == {
        "id": ticket["id"], "firm_id": people.firm_a.id, "category": "breakdown",
        "support_type": "emergency", "severity": "normal", "title": TICKET["title"],
        "description": TICKET["description"], "status": "submitted", "meister_id": None,
        "sla_breached": False, "project_deadline": None, "claim": None,
    }  # fmt: skip


def test_unknown_ticket_is_404(client, api, people):
    assert_error(api.as_(people.manager).get("/tickets/999999"), 404)
    assert_error(api.as_(people.manager).get("/tickets/999999/history"), 404)
    assert_error(api.as_(people.manager).post("/tickets/999999/cancel", json={"reason": "x"}), 404)
    assert_error(api.as_(people.manager).get("/attachments/999999"), 404)


def test_history_is_a_list_of_rows_newest_first(client, api, people):
    ticket = triaged_ticket(api, people)
    response = api.as_(people.alice).get(f"/tickets/{ticket['id']}/history")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    rows = body["items"]
    assert [r["action"] for r in rows] == ["triage_accept", "file"]
    assert {"id", "action", "from_status", "to_status", "actor_id", "reason", "created_at"} <= set(
        rows[0]
    )
    assert rows[1]["from_status"] is None
    assert rows[1]["to_status"] == "submitted"
    assert rows[1]["actor_id"] == people.alice.id
    assert rows[0]["from_status"] == "submitted"
    assert rows[0]["to_status"] == "triaged"
    assert rows[0]["actor_id"] == people.manager.id
    assert datetime.fromisoformat(rows[0]["created_at"]).tzinfo is not None


def test_history_pages_by_cursor(client, api, people):
    ticket = triaged_ticket(api, people)
    api.as_(people.manager).post(f"/tickets/{ticket['id']}/extend", json={"reason": "지연"})
    caller = api.as_(people.auditor)
    first = caller.get(f"/tickets/{ticket['id']}/history?limit=2").get_json()
    second = caller.get(
        f"/tickets/{ticket['id']}/history?limit=2&cursor={first['next_cursor']}"
    ).get_json()
    actions = [r["action"] for r in first["items"] + second["items"]]
    assert actions == ["extend", "triage_accept", "file"]
    assert second["next_cursor"] is None


# ---------------------------------------------------------------- object-level access


@pytest.fixture
def alices_ticket(api, people):
    ticket = file_ticket(api.as_(people.alice))
    attachment = upload(api.as_(people.alice), ticket["id"], png_bytes()).get_json()
    api.as_(people.alice).post(f"/tickets/{ticket['id']}/comments", json={"body": "사진 첨부"})
    return SimpleNamespace(id=ticket["id"], attachment_id=attachment["id"])


HIDDEN_REQUESTS = [
    ("GET", "/tickets/{t}", None),
    ("GET", "/tickets/{t}/history", None),
    ("GET", "/tickets/{t}/comments", None),
    ("POST", "/tickets/{t}/comments", {"body": "엿보기"}),
    ("POST", "/tickets/{t}/attachments", "file"),
    ("POST", "/tickets/{t}/cancel", {"reason": "남의 티켓"}),
    ("POST", "/tickets/{t}/triage", {"decision": "accept"}),
    ("GET", "/attachments/{a}", None),
]


def _call(caller, method, path, body):
    if method == "GET":
        response = caller.get(path)
    elif body == "file":
        response = caller.post(
            path, data={"file": (io.BytesIO(png_bytes()), "x.png")},
            content_type="multipart/form-data",
        )  # fmt: skip
    else:
        response = caller.post(path, json=body)
    try:
        return response.status_code, response.get_json(silent=True)
    finally:
        response.close()


@pytest.mark.parametrize(
    ("method", "path", "body"), HIDDEN_REQUESTS, ids=[f"{m} {p}" for m, p, _ in HIDDEN_REQUESTS]
)
def test_another_firms_ticket_is_404_everywhere(
    client, api, people, alices_ticket, method, path, body
):
    path = path.format(t=alices_ticket.id, a=alices_ticket.attachment_id)
    status, payload = _call(api.as_(people.bob), method, path, body)
    assert status == 404
    assert payload["code"] == 404
    assert count(Comment) == 1
    assert count(Attachment) == 1
    assert ticket_row(alices_ticket.id).status == "submitted"


@pytest.mark.parametrize(
    ("method", "path", "body"), HIDDEN_REQUESTS, ids=[f"{m} {p}" for m, p, _ in HIDDEN_REQUESTS]
)
def test_a_meister_gets_404_for_a_ticket_not_assigned_to_them(
    client, api, people, alices_ticket, method, path, body
):
    path = path.format(t=alices_ticket.id, a=alices_ticket.attachment_id)
    status, payload = _call(api.as_(people.meister), method, path, body)
    assert status == 404
    assert payload["code"] == 404
    assert count(Comment) == 1
    assert count(Attachment) == 1


def test_the_assigned_meister_sees_the_ticket_and_its_files(client, api, people, alices_ticket):
    set_ticket(alices_ticket.id, meister_id=people.meister.id, status="assigned")
    caller = api.as_(people.meister)
    assert caller.get(f"/tickets/{alices_ticket.id}").status_code == 200
    assert caller.get(f"/tickets/{alices_ticket.id}/history").status_code == 200
    status, _, data = download(caller, alices_ticket.attachment_id)
    assert status == 200
    assert data == png_bytes()
    comment = caller.post(f"/tickets/{alices_ticket.id}/comments", json={"body": "내일 방문"})
    assert comment.status_code == 201


def test_auditor_may_read_but_not_comment_or_change(client, api, people, alices_ticket):
    caller = api.as_(people.auditor)
    t = alices_ticket.id
    assert caller.get(f"/tickets/{t}").status_code == 200
    assert caller.get(f"/tickets/{t}/history").status_code == 200
    assert len(caller.get(f"/tickets/{t}/comments").get_json()["items"]) == 1
    status, _, _ = download(caller, alices_ticket.attachment_id)
    assert status == 200
    assert_error(caller.post(f"/tickets/{t}/comments", json={"body": "감사 의견"}), 403)
    assert_error(upload(caller, t, png_bytes()), 403)
    assert_error(caller.post(f"/tickets/{t}/triage", json={"decision": "accept"}), 403)
    assert_error(caller.post(f"/tickets/{t}/cancel", json={"reason": "x"}), 403)
    assert count(Comment) == 1
    assert count(Attachment) == 1
    assert ticket_row(t).status == "submitted"


# ---------------------------------------------------------------- comments


def test_firm_comments_on_their_ticket_and_everyone_in_scope_reads_it(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.alice).post(
        f"/tickets/{ticket['id']}/comments", json={"body": "  오후 2시 이후 방문 가능  "}
    )
    assert response.status_code == 201
    comment = response.get_json()
    assert comment["body"] == "오후 2시 이후 방문 가능"
    assert comment["author_id"] == people.alice.id
    listed = api.as_(people.manager).get(f"/tickets/{ticket['id']}/comments").get_json()
    assert [c["id"] for c in listed["items"]] == [comment["id"]]
    assert listed["next_cursor"] is None


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}])
def test_an_empty_comment_is_422(client, api, people, body):
    ticket = file_ticket(api.as_(people.alice))
    errors = assert_error(
        api.as_(people.alice).post(f"/tickets/{ticket['id']}/comments", json=body), 422
    )["errors"]
    assert "body" in errors
    assert count(Comment) == 0


# ---------------------------------------------------------------- triage


def test_accepting_at_triage_starts_a_six_month_project(client, api, people):
    ticket = file_ticket(api.as_(people.alice), severity="critical")
    before = datetime.now(UTC)
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "accept"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "triaged"
    assert body["project_deadline"] == add_months(seoul_today(), 6).isoformat()
    assert body["resolution_due_at"] is not None
    assert datetime.fromisoformat(body["resolution_due_at"]) > before
    assert ticket_row(ticket["id"]).triaged_at is not None


def test_rejecting_at_triage_needs_a_reason(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    caller = api.as_(people.manager)
    path = f"/tickets/{ticket['id']}/triage"
    for body in ({"decision": "reject"}, {"decision": "reject", "reason": "  "}):
        assert "reason" in assert_error(caller.post(path, json=body), 422)["errors"]
    assert ticket_row(ticket["id"]).status == "submitted"
    response = caller.post(path, json={"decision": "reject", "reason": "지원 대상 설비가 아님"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["project_deadline"] is None
    assert history_rows(ticket["id"])[-1].reason == "지원 대상 설비가 아님"


def test_an_unknown_triage_decision_is_422(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "maybe"}
    )
    assert "decision" in assert_error(response, 422)["errors"]


@pytest.mark.parametrize(
    ("firm", "category"),
    [
        ({"size": "medium"}, "breakdown"),
        ({"built_year": None}, "breakdown"),
        ({"policy_fund_year": None}, "upgrade"),
        ({"policy_fund_year": THIS_YEAR - 4}, "upgrade"),
    ],
    ids=["medium-size", "no-smart-factory", "growth-without-policy-fund", "growth-fund-4y-ago"],
)
def test_an_ineligible_firm_is_accepted_only_with_an_override_reason(
    client, api, make, people, firm, category
):
    firm_user = make.user("firm", firm=make.firm(**({"policy_fund_year": None} | firm)))
    ticket = file_ticket(api.as_(firm_user), category=category)
    caller = api.as_(people.manager)
    path = f"/tickets/{ticket['id']}/triage"
    refused = assert_error(caller.post(path, json={"decision": "accept"}), 422)
    assert "override_reason" in refused["errors"]
    assert ticket_row(ticket["id"]).status == "submitted"
    assert [h.action for h in history_rows(ticket["id"])] == ["file"]

    reason = "지역 특화 사업 연계로 예외 승인"
    accepted = caller.post(path, json={"decision": "accept", "override_reason": reason})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "triaged"
    row = history_rows(ticket["id"])[-1]
    assert row.action == "triage_accept"
    assert reason in row.reason


def test_growth_with_a_policy_fund_exactly_three_years_ago_needs_no_override(
    client, api, make, people
):
    firm_user = make.user("firm", firm=make.firm(policy_fund_year=THIS_YEAR - 3))
    ticket = file_ticket(api.as_(firm_user), category="upgrade")
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "accept"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["support_type"] == "growth"


def test_rejecting_an_ineligible_ticket_needs_no_override(client, api, make, people):
    firm_user = make.user("firm", firm=make.firm(size="medium"))
    ticket = file_ticket(api.as_(firm_user))
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "reject", "reason": "중기업"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"


@pytest.mark.parametrize(
    "second", [{"decision": "accept"}, {"decision": "reject", "reason": "중복"}]
)
def test_triaging_twice_is_409_with_reason_and_current_status(client, api, people, second):
    ticket = triaged_ticket(api, people)
    caller = api.as_(people.manager)  # issuing a token is itself audited
    history_before, audit_before = len(history_rows(ticket["id"])), count(AuditEvent)
    body = assert_error(caller.post(f"/tickets/{ticket['id']}/triage", json=second), 409)
    assert body["current_status"] == "triaged"
    assert isinstance(body["reason"], str)
    assert body["reason"]
    assert len(history_rows(ticket["id"])) == history_before
    assert count(AuditEvent) == audit_before


def test_manager_changes_the_support_type_at_triage_only_with_a_reason(client, api, make, people):
    firm_user = make.user("firm", firm=make.firm(policy_fund_year=THIS_YEAR - 1))
    ticket = file_ticket(api.as_(firm_user), category="breakdown")
    caller = api.as_(people.manager)
    path = f"/tickets/{ticket['id']}/triage"
    refused = assert_error(
        caller.post(path, json={"decision": "accept", "support_type": "growth"}), 422
    )
    assert "reason" in refused["errors"]
    row = ticket_row(ticket["id"])
    assert (row.status, row.support_type) == ("submitted", "emergency")

    reason = "공정 개선 목적의 설비 교체"
    response = caller.post(
        path, json={"decision": "accept", "support_type": "growth", "reason": reason}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["support_type"] == "growth"
    last = history_rows(ticket["id"])[-1]
    assert last.action == "triage_accept"
    assert last.reason == reason


def test_keeping_the_support_type_needs_no_reason(client, api, people):
    ticket = file_ticket(api.as_(people.alice), category="defect")
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage", json={"decision": "accept", "support_type": "emergency"}
    )
    assert response.status_code == 200
    assert response.get_json()["support_type"] == "emergency"


def test_a_changed_support_type_is_checked_for_eligibility(client, api, people):
    # the default firm's last policy-fund investment is older than 3 years
    ticket = file_ticket(api.as_(people.alice), category="breakdown")
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage",
        json={"decision": "accept", "support_type": "growth", "reason": "업그레이드 성격"},
    )
    assert "override_reason" in assert_error(response, 422)["errors"]


def test_an_unknown_support_type_is_422(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/triage",
        json={"decision": "accept", "support_type": "luxury", "reason": "x"},
    )
    assert "support_type" in assert_error(response, 422)["errors"]


def test_a_firm_may_not_triage_its_own_ticket(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    assert_error(
        api.as_(people.alice).post(f"/tickets/{ticket['id']}/triage", json={"decision": "accept"}),
        403,
    )
    assert ticket_row(ticket["id"]).status == "submitted"


# ---------------------------------------------------------------- cancel


def test_firm_cancels_its_own_open_ticket_with_a_reason(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.alice).post(
        f"/tickets/{ticket['id']}/cancel", json={"reason": "자체 해결됨"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert history_rows(ticket["id"])[-1].reason == "자체 해결됨"


@pytest.mark.parametrize("status", ["submitted", "triaged", "assigned", "in_progress"])
def test_manager_cancels_any_open_ticket(client, api, people, status):
    ticket = file_ticket(api.as_(people.bob))
    set_ticket(ticket["id"], status=status)
    response = api.as_(people.manager).post(
        f"/tickets/{ticket['id']}/cancel", json={"reason": "중복 접수"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    last = history_rows(ticket["id"])[-1]
    assert (last.from_status, last.to_status) == (status, "cancelled")


@pytest.mark.parametrize("status", ["resolved", "confirmed", "closed", "rejected", "cancelled"])
@pytest.mark.parametrize("role", ["alice", "manager"])
def test_a_ticket_that_is_not_open_cannot_be_cancelled(client, api, people, status, role):
    ticket = file_ticket(api.as_(people.alice))
    set_ticket(ticket["id"], status=status)
    body = assert_error(
        api.as_(getattr(people, role)).post(
            f"/tickets/{ticket['id']}/cancel", json={"reason": "그만"}
        ),
        409,
    )
    assert body["current_status"] == status
    assert body["reason"]
    assert ticket_row(ticket["id"]).status == status


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_cancelling_needs_a_reason(client, api, people, body):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.alice).post(f"/tickets/{ticket['id']}/cancel", json=body)
    assert "reason" in assert_error(response, 422)["errors"]
    assert ticket_row(ticket["id"]).status == "submitted"


def test_the_assigned_meister_may_not_cancel(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    set_ticket(ticket["id"], status="assigned", meister_id=people.meister.id)
    assert_error(
        api.as_(people.meister).post(f"/tickets/{ticket['id']}/cancel", json={"reason": "바쁨"}),
        403,
    )
    assert ticket_row(ticket["id"]).status == "assigned"


# ---------------------------------------------------------------- extend


def test_extending_once_adds_two_months_and_a_second_time_is_409(client, api, people):
    ticket = triaged_ticket(api, people)
    deadline = date.fromisoformat(ticket["project_deadline"])
    caller = api.as_(people.manager)
    path = f"/tickets/{ticket['id']}/extend"
    response = caller.post(path, json={"reason": "부품 수급 지연"})
    assert response.status_code == 200
    extended = response.get_json()
    assert extended["project_deadline"] == add_months(deadline, 2).isoformat()
    assert extended["status"] == "triaged"

    again = assert_error(caller.post(path, json={"reason": "한 번 더"}), 409)
    assert again["reason"] == "already_extended"
    assert again["current_status"] == "triaged"
    assert ticket_row(ticket["id"]).project_deadline == add_months(deadline, 2)


def test_extending_before_triage_is_409(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    body = assert_error(
        api.as_(people.manager).post(f"/tickets/{ticket['id']}/extend", json={"reason": "미리"}),
        409,
    )
    assert body["current_status"] == "submitted"
    assert body["reason"]
    assert ticket_row(ticket["id"]).project_deadline is None


def test_extending_a_cancelled_project_is_409(client, api, people):
    ticket = triaged_ticket(api, people)
    api.as_(people.manager).post(f"/tickets/{ticket['id']}/cancel", json={"reason": "취소"})
    body = assert_error(
        api.as_(people.manager).post(f"/tickets/{ticket['id']}/extend", json={"reason": "연장"}),
        409,
    )
    assert body["current_status"] == "cancelled"


@pytest.mark.parametrize("body", [{}, {"reason": "   "}])
def test_extending_needs_a_reason(client, api, people, body):
    ticket = triaged_ticket(api, people)
    response = api.as_(people.manager).post(f"/tickets/{ticket['id']}/extend", json=body)
    assert "reason" in assert_error(response, 422)["errors"]
    assert ticket_row(ticket["id"]).deadline_extended is False


@pytest.mark.parametrize("role", ["alice", "auditor"])
def test_only_managers_extend(client, api, people, role):
    ticket = triaged_ticket(api, people)
    response = api.as_(getattr(people, role)).post(
        f"/tickets/{ticket['id']}/extend", json={"reason": "연장 요청"}
    )
    assert_error(response, 403)
    assert ticket_row(ticket["id"]).deadline_extended is False


# ---------------------------------------------------------------- attachments


def test_a_photo_is_uploaded_and_downloaded_safely(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = upload(api.as_(people.alice), ticket["id"], png_bytes(), "설비사진.png")
    assert response.status_code == 201
    attachment = response.get_json()
    assert attachment["original_name"] == "설비사진.png"
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(png_bytes())
    status, headers, data = download(api.as_(people.manager), attachment["id"])
    assert status == 200
    assert data == png_bytes()
    assert headers["Content-Disposition"].startswith("attachment")
    assert quote("설비사진.png") in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "kept_as", "mimetype"),
    [
        ("견적서.exe", b"%PDF-1.4\n%%EOF\n", "견적서.pdf", "application/pdf"),
        ("page.html", b"<script>alert(1)</script>", "page.txt", "text/plain"),
    ],
)
def test_a_file_is_stored_and_served_with_the_extension_of_its_sniffed_type(
    client, api, people, app, name, data, kept_as, mimetype
):
    ticket = file_ticket(api.as_(people.alice))
    attachment = upload(api.as_(people.alice), ticket["id"], data, name).get_json()
    assert attachment["original_name"] == kept_as
    row = db.session.get(Attachment, attachment["id"])
    extension = Path(kept_as).suffix
    assert row.stored_name.endswith(extension)
    stored = [p.name for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    assert stored == [row.stored_name]
    status, headers, body = download(api.as_(people.manager), attachment["id"])
    assert status == 200
    assert body == data
    assert quote(kept_as) in headers["Content-Disposition"]
    assert headers["Content-Type"].startswith(mimetype)


def test_a_file_of_a_transaction_that_rolled_back_is_removed(client, api, people, app, monkeypatch):
    ticket = file_ticket(api.as_(people.alice))
    upload_dir = Path(app.config["UPLOAD_DIR"])

    def files() -> list[Path]:
        return [p for p in upload_dir.rglob("*") if p.is_file()] if upload_dir.exists() else []

    def failing_commit() -> None:
        assert len(files()) == 1  # written, not yet committed
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    alice = db.session.get(User, people.alice.id)
    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        ticket_services.add_attachment(
            alice, ticket["id"], ticket_services.Upload("a.png", png_bytes())
        )
    monkeypatch.undo()
    db.session.rollback()
    assert files() == []
    assert count(Attachment) == 0
    kept = upload(api.as_(people.alice), ticket["id"], png_bytes(), "b.png")
    assert kept.status_code == 201
    assert len(files()) == 1  # a committed file stays


def test_a_file_over_the_size_limit_is_413(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    assert_error(upload(api.as_(people.alice), ticket["id"], b"a" * 1025, "log.txt"), 413)
    assert count(Attachment) == 0
    at_limit = upload(api.as_(people.alice), ticket["id"], b"a" * 1024, "log.txt")
    assert at_limit.status_code == 201


@pytest.mark.parametrize("name", ["photo.png", "scan.pdf", "report.txt"])
def test_an_executable_under_an_innocent_name_is_422(client, api, people, app, name):
    ticket = file_ticket(api.as_(people.alice))
    errors = assert_error(upload(api.as_(people.alice), ticket["id"], EXE, name), 422)["errors"]
    assert "file" in errors
    assert count(Attachment) == 0
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or not any(p.is_file() for p in upload_dir.rglob("*"))


def test_an_empty_file_is_422(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    assert "file" in assert_error(upload(api.as_(people.alice), ticket["id"], b""), 422)["errors"]


def test_an_upload_without_the_file_field_is_422(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    response = api.as_(people.alice).post(
        f"/tickets/{ticket['id']}/attachments",
        data={"other": (io.BytesIO(png_bytes()), "x.png")},
        content_type="multipart/form-data",
    )
    assert "file" in assert_error(response, 422)["errors"]


@pytest.mark.parametrize("name", ["../x.png", "../../x.png", "..\\..\\x.png", "/tmp/x.png"])
def test_a_path_in_the_file_name_is_stored_harmlessly(client, api, people, app, tmp_path, name):
    ticket = file_ticket(api.as_(people.alice))
    response = upload(api.as_(people.alice), ticket["id"], png_bytes(), name)
    assert response.status_code == 201
    attachment = response.get_json()
    assert attachment["original_name"] == "x.png"
    row = db.session.get(Attachment, attachment["id"])
    assert "/" not in row.stored_name
    assert "\\" not in row.stored_name
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    stored = [p for p in upload_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].resolve().is_relative_to(upload_dir)
    assert stored[0].read_bytes() == png_bytes()
    assert not (tmp_path / "x.png").exists()
    assert not (upload_dir.parent / "x.png").exists()


# ---------------------------------------------------------------- history and audit


def _open_ticket(api, people):
    return file_ticket(api.as_(people.alice))


def _triaged(api, people):
    return triaged_ticket(api, people)


CHANGES = [
    # (action, setup, actor, endpoint, body, from, to)
    ("triage_accept", _open_ticket, "manager", "triage", {"decision": "accept"},
     "submitted", "triaged"),
    ("triage_reject", _open_ticket, "manager", "triage",
     {"decision": "reject", "reason": "지원 대상 아님"}, "submitted", "rejected"),
    ("cancel", _open_ticket, "alice", "cancel", {"reason": "자체 해결"}, "submitted", "cancelled"),
    ("cancel", _triaged, "manager", "cancel", {"reason": "중복"}, "triaged", "cancelled"),
    ("extend", _triaged, "manager", "extend", {"reason": "부품 지연"}, "triaged", "triaged"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "setup", "actor", "endpoint", "body", "from_status", "to_status"),
    CHANGES,
    ids=[f"{c[0]}-from-{c[5]}" for c in CHANGES],
)
def test_every_change_writes_a_history_row_and_an_audit_event(
    client, api, people, action, setup, actor, endpoint, body, from_status, to_status
):
    ticket = setup(api, people)
    history_before = len(history_rows(ticket["id"]))
    audit_before = len(audit_events(ticket["id"]))
    user = getattr(people, actor)
    response = api.as_(user).post(f"/tickets/{ticket['id']}/{endpoint}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)

    history = history_rows(ticket["id"])
    assert len(history) == history_before + 1
    row = history[-1]
    assert (row.action, row.from_status, row.to_status) == (action, from_status, to_status)
    assert row.actor_id == user.id
    assert row.created_at is not None
    if "reason" in body:
        assert row.reason == body["reason"]

    events = audit_events(ticket["id"])
    assert len(events) == audit_before + 1
    event = events[-1]
    assert event.action == f"ticket.{action}"
    assert event.actor_id == user.id
    assert json.loads(event.before)["status"] == from_status
    assert json.loads(event.after)["status"] == to_status


def test_filing_comments_and_files_are_audited(client, api, people):
    caller = api.as_(people.alice)
    ticket = file_ticket(caller)
    caller.post(f"/tickets/{ticket['id']}/comments", json={"body": "추가 설명"})
    assert upload(caller, ticket["id"], png_bytes()).status_code == 201
    events = audit_events(ticket["id"])
    assert [e.action for e in events] == ["ticket.file", "ticket.comment", "ticket.attach"]
    assert {e.actor_id for e in events} == {people.alice.id}
    history = history_rows(ticket["id"])
    assert [(h.action, h.from_status, h.to_status) for h in history] == [
        ("file", None, "submitted")
    ]


def test_a_refused_change_leaves_no_history_or_audit_trace(client, api, people):
    ticket = file_ticket(api.as_(people.alice))
    set_ticket(ticket["id"], status="resolved")
    caller = api.as_(people.manager)
    history_before, audit_before = len(history_rows(ticket["id"])), count(AuditEvent)
    assert_error(caller.post(f"/tickets/{ticket['id']}/cancel", json={"reason": "x"}), 409)
    assert_error(caller.post(f"/tickets/{ticket['id']}/triage", json={"decision": "accept"}), 409)
    assert_error(caller.post(f"/tickets/{ticket['id']}/extend", json={"reason": "x"}), 409)
    assert len(history_rows(ticket["id"])) == history_before
    assert count(AuditEvent) == audit_before
