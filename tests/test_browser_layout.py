"""Small layout faults a new user tripped over, checked in a real browser: the phone
navigation keeps Log in / Log out in sight, and filter boxes show their whole choice."""

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

# The width the chosen option's text needs inside its select, against the width it has.
SELECT_TEXT_FITS = """
(select) => {
  const style = getComputedStyle(select);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = select.options[select.selectedIndex].text;
  const needed = canvas.measureText(text).width + parseFloat(style.paddingLeft) + 24;
  return [text, needed, select.clientWidth];
}
"""


def fully_in_view(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"], f"{locator} runs past the screen: {box}"
    # Nothing of its label is clipped.
    assert locator.evaluate("(el) => el.scrollWidth <= el.clientWidth")


@pytest.mark.parametrize("who", ["anonymous", "agent@example.org", "coordinator@example.org"])
def test_the_phone_navigation_keeps_the_account_button_in_sight(page_at, live_server, who):  # noqa: F811
    page = page_at(PHONE)
    if who == "anonymous":
        page.goto("/")
        fully_in_view(page, page.locator(".nav").get_by_role("link", name="Log in"))
    else:
        log_in(page, who)
        page.wait_for_url(f"{live_server}/")
        page.goto("/trainings/")
        fully_in_view(page, page.get_by_role("button", name="Log out"))
    assert_fits(page, PHONE["width"])


@pytest.mark.parametrize(
    "path,viewport", [("/agents/", DESKTOP), ("/agents/", PHONE), ("/encounters/review", DESKTOP)]
)
def test_filter_boxes_show_their_whole_choice(page_at, live_server, path, viewport):  # noqa: F811
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto(path)
    selects = page.locator("form[role=search] select, .filters select, .review-filters select")
    assert selects.count() >= 3
    for i in range(selects.count()):
        text, needed, width = selects.nth(i).evaluate(SELECT_TEXT_FITS)
        assert needed <= width, f"{path}: “{text}” needs {needed:.0f}px in a {width}px box"
    assert_fits(page, viewport["width"])
