"""A manager assigns a Meister by typing part of the name and pressing Enter (issue 32)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from aftercare.extensions import db
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket, triage_ticket
from tests.browser.pages import sign_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
NAMES = ("김민수", "박지훈", "이서연")


@pytest.fixture(scope="module")
def world(live_server):
    with live_server.app.app_context():
        make = Factory()
        firm = make.firm(region="seoul")
        firm_user = make.user("firm", firm=firm)
        manager = make.user("manager")
        meisters = {}
        for name in NAMES:
            meister = make.meister(regions=["busan"])
            meister.name = name
            meisters[name] = meister.id
        db.session.commit()
        tickets = {}
        for viewport in VIEWPORTS:
            data = {"category": "breakdown", "severity": "normal", "title": f"정지 {viewport}"}
            ticket = file_ticket(firm_user, data)
            triage_ticket(manager, ticket.id, "accept")
            tickets[viewport] = ticket.id
        world = {"manager": manager.email, "meisters": meisters, "tickets": tickets}
        db.session.remove()
    return world


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_manager_assigns_a_meister_by_typing_part_of_the_name(
    browser: Browser, live_server, world, viewport
):
    page = sign_in(browser, live_server, world["manager"], viewport=VIEWPORTS[viewport])
    ticket_id = world["tickets"][viewport]
    page.goto(f"{live_server.url}/tickets/{ticket_id}/assign")
    box = page.get_by_label("스마트 마이스터")
    expect(box).to_have_attribute("role", "combobox")

    box.fill("김")  # the keys: down, up, Escape
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option", name="김민수")).to_be_visible()
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()

    box.fill("지훈")
    option = listbox.get_by_role("option", name="박지훈")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    if viewport == "phone":
        right = listbox.bounding_box()
        assert right["x"] >= 0
        assert right["x"] + right["width"] <= VIEWPORTS["phone"]["width"]
    box.press("Enter")  # chooses the highlighted match
    expect(box).to_have_value("박지훈")
    expect(listbox).to_be_hidden()
    box.press("Enter")  # and sends the form
    page.wait_for_url(f"{live_server.url}/tickets/{ticket_id}")
    expect(page.get_by_role("alert").first).to_contain_text("배정")
    with live_server.app.app_context():
        assert db.session.get(Ticket, ticket_id).meister_id == world["meisters"]["박지훈"]
        db.session.remove()
    page.context.close()
