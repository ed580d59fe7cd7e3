"""Template helpers that lists lean on for speed give the same markup as the slow way."""

import pytest
from flask import render_template_string, url_for

from aftercare.templating import id_url_prefix


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
