"""The dashboard in a real browser, at phone and desktop sizes: the figures a
coordinator came for are in view, every chart's numbers open as a table, filters
keep the view in the URL, and nothing is loaded from another site."""

import re

import pytest

from . import test_browser
from .test_browser import DESKTOP, PHONE, assert_fits, assert_same_origin, log_in, shoot

live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_reads_and_filters_the_dashboard(page_at, live_server, size, viewport):
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    conversations = page.locator(".stat").filter(has_text="conversations").first
    assert re.fullmatch(r"[\d,]+", conversations.locator(".stat-value").inner_text())
    for name in ("Campaigns", "Conversations", "Rising rumours", "Network and training"):
        assert page.get_by_role("heading", name=name, exact=True).is_visible()
    # Every chart has its numbers one click away.
    tables = page.locator("details").filter(has_text="Show the numbers")
    assert tables.count() >= 7
    outcomes = tables.first
    outcomes.locator("summary").click()
    assert outcomes.locator("table").is_visible()
    assert_fits(page, viewport["width"])
    assert_same_origin(page, live_server)
    shoot(page, f"dashboard-{size}")

    # Filter to one district: the URL keeps the view, the heading says which.
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("District").select_option(label="Gràcia")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"district=gracia"))
    assert "Gràcia" in page.locator(".dashboard-scope").inner_text()
    shared = page.get_by_label("Link to this view").input_value()
    assert "district=gracia" in shared
    assert_fits(page, viewport["width"])
    shoot(page, f"dashboard-district-{size}")


def test_member_sees_their_organisation_on_a_phone(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "member@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Dashboard").click()
    scope = page.locator(".dashboard-scope").inner_text()
    assert "Whole network" not in scope
    assert_fits(page, PHONE["width"])
    shoot(page, "dashboard-member-phone")


def test_agent_sees_their_own_figures_on_a_phone(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="My figures").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My figures"
    assert page.locator("details").filter(has_text="Show the numbers").count() >= 3
    assert_fits(page, PHONE["width"])
    shoot(page, "dashboard-agent-phone")


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_maps_draw_barcelonas_official_shapes(page_at, live_server, size, viewport):
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/dashboard/")
    districts = page.locator("#map [data-district]")
    assert districts.count() == 10
    assert page.locator("#map-neighbourhoods [data-neighbourhood]").count() == 73
    box = page.locator("#map svg.map-svg").bounding_box()
    assert box["width"] > 250 and box["height"] > 250
    assert "CartoBCN (CC BY 4.0)" in page.locator("#map .map-attribution").inner_text()
    # A district links to the dashboard filtered to it.
    assert "district=ciutat-vella" in page.locator("#map a.map-district").first.get_attribute(
        "href"
    )
    assert_fits(page, viewport["width"])
    page.goto("/geography/")
    assert page.get_by_role("heading", level=1).inner_text() == "Districts and neighbourhoods"
    assert_fits(page, viewport["width"])
    shoot(page, f"geography-{size}")
