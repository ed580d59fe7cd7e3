"""Phones first (issue 32): at 390×844 every main page of a firm, a Meister and a manager
reads in whole words, fits the screen's width and shows its primary action unscrolled."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from aftercare.claims.signoff import confirm_ticket
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.tickets.services import file_ticket, triage_ticket
from tests.browser import pages as shared
from tests.helpers import Factory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Text elements (with text of their own) narrower than two Korean characters in their
# own font, or than their own first two characters when those are narrower ("12", "#").
NARROW_TEXT = """() => {
  const probe = document.createElement("span");
  probe.style.cssText = "position:absolute;left:0;top:0;visibility:hidden;white-space:nowrap";
  document.body.appendChild(probe);
  const widthOf = (text, style) => {
    probe.style.font = style.font;
    probe.style.letterSpacing = style.letterSpacing;
    probe.textContent = text;
    return probe.getBoundingClientRect().width;
  };
  const skip = new Set(["SCRIPT", "STYLE", "OPTION", "SELECT", "TEXTAREA", "TEMPLATE"]);
  const narrow = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el === probe || skip.has(el.tagName)) continue;
    const own = Array.from(el.childNodes)
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent)
      .join("")
      .trim();
    if (!own) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    const firstTwo = Array.from(own).slice(0, 2).join("");
    const need = Math.min(widthOf("가나", style), widthOf(firstTwo, style));
    if (box.width + 0.5 < need) {
      const tag = el.tagName.toLowerCase();
      narrow.push(`${tag} "${own.slice(0, 30)}" ${box.width.toFixed(1)} < ${need.toFixed(1)} px`);
    }
  }
  probe.remove();
  return narrow;
}"""

PRIMARY_ACTION = """() => {
  const shown = Array.from(document.querySelectorAll("[data-primary-action]"))
    .filter((el) => el.getClientRects().length > 0);
  if (!shown.length) return null;
  const box = shown[0].getBoundingClientRect();
  return {text: shown[0].innerText.trim(), top: box.top, bottom: box.bottom};
}"""


@pytest.fixture(scope="module")
def world(live_server):
    """A firm's tickets in each state a person acts on, one Meister's, one manager."""
    with live_server.app.app_context():
        make = Factory()
        make.fiscal_year(year=seoul_today().year, budget=100_000_000)
        firm = make.firm(region="gwangju", name="광주정밀기계 주식회사")
        firm_user = make.user("firm", firm=firm)
        manager = make.user("manager")
        auditor = make.user("auditor")
        meister = make.meister(specialties=["robot"], regions=["gwangju"])

        def filed(title: str, severity: str = "high") -> int:
            data = {"category": "breakdown", "severity": severity, "title": title}
            data["description"] = "오전 교대 중 비상정지 알람이 반복되어 생산 라인이 멈춥니다."
            return file_ticket(firm_user, data).id

        def worked_on(title: str) -> int:
            ticket_id = filed(title)
            triage_ticket(manager, ticket_id, "accept")
            assign_meister(manager, ticket_id, meister.id)
            accept_ticket(meister, ticket_id)
            lines = [
                {"kind": "labour", "description": "진단 및 교체 작업", "quantity": 2,
                 "unit_price": 400_000},
                {"kind": "parts", "description": "안전 센서", "quantity": 1,
                 "unit_price": 640_000},
            ]  # fmt: skip
            log_visit(meister, ticket_id, seoul_today(), 3, "안전 센서 교체", lines)
            return ticket_id

        confirmed = worked_on("사출기 온도 제어 불량")
        resolve_ticket(meister, confirmed, "온도 센서 교체 후 정상 가동 확인")
        confirm_ticket(firm_user, confirmed, 5)
        resolved = worked_on("3호기 협동로봇 작업 중 비상정지 반복")
        resolve_ticket(meister, resolved, "안전 센서 교체 후 정상 가동 확인")
        working = worked_on("컨베이어 벨트 속도 저하와 소음 발생")
        assigned = filed("용접 로봇 토치 위치 오차")
        triage_ticket(manager, assigned, "accept")
        assign_meister(manager, assigned, meister.id)
        triaged = filed("비전 검사 카메라 인식률 저하", "normal")
        triage_ticket(manager, triaged, "accept")
        submitted = filed("프레스 2호기 유압 누유로 가동 중단", "critical")
        world = {
            "firm": firm_user.email,
            "meister": meister.email,
            "manager": manager.email,
            "auditor": auditor.email,
            "resolved": resolved,
            "working": working,
            "assigned": assigned,
            "triaged": triaged,
            "submitted": submitted,
            "year": seoul_today().year,
        }
        db.session.remove()
    return world


def sign_in(browser: Browser, live_server, email: str, viewport: dict, **options) -> Page:
    return shared.sign_in(browser, live_server, email, viewport=viewport, locale="ko-KR", **options)


@pytest.fixture(scope="module")
def phones(browser: Browser, live_server, world):
    """One signed-in phone per role, shared by the module's tests."""
    pages: dict[str, Page] = {}

    def phone(role: str) -> Page:
        if role not in pages:
            pages[role] = sign_in(browser, live_server, world[role], PHONE)
        return pages[role]

    yield phone
    for page in pages.values():
        page.context.close()


