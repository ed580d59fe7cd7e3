"""Every role's daily work in a real browser, without the API (issue: manager workspace)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from aftercare.claims.models import Claim
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from tests.browser import pages as shared
from tests.helpers import Factory

pytestmark = pytest.mark.browser

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        make = Factory()
        make.fiscal_year(year=seoul_today().year, budget=100_000_000)
        firm = make.firm(region="gwangju")
        make.supplier(name="광주스마트솔루션", region="gwangju")
        people = {
            "firm": make.user("firm", firm=firm).email,
            "manager": make.user("manager").email,
            "second_manager": make.user("manager").email,  # confirms the settlement
            "auditor": make.user("auditor").email,
            "meister": make.meister(specialties=["robot"], regions=["gwangju"]).email,
        }
        db.session.remove()
    return people


def sign_in(browser: Browser, live_server, email: str) -> Page:
    return shared.sign_in(browser, live_server, email, accept_downloads=True)


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"journey-{name}.png"), full_page=True)


def enter_evidence(page: Page, ticket_url: str, n: int, amount: int, proof: Path) -> None:
    """The n-th cost line's supplier, tax invoice (issued today), card payment and file."""
    today = seoul_today()
    page.goto(ticket_url)
    page.locator("a[href*='/cost-lines/'][href$='/evidence']").nth(n).click()
    page.select_option("#supplier_id", label="광주스마트솔루션")
    page.fill("#invoice_number", f"{today:%Y%m%d}41000012{n + 1:08d}")
    page.fill("#invoice_issued_on", today.isoformat())
    page.fill("#invoice_supply_amount", str(amount))
    page.fill("#invoice_vat", str(amount // 10))
    page.select_option("#payment_method", "card")
    page.fill("#paid_on", today.isoformat())
    page.set_input_files("#file", str(proof))
    page.click("button[data-primary-action]")
    expect(page.locator(".alert-success").first).to_be_visible()


def test_a_ticket_goes_from_the_shop_floor_to_the_payout(
    browser: Browser, live_server, people, artifacts, tmp_path
):
    photo = tmp_path / "robot.png"
    photo.write_bytes(PNG)

    firm = sign_in(browser, live_server, people["firm"])
    firm.goto(f"{live_server.url}/tickets/new")
    firm.select_option("#category", "breakdown")
    firm.select_option("#severity", "high")
    firm.fill("#title", "협동로봇 비상정지 반복")
    firm.fill("#system", "ROBOT-3")
    firm.fill("#description", "3호기 협동로봇이 작업 중 비상정지합니다.")
    firm.fill("#tags", "robot")
    firm.set_input_files("#files", str(photo))
    firm.click("form[enctype='multipart/form-data'] button[type=submit]")
    expect(firm).to_have_url(re.compile(r"/tickets/\d+$"))
    ticket_url = firm.url
    expect(firm.get_by_text("robot.png")).to_be_visible()
    shot(firm, artifacts, "1-filed")

    manager = sign_in(browser, live_server, people["manager"])
    manager.goto(ticket_url)
    manager.click("form[action$='/triage'] button[type=submit]")
    manager.click("a[href$='/assign']")
    manager.click("table form button[type=submit]")  # the best suggestion
    expect(manager).to_have_url(ticket_url)
    shot(manager, artifacts, "2-assigned")

    meister = sign_in(browser, live_server, people["meister"])
    meister.goto(ticket_url)
    meister.click("form[action$='/accept'] button[type=submit]")
    meister.click("a[href$='/visits/new']")
    meister.fill("#hours", "3.5")
    meister.fill("#notes", "안전 센서 교체")
    meister.select_option("#lines-0-kind", "labour")
    meister.fill("#lines-0-description", "진단 및 교체 작업")
    meister.fill("#lines-0-quantity", "2")
    meister.fill("#lines-0-unit_price", "400000")
    meister.select_option("#lines-1-kind", "parts")
    meister.fill("#lines-1-description", "안전 센서")
    meister.fill("#lines-1-quantity", "1")
    meister.fill("#lines-1-unit_price", "640000")
    meister.click("button[name=save]")
    expect(meister).to_have_url(ticket_url)
    for n, amount in enumerate((800_000, 640_000)):  # each line's tax invoice, on a phone form
        enter_evidence(meister, ticket_url, n, amount, photo)
    meister.goto(ticket_url)
    meister.click("a[href$='/resolve']")
    meister.fill("#summary", "센서 교체 후 정상 가동 확인")
    meister.click("form button[type=submit].btn-success")
    shot(meister, artifacts, "3-resolved")

    firm.goto(f"{ticket_url}/confirm")
    firm.check("input[name=rating][value='5']")
    firm.fill("#comment", "빠르게 해결해 주셨습니다.")
    firm.click("form button[type=submit].btn-success")
    expect(firm).to_have_url(ticket_url)

    with live_server.app.app_context():
        claim_id = db.session.query(Claim.id).one()[0]
        db.session.remove()
    manager.goto(f"{live_server.url}/claims/{claim_id}")
    expect(manager.get_by_text("720,000원").first).to_be_visible()  # 50 % of 1,440,000
    questions: list[str] = []

    def answer(dialog) -> None:  # the approval asks first, naming the amounts
        questions.append(dialog.message)
        dialog.accept()

    manager.once("dialog", answer)
    manager.click("form[action$='/approve'] button[type=submit]")
    expect(manager.locator(".alert-success").first).to_be_visible()
    assert questions
    assert "720,000원" in questions[0]

    firm.goto(f"{live_server.url}/claims/{claim_id}")  # the firm pays its own share
    firm.fill("#amount", "720000")
    firm.select_option("#method", "transfer")
    firm.fill("#paid_on", seoul_today().isoformat())
    firm.set_input_files("#file", str(photo))
    firm.click("#firm-payment-form button[type=submit]")
    expect(firm.locator("#firm-payment-status")).to_contain_text("확인 대기")
    shot(firm, artifacts, "4-share-paid")

    auditor = sign_in(browser, live_server, people["auditor"])
    auditor.on("dialog", lambda dialog: dialog.accept())
    auditor.goto(f"{live_server.url}/claims/review")
    auditor.click(f"main a[href$='/claims/{claim_id}']")
    for n in range(2):  # verify both lines, one decision at a time
        line = auditor.locator("#cost-lines > li").nth(n)
        line.locator("form.review-form button").click()
        expect(line.locator("[data-review]")).to_have_attribute("data-review", "verified")
    auditor.click("form[action$='/firm-payment/confirm'] button[type=submit]")
    expect(auditor.locator("#firm-payment-status")).to_contain_text("확인 완료")
    manager.goto(f"{live_server.url}/ledger/settle")
    manager.click("form button[type=submit].btn-danger")  # asks for the settlement
    expect(manager).to_have_url(re.compile(r"/approvals$"))
    second = sign_in(browser, live_server, people["second_manager"])
    second.goto(f"{live_server.url}/approvals")
    second.click("a[href$='/confirm']")
    second.click("form button[type=submit].btn-success")
    expect(second).to_have_url(re.compile(r"/ledger/batches/\d+$"))
    shot(second, artifacts, "5-settled")

    auditor.goto(f"{live_server.url}/ledger/batches")
    auditor.click("table a[href*='/ledger/batches/']")
    with auditor.expect_download() as download_info:
        auditor.click("a[href$='.xlsx']:not([href$='/settlement.xlsx'])")
    saved = artifacts / "journey-payout.xlsx"
    download_info.value.save_as(str(saved))
    sheet = openpyxl.load_workbook(saved).active
    amounts = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert amounts == [720_000]
    shot(auditor, artifacts, "6-payout")
    auditor.goto(f"{live_server.url}/claims/{claim_id}")
    with auditor.expect_download() as download_info:
        auditor.click("#report-pdf")
    report = artifacts / "journey-settlement-report.pdf"
    download_info.value.save_as(str(report))
    assert report.read_bytes().startswith(b"%PDF")

    firm.goto(ticket_url)
    expect(firm.locator(".badge").first).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(Claim, claim_id).status == "settled"
        db.session.remove()


def test_language_switch_and_forbidden_page(browser: Browser, live_server, people, artifacts):
    page = sign_in(browser, live_server, people["firm"])
    assert page.locator("html").get_attribute("lang") == "ko"
    page.click("nav form[action*='/language/'] button")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server.url}/ledger")
    assert page.locator("h1").inner_text() == "403"
    shot(page, artifacts, "forbidden")
    page.click("nav form[action*='/language/'] button")  # back to Korean for the next test
    expect(page.locator("html")).to_have_attribute("lang", "ko")


def test_a_form_error_is_shown_in_place(browser: Browser, live_server, people, artifacts):
    page = sign_in(browser, live_server, people["firm"])
    page.goto(f"{live_server.url}/tickets/new")
    page.fill("#title", "")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    expect(page.locator("#title.is-invalid")).to_be_visible()
    expect(page.locator("#title ~ .invalid-feedback")).to_be_visible()
    shot(page, artifacts, "form-error")
