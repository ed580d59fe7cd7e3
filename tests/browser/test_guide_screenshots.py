"""The role guides' screenshots (docs/guides/img), taken on the demo data a first
`make run` seeds: firms and Meisters on a phone, the programme's people on a desktop.

Every run checks that each page opens with its heading and, on a phone, without
sideways scrolling; `make screenshots` (GUIDE_SCREENSHOTS=1) also writes the pictures
the guides show, to be committed when the pages change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from aftercare.cli.demo_seed import DEMO_DOMAIN, DEMO_PASSWORD, seed_demo
from aftercare.extensions import db

pytestmark = pytest.mark.browser

GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# (role, demo login, viewport, [(picture name, path)])
FIRM_PAGES = [("home", "/firm"), ("tickets", "/tickets"), ("new-ticket", "/tickets/new")]
MANAGER_PAGES = [("overview", "/manager"), ("claims", "/claims"), ("settle", "/ledger/settle")]
PAGES = [
    ("firm", "firm", PHONE, [*FIRM_PAGES, ("claims", "/claims")]),
    ("meister", "meister1", PHONE, [("queue", "/tickets")]),
    ("manager", "manager", DESKTOP, [*MANAGER_PAGES, ("recovery", "/recovery")]),
    ("auditor", "auditor", DESKTOP, [("overview", "/auditor"), ("review", "/claims/review")]),
    ("admin", "admin", DESKTOP, [("users", "/admin/users")]),
]


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo programme year, as a first `make run` seeds it."""
    with live_server.app.app_context():
        seed_demo(echo=lambda _message: None)
        db.session.remove()
    return live_server


def _folder(artifacts: Path) -> Path:
    if os.environ.get("GUIDE_SCREENSHOTS"):
        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        return GUIDE_IMAGES
    return artifacts


@pytest.mark.parametrize(("role", "login", "viewport", "pages"), PAGES, ids=[p[0] for p in PAGES])
def test_each_roles_main_pages_for_the_guide(
    browser: Browser, demo, artifacts, role, login, viewport, pages
):
    page = browser.new_context(viewport=viewport, locale="ko-KR").new_page()
    page.goto(f"{demo.url}/login")
    page.fill("#email", f"{login}@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    folder = _folder(artifacts)
    for name, path in pages:
        answer = page.goto(f"{demo.url}{path}")
        assert answer.status == 200, f"{role} {path}: {answer.status}"
        expect(page.locator("h1").first).to_be_visible()
        if viewport is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{role} {path} scrolls sideways ({width} px)"
        page.screenshot(path=str(folder / f"{role}-{name}.png"), full_page=viewport is PHONE)
    page.context.close()
