"""The hand-built ticket JSON of the list and detail API is what TicketSchema documents."""

from aftercare.extensions import db
from aftercare.tickets.api import TicketSchema
from aftercare.tickets.models import Ticket
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
    file_ticket(people["firm_user"], {"category": "upgrade", "severity": "low", "title": "신규"})
    manager = api.as_(people["manager"])
    answer = manager.get("/tickets")
    assert answer.status_code == 200, answer.json
    listed = {item["id"]: item for item in answer.json["items"]}
    db.session.expire_all()
    for ticket in db.session.scalars(db.select(Ticket)):
        documented = TicketSchema().dump(ticket)
        assert listed[ticket.id] == documented
        assert manager.get(f"/tickets/{ticket.id}").json == documented
    assert listed[with_claim]["claim"]["status"] == "pending"
    assert isinstance(listed[with_claim]["claim"]["eligible_total"], int)
