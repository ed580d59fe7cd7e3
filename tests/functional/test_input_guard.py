"""Any input holding a NUL character is refused with 422, changing nothing."""

from sqlalchemy import func, select

from aftercare.extensions import db
from aftercare.tickets.models import Ticket


def _ticket_count() -> int:
    return db.session.scalar(select(func.count(Ticket.id)))


def test_nul_in_a_search_box_is_refused_not_a_500(client, auth, make):
    auth.login(make.user("manager"))
    response = client.get("/tickets?q=%00abc")
    assert response.status_code == 422
    assert "NUL" in response.get_data(as_text=True)


def test_nul_in_a_json_field_names_the_field(api, make):
    firm_user = make.user("firm")
    before = _ticket_count()
    answer = api.as_(firm_user).post(
        "/tickets", json={"category": "breakdown", "severity": "high", "title": "고장\u0000"}
    )
    assert answer.status_code == 422
    assert answer.json["errors"] == {"title": ["NUL characters are not allowed."]}
    assert _ticket_count() == before


def test_nul_in_a_form_field_changes_nothing(client, auth, make):
    firm_user = make.user("firm")
    auth.login(firm_user)
    before = _ticket_count()
    form = {"category": "breakdown", "severity": "high", "title": "a\x00b", "description": ""}
    response = client.post("/tickets/new", data=form)
    assert response.status_code == 422
    assert _ticket_count() == before


def test_ordinary_input_still_passes(client, auth, make):
    auth.login(make.user("manager"))
    assert client.get("/tickets?q=abc").status_code == 200
