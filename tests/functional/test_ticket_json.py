"""The hand-built ticket JSON of the list and detail API is what TicketSchema documents."""

from datetime import datetime

from aftercare.extensions import db
from aftercare.tickets.models import Ticket
from aftercare.tickets.schemas import TicketSchema
from aftercare.tickets.services import file_ticket
from tests.functional.test_query_counts import add_confirmed_tickets


def test_list_and_detail_json_equal_the_documented_schema(client, make, api):
    firm = make.firm()
    people = {
        "firm": firm,
        "firm_user": make.user("firm", firm=firm),
        "manager": make.user("manager"),
        "meister": make.meister(),
    }
    with_claim = add_confirmed_tickets(people, 1)[0]
    tagged = file_ticket(
        people["firm_user"],
        {"category": "upgrade", "severity": "low", "title": "신규", "tags": ["센서", 'PLC "A"']},
    )
    # A whole second (no microseconds): isoformat() and the API must still agree.
    tagged.updated_at = datetime(2026, 3, 1, 9, 0, 0)
    db.session.commit()
    manager = api.as_(people["manager"])
    answer = manager.get("/tickets")
    assert answer.status_code == 200, answer.json
    listed = {item["id"]: item for item in answer.json["items"]}
    db.session.expire_all()
    for ticket in db.session.scalars(db.select(Ticket)):
        documented = TicketSchema().dump(ticket)
        assert listed[ticket.id] == documented
        assert manager.get(f"/tickets/{ticket.id}").json == documented
    assert listed[tagged.id]["tags"] == ["센서", 'plc "a"']  # stored lower-case
    assert listed[tagged.id]["updated_at"] == "2026-03-01T09:00:00+00:00"
    assert listed[with_claim]["claim"]["status"] == "pending"
    assert isinstance(listed[with_claim]["claim"]["eligible_total"], int)