# (role, page name, path; a {name} is a ticket of the world)
MAIN_PAGES = [
    ("firm", "home", "/"),
    ("firm", "tickets", "/tickets"),
    ("firm", "ticket", "/tickets/{resolved}"),
    ("firm", "confirm", "/tickets/{resolved}/confirm"),
    ("meister", "home", "/"),
    ("meister", "tickets", "/tickets"),
    ("meister", "ticket", "/tickets/{working}"),
    ("meister", "ticket-assigned", "/tickets/{assigned}"),
    ("meister", "visit", "/tickets/{working}/visits/new"),
    ("meister", "resolve", "/tickets/{working}/resolve"),
    ("manager", "tickets", "/tickets"),
    ("manager", "ticket-submitted", "/tickets/{submitted}"),
    ("manager", "ticket-triaged", "/tickets/{triaged}"),
]


# Pages read more than acted on: whole words and no sideways scroll, no primary action.
READING_PAGES = [
    ("firm", "claims", "/claims"),
    ("firm", "company", "/firms/mine"),
    ("auditor", "audit", "/audit"),
    ("auditor", "audit-sign-ins", "/audit?tab=sign_ins"),
    ("manager", "home", "/"),
    ("manager", "support-types", "/ledger/years/{year}/support-types"),
    ("manager", "support-type", "/ledger/years/{year}/support-types/emergency"),
    ("auditor", "support-types", "/ledger/years/{year}/support-types"),
]


def open_on_phone(page: Page, live_server, world, artifacts: Path, role, name, path) -> None:
    page.goto(live_server.url + path.format(**world))
    assert page.locator("html").get_attribute("lang") == "ko"
    page.screenshot(path=str(artifacts / f"phone-{role}-{name}.png"))
    assert page.evaluate(NARROW_TEXT) == []
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE["width"] + 1, f"the page scrolls sideways ({scroll_width}px)"
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize(("role", "name", "path"), MAIN_PAGES, ids=lambda v: str(v))
def test_a_main_page_fits_a_phone_with_its_primary_action_in_view(
    phones, live_server, world, artifacts: Path, role, name, path
):
    page = phones(role)
    open_on_phone(page, live_server, world, artifacts, role, name, path)
    primary = page.evaluate(PRIMARY_ACTION)
    assert primary is not None, "no primary action on the page"
    assert primary["text"]
    assert primary["top"] >= 0, primary
    assert primary["bottom"] <= PHONE["height"], primary


