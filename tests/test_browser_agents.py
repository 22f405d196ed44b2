"""Sign-up and the roll call in a real browser at 360 px (Debian's chromium)."""

import pytest

from .test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    assert_fits,
    assert_same_origin,
    browser,
    live_server,
    log_in,
    page_at,
    shoot,
)

pytestmark = pytest.mark.browser


def shoot_screen(page, name: str) -> None:
    """What the phone shows (the roll call's save bar sticks to the bottom of the screen)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_person_signs_up_on_a_phone(page_at, live_server):  # noqa: F811
    page = page_at(PHONE)
    page.goto("/auth/register")
    assert page.get_by_role("heading", level=1).inner_text() == "Become an anti-rumour agent"
    assert_fits(page, PHONE["width"])
    shoot(page, "register-phone")

    # A weak password and no consent: messages next to the fields, nothing lost.
    page.get_by_label("Your name").fill("Laia Puig")
    page.get_by_label("E-mail").fill("laia.browser@example.org")
    page.get_by_label("Password", exact=True).fill("password1234")
    page.get_by_label("Password again").fill("password1234")
    page.get_by_label("Catalan").check()
    page.get_by_label("Your district").select_option(label="Sants-Montjuïc")
    page.get_by_role("button", name="Sign up").click()
    errors = page.locator(".errors")
    assert "too common" in errors.first.inner_text()
    assert "We need this consent" in page.locator("#consent_processing-errors").inner_text()
    assert page.get_by_label("Your name").input_value() == "Laia Puig"
    assert page.get_by_label("Catalan").is_checked()
    assert_fits(page, PHONE["width"])
    shoot(page, "register-errors-phone")

    page.get_by_label("Password", exact=True).fill("plaza-lantern-orange-tide")
    page.get_by_label("Password again").fill("plaza-lantern-orange-tide")
    page.get_by_label("I agree that the network stores").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Laia Puig"
    assert page.locator(".badge").first.inner_text() == "Applicant"
    # Tap targets: each checkbox row and the button are at least 44 px tall.
    assert_fits(page, PHONE["width"])
    assert_same_origin(page, live_server)
    shoot(page, "register-done-phone")


def test_coordinator_takes_attendance_on_a_phone(page_at, live_server):  # noqa: F811
    page = page_at(PHONE)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/trainings/")
    # The first upcoming basic session with people enrolled in the demo.
    page.locator(".session-title", has_text="Basic anti-rumour agent training").first.click()
    session_url = page.url
    page.goto(session_url + "/attendance")
    assert page.get_by_role("heading", level=1).inner_text() == "Attendance"
    toggles = page.locator(".toggle")
    if toggles.count() == 0:
        pytest.skip("no enrolments in the first upcoming demo session")
    first = toggles.nth(0)
    assert first.bounding_box()["height"] >= 44
    name = first.locator(".toggle-name").inner_text()
    checkbox = first.locator("input")
    was = checkbox.is_checked()
    first.click()
    assert checkbox.is_checked() is not was
    assert_fits(page, PHONE["width"])
    shoot_screen(page, "attendance-phone")
    save = page.get_by_role("button", name="Save attendance")
    assert save.bounding_box()["height"] >= 44
    save.click()
    assert "Attendance saved" in page.locator(".flashes").inner_text()
    assert page.locator(".toggle", has_text=name).locator("input").is_checked() is not was
    assert_same_origin(page, live_server)
    shoot_screen(page, "attendance-saved-phone")
