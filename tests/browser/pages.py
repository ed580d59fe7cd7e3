"""What browser tests share: signing in a fresh browser context."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.helpers import PASSWORD


def sign_in(browser: Browser, live_server, email: str, **context_options) -> Page:
    """A new context (viewport, locale, downloads… as given) signed in as `email`."""
    page = browser.new_context(**context_options).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page
