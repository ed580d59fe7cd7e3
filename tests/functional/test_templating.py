"""Template helpers that lists lean on for speed give the same markup as the slow way."""

import pytest
from flask import render_template_string, url_for
from markupsafe import escape

from aftercare.core.web.templating import id_url_prefix
from aftercare.extensions import db
from tests.helpers import AuthActions, Factory


def test_an_id_url_prefix_plus_an_id_is_the_routes_url(app):
    with app.test_request_context("/tickets"):
        prefix = id_url_prefix("tickets.detail", "ticket_id")
        assert prefix + "123" == url_for("tickets.detail", ticket_id=123)


def test_an_id_url_prefix_is_refused_for_a_route_not_ending_with_the_id(app):
    with app.test_request_context("/tickets"), pytest.raises(ValueError, match="ticket_id"):
        id_url_prefix("tickets.extend", "ticket_id")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_badge_tables_of_a_page_equal_the_badge_helpers(app, language):
    with app.test_request_context("/tickets"):
        from flask import session

        session["lang"] = language
        html = render_template_string(
            "{% for s in STATUS_LABELS %}{{ STATUS_BADGES[s] }}~{{ status_badge(s) }}|{% endfor %}"
            "{% for s in SEVERITY_LABELS %}{{ SEVERITY_BADGES[s] }}~{{ severity_badge(s) }}|"
            "{% endfor %}"
        )
    pairs = [pair.split("~") for pair in html.split("|") if pair]
    assert len(pairs) == 9 + 4
    assert all(table == helper for table, helper in pairs)
    assert ("진행 중" in html) == (language == "ko")


URLS = (
    "{{ url_for('static', filename='css/app.css') }}|{{ url_for('tickets.detail', ticket_id=7) }}|"
    "{{ url_for('tickets.index', status='submitted', q='검사 기') }}|"
    "{{ url_for('tickets.index', _anchor='top') }}|{{ url_for('.index') }}|"
    "{{ url_for('tickets.index', tag=['a', 'b']) }}"
)


def _flask_urls() -> str:
    return "|".join(
        (
            url_for("static", filename="css/app.css"),
            url_for("tickets.detail", ticket_id=7),
            url_for("tickets.index", status="submitted", q="검사 기"),
            url_for("tickets.index", _anchor="top"),
            url_for(".index"),
            url_for("tickets.index", tag=["a", "b"]),
        )
    )


@pytest.mark.parametrize("mounted_at", ["", "/aftercare"])
def test_kept_template_urls_are_flasks_own_wherever_the_app_is_mounted(app, mounted_at):
    for script_root in (mounted_at, "/elsewhere", mounted_at):  # kept, then asked again
        base_url = f"http://localhost{script_root}"
        with app.test_request_context("/tickets", base_url=base_url):
            html = render_template_string(URLS)
            assert html == escape(_flask_urls())
            assert html.startswith(f"{script_root}/static/css/app.css|{script_root}/tickets/7|")


def test_the_menu_is_the_roles_in_the_language_of_the_request(own_app):
    app = own_app
    with app.app_context():  # requests below run outside it: each has its own `g`
        make = Factory()
        emails = {role: make.user(role).email for role in ("firm", "manager")}
        db.session.remove()
    pages = {}
    for role, email in emails.items():
        client = app.test_client()
        AuthActions(client).login(email)
        pages[role, "ko"] = client.get("/tickets").get_data(as_text=True)
        client.post("/language/en", data={"next": "/tickets"})
        pages[role, "en"] = client.get("/tickets").get_data(as_text=True)
    assert ">Firms</a>" in pages["manager", "en"]
    assert ">Firms</a>" not in pages["firm", "en"]
    assert ">Assets</a>" in pages["firm", "en"]
    assert ">설비·시스템</a>" in pages["firm", "ko"]
    assert ">Assets</a>" not in pages["firm", "ko"]
