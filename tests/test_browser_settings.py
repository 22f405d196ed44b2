"""The Settings page in a real browser: a coordinator renames a theme and mistypes a time
zone on a phone; the error sits beside the field and nothing typed is lost."""

import pytest

from .test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    assert_fits,
    browser,
    live_server,
    log_in,
    page_at,
    shoot,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_edits_the_settings(page_at, live_server, size, viewport):  # noqa: F811
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.goto("/settings/")
    assert page.get_by_role("heading", level=1).inner_text() == "Settings"
    assert_fits(page, viewport["width"])
    shoot(page, f"settings-{size}")

    typed = f"Barcelona ({size})"
    page.get_by_label("City", exact=True).fill(typed)
    page.get_by_label("Time zone").fill("Europe/Barcelona")
    page.get_by_role("button", name="Save settings").click()
    error = page.locator("#time_zone-errors")
    assert "Not a time zone name" in error.inner_text()
    assert error.is_visible()
    assert page.get_by_label("City", exact=True).input_value() == typed
    shoot(page, f"settings-error-{size}")

    page.get_by_label("Time zone").fill("Europe/Madrid")
    page.get_by_role("button", name="Save settings").click()
    assert "Settings saved." in page.locator(".flashes").inner_text()

    rename = page.get_by_label("New name for Housing")
    if size == "phone":
        rename.fill("Housing and rents")
        rename.press("Enter")
        assert "Theme renamed." in page.locator(".flashes").inner_text()
        assert page.get_by_label("New name for Housing and rents").is_visible()
    assert_fits(page, viewport["width"])
