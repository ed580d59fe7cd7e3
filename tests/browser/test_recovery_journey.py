"""One recovery case in a real browser (docs/recovery.md): an auditor opens it from the
settled claim's page, a manager decides it, the firm objects on a phone, another manager
upholds the decision and the money is recorded as paid."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from aftercare.auth.models import User
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.recovery.models import RecoveryCase
from tests.browser import pages as shared
from tests.helpers import Factory
from tests.integration.ledger_support import ONE_APPROVER, settled_claim

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def people(live_server):
    """A claim of 2,000,000 won settled on a past day: 1,000,000 won paid to the firm."""
    with live_server.app.app_context():
        make = Factory()
        make.fiscal_year(year=seoul_today().year, second_approval_from=ONE_APPROVER)
        firm = make.firm(region="daegu")
        firm_user = make.user("firm", firm=firm, language="ko")
        manager = make.user("manager", language="ko")
        claim_id = settled_claim(db.session.get(User, manager.id), firm.id)
        people = {
            "claim_id": claim_id,
            "firm": firm_user.email,
            "manager": manager.email,
            "second_manager": make.user("manager", language="ko").email,
            "auditor": make.user("auditor", language="ko").email,
        }
        db.session.remove()
    return people


def sign_in(browser: Browser, live_server, email: str, **options) -> Page:
    page = shared.sign_in(browser, live_server, email, **options)
    page.on("dialog", lambda dialog: dialog.accept())  # every money step asks first
    return page


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"recovery-{name}.png"), full_page=True)


def test_a_case_is_opened_decided_objected_to_upheld_and_paid(
    browser: Browser, live_server, people, artifacts, tmp_path
):
    proof = tmp_path / "위조 세금계산서.pdf"
    proof.write_bytes(b"%PDF-1.4\n%forged invoice\n")

    auditor = sign_in(browser, live_server, people["auditor"])
    auditor.goto(f"{live_server.url}/claims/{people['claim_id']}")
    auditor.click("#open-recovery")
    auditor.select_option("#grounds", "false_invoice")
    auditor.fill("#grounds_note", "공급기업이 발행한 적 없는 세금계산서")
    auditor.fill("#amount", "1000000")
    auditor.set_input_files("#files", str(proof))
    auditor.click("button[data-primary-action]")
    expect(auditor).to_have_url(re.compile(r"/recovery/\d+$"))
    case_url = auditor.url
    expect(auditor.locator("#case-status")).to_have_text("접수")
    shot(auditor, artifacts, "1-opened")

    manager = sign_in(browser, live_server, people["manager"])
    manager.goto(case_url)
    manager.fill("#due_on", (seoul_today() + timedelta(days=30)).isoformat())
    manager.fill("#amount", "900000")
    manager.click("#decide button[data-primary-action]")
    expect(manager.locator("#case-status")).to_have_text("환수 결정")
    expect(manager.locator("#case-owed")).to_have_text("900,000원")

    firm = sign_in(browser, live_server, people["firm"], viewport=PHONE)
    firm.goto(case_url)
    expect(firm.locator("#how-to-pay")).to_contain_text("900,000원")
    expect(firm.locator("#restriction")).to_be_visible()
    firm.fill("#text", "해당 세금계산서는 정상 발행되었습니다.")
    submit = firm.locator("#objection button[data-primary-action]")
    assert submit.bounding_box()["width"] > 2 * 16  # a phone-sized, tappable button
    submit.click()
    expect(firm.locator("#case-status")).to_have_text("이의신청")
    shot(firm, artifacts, "2-objected-phone")

    second = sign_in(browser, live_server, people["second_manager"])
    second.goto(case_url)
    second.check("input[name=outcome][value=uphold]")
    second.fill("#answer #note", "국세청 조회 결과 미발행 확인")
    second.click("#answer button[data-primary-action]")
    expect(second.locator("#case-status")).to_have_text("원결정 유지")

    manager.goto(case_url)
    manager.fill("#payment #amount", "900000")
    manager.click("#payment button[data-primary-action]")
    expect(manager.locator("#case-status")).to_have_text("납부 완료")
    expect(manager.locator("#case-owed")).to_have_text("0원")
    expect(manager.locator("#timeline li")).to_have_count(5)
    shot(manager, artifacts, "3-paid")

    with live_server.app.app_context():
        case = db.session.scalar(db.select(RecoveryCase))
        assert (case.status, case.recovered) == ("paid", 900_000)
        db.session.remove()
