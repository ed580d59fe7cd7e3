"""Dashboard charts draw in a real browser under the CSP, and the page works without them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from aftercare.claims.models import Claim
from aftercare.claims.services import approve_claim
from aftercare.claims.signoff import confirm_ticket
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.tickets.services import file_ticket, triage_ticket
from tests.helpers import PASSWORD, Factory, give_evidence

pytestmark = pytest.mark.browser

CHARTS = 8  # burn-down, month, region, category, SLA, workload, ratings, cap usage


@pytest.fixture(scope="module")
def people(live_server):
    """One approved claim, so every programme chart has something to draw."""
    with live_server.app.app_context():
        make = Factory()
        make.fiscal_year(year=seoul_today().year, budget=100_000_000)
        firm = make.firm(region="ulsan")
        firm_user = make.user("firm", firm=firm)
        manager = make.user("manager")
        meister = make.meister()
        ticket = file_ticket(
            firm_user, {"category": "breakdown", "severity": "high", "title": "고장"}
        )
        triage_ticket(manager, ticket.id, "accept")
        assign_meister(manager, ticket.id, meister.id)
        accept_ticket(meister, ticket.id)
        line = {"kind": "labour", "description": "작업", "quantity": 1, "unit_price": 800_000}
        log_visit(meister, ticket.id, seoul_today(), 2, "", [line])
        give_evidence(ticket.id)  # approval needs the line's invoice, payment and file
        resolve_ticket(meister, ticket.id, "완료")
        confirm_ticket(firm_user, ticket.id, 4)
        give_evidence(ticket.id)
        approve_claim(manager, db.session.query(Claim.id).filter_by(ticket_id=ticket.id).scalar())
        people = {
            "manager": manager.email,
            "auditor": make.user("auditor").email,
            "firm": firm_user.email,
        }
        db.session.remove()
    return people


def _sign_in(browser: Browser, live_server, email: str, javascript: bool = True):
    page = browser.new_context(java_script_enabled=javascript).new_page()
    errors: list[str] = []
    # Script errors and CSP refusals; a missing favicon is not the page's fault.
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{live_server.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page, errors


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_programme_charts_draw_without_errors(
    browser: Browser, live_server, people, artifacts, role
):
    page, errors = _sign_in(browser, live_server, people[role])
    page.goto(f"{live_server.url}/{role}")
    boxes = page.locator(".chart-box")
    expect(boxes).to_have_count(CHARTS)
    for index in range(CHARTS):
        expect(boxes.nth(index)).to_be_visible()
    # Chart.js has drawn: each canvas got a pixel size of its own.
    widths = page.locator("canvas[data-chart-source]").evaluate_all("cs => cs.map(c => c.width)")
    assert len(widths) == CHARTS
    assert all(width > 0 for width in widths)
    assert errors == []  # no CSP refusals, no script errors
    page.wait_for_timeout(1200)  # let the bars finish growing before the screenshot
    page.screenshot(path=str(artifacts / f"dashboard-{role}.png"), full_page=True)


def test_without_javascript_the_tables_carry_the_figures(browser: Browser, live_server, people):
    page, _errors = _sign_in(browser, live_server, people["manager"], javascript=False)
    page.goto(f"{live_server.url}/manager")
    expect(page.locator(".chart-box").first).to_be_hidden()
    expect(page.locator("#spending-by-region table")).to_be_visible()  # not folded away
    expect(page.locator("#spending-by-region table")).to_contain_text("400,000원")
    expect(page.locator("#spending-by-category table")).to_contain_text("400,000원")


def test_a_drawn_chart_folds_its_table_under_show_as_table(
    browser: Browser, live_server, people, artifacts
):
    page, errors = _sign_in(browser, live_server, people["manager"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/manager")
    region = page.locator("#spending-by-region")
    expect(region.locator("canvas")).to_be_visible()
    expect(region.locator("table")).to_be_hidden()
    region.get_by_text("표로 보기").click()
    expect(region.locator("table")).to_be_visible()
    expect(region.locator("table")).to_contain_text("400,000원")
    assert errors == []
    page.screenshot(path=str(artifacts / "dashboard-manager-390.png"), full_page=True)


def test_firm_dashboard_has_no_programme_charts(browser: Browser, live_server, people):
    page, errors = _sign_in(browser, live_server, people["firm"])
    page.goto(f"{live_server.url}/firm")
    expect(page.locator("#usage-emergency")).to_contain_text("4,600,000원")
    expect(page.locator("canvas")).to_have_count(0)
    assert errors == []