@pytest.mark.parametrize(("role", "name", "path"), READING_PAGES, ids=lambda v: str(v))
def test_a_reading_page_fits_a_phone(phones, live_server, world, artifacts, role, name, path):
    open_on_phone(phones(role), live_server, world, artifacts, role, name, path)


def test_lists_are_cards_on_a_phone_and_tables_on_a_desktop(
    browser, phones, live_server, world, artifacts
):
    phone = phones("meister")
    phone.goto(f"{live_server.url}/tickets")
    expect(phone.locator("table thead")).to_be_hidden()
    first = phone.locator("table tbody tr").first  # the newest: assigned, to accept
    expect(first.locator("a[data-primary-action]")).to_have_text("수락 또는 거절")
    working = phone.locator("table tbody tr", has_text="컨베이어")
    expect(working).to_contain_text("진행 중")  # the status
    title, step = "컨베이어 벨트 속도 저하와 소음 발생", "방문 기록 등록"
    expect(working.locator("a")).to_have_text([title, step])  # the one action
    expect(phone.locator("[data-primary-action]")).to_have_count(1)

    desktop = sign_in(browser, live_server, world["meister"], DESKTOP)
    desktop.goto(f"{live_server.url}/tickets")
    expect(desktop.locator("table thead")).to_be_visible()
    expect(desktop.locator("a[data-primary-action]")).to_be_hidden()
    desktop.screenshot(path=str(artifacts / "desktop-meister-tickets.png"))
    desktop.goto(f"{live_server.url}/tickets/{world['working']}")
    expect(desktop.locator(".action-bar")).to_have_css("position", "static")
    desktop.screenshot(path=str(artifacts / "desktop-meister-ticket.png"))
    desktop.context.close()


def _fill_lines(page: Page) -> None:
    page.fill("#lines-0-description", "진단 및 교체 작업")
    page.fill("#lines-0-quantity", "2")
    page.fill("#lines-0-unit_price", "400000")
    page.select_option("#lines-1-kind", "travel")
    page.fill("#lines-1-description", "출장비")
    page.fill("#lines-1-quantity", "3")
    page.fill("#lines-1-unit_price", "35000")


def test_the_visit_form_totals_follow_the_typing(phones, live_server, world, artifacts):
    page = phones("meister")
    page.goto(f"{live_server.url}/tickets/{world['working']}/visits/new")
    _fill_lines(page)
    expect(page.locator("[data-line-amount]").nth(0)).to_have_text("800,000원")
    expect(page.locator("[data-line-amount]").nth(1)).to_have_text("105,000원")
    expect(page.locator("[data-total=eligible]")).to_have_text("800,000원")
    expect(page.locator("[data-total=ineligible]")).to_have_text("105,000원")
    expect(page.locator("[data-total=total]")).to_have_text("905,000원")
    page.fill("#lines-1-quantity", "1.5")  # not a whole number: left out, as the server does
    expect(page.locator("[data-line-amount]").nth(1)).to_have_text("—")
    expect(page.locator("[data-total=total]")).to_have_text("800,000원")
    page.fill("#lines-0-quantity", "900000")  # past 2^53 won: still exact
    page.fill("#lines-0-unit_price", "10000000000")
    expect(page.locator("[data-total=total]")).to_have_text("9,000,000,000,000,000원")
    page.screenshot(path=str(artifacts / "phone-meister-visit-totals.png"), full_page=True)


def test_without_javascript_the_server_recalculates(browser, live_server, world):
    page = sign_in(browser, live_server, world["meister"], PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/tickets/{world['working']}/visits/new")
    _fill_lines(page)
    expect(page.locator("[data-total=total]")).to_have_text("0원")  # nothing recomputes here
    page.click("button[name=add_line][value='0']")  # "Recalculate"
    expect(page.locator("[data-line-amount]").nth(0)).to_have_text("800,000원")
    expect(page.locator("[data-total=total]")).to_have_text("905,000원")
    page.context.close()
