"""The second factor in a real browser: a coordinator enrols (the code computed from the
secret the page shows), logs out and back in with a code, on a phone and a desktop; the
security log and the accounts pages at both sizes."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from .test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    assert_fits,
    assert_same_origin,
    browser,
    live_server,
    log_in,
    page_at,
    shoot,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_enrols_and_logs_in_with_a_code(page_at, live_server, size, viewport):  # noqa: F811
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Second factor").click()
    page.wait_for_url(f"{live_server}/auth/two-factor/")
    assert page.get_by_role("heading", level=1).inner_text() == "Set up a second factor"
    assert page.locator(".qr svg").is_visible()
    assert_fits(page, viewport["width"])
    assert_same_origin(page, live_server)
    shoot(page, f"two-factor-enrol-{size}")

    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("The six-digit code your app shows").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    assert "That code is not right" in page.locator(".errors").inner_text()
    page.get_by_label("The six-digit code your app shows").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    assert page.get_by_role("heading", level=1).inner_text() == "The second factor is on"
    assert page.locator("#recovery-codes li").count() == 10
    assert_fits(page, viewport["width"])
    shoot(page, f"two-factor-recovery-codes-{size}")

    page.get_by_role("link", name="I have kept them").click()
    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(f"{live_server}/auth/login")
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/auth/two-factor/code*")
    assert page.get_by_role("heading", level=1).inner_text() == "Your code"
    assert_fits(page, viewport["width"])
    shoot(page, f"two-factor-code-{size}")
    # The enrolment's code was used; the next time step's code is accepted (drift of one).
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Network overview"

    # Turn it off again so the other size starts from scratch.
    page.goto("/auth/two-factor/")
    shoot(page, f"two-factor-on-{size}")
    page.get_by_label("Your password").fill("demo-password-2026")
    page.get_by_role("button", name="Turn off").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Set up a second factor"


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_security_log_and_accounts_pages(page_at, live_server, size, viewport):  # noqa: F811
    page = page_at(viewport)
    log_in(page, "nobody@example.org", "wrong-password-typed")
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/audit/?kind=login.failed")
    assert "nobody@example.org" in page.locator("#security-events").inner_text()
    assert_fits(page, viewport["width"])
    shoot(page, f"audit-security-{size}")
    page.goto("/accounts/")
    assert_fits(page, viewport["width"])
    shoot(page, f"accounts-{size}")
    page.get_by_role("link", name="Aisha Agent").click()
    # The click only starts the navigation: wait for the account page's button to appear.
    expect(page.get_by_role("button", name="Deactivate")).to_be_visible()
    assert_fits(page, viewport["width"])
    shoot(page, f"account-{size}")
    page.goto("/settings/")
    page.locator("#security-heading").scroll_into_view_if_needed()
    shoot(page, f"settings-security-{size}")
