"""The public rumour mailbox and its triage in a real browser, phone first."""

import pytest
from playwright.sync_api import expect

from . import test_browser
from .test_browser import DESKTOP, PHONE, assert_fits, assert_same_origin, log_in, shoot
from .test_browser_encounters import own_encounters, wait_for_offline_cache

live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

pytestmark = pytest.mark.browser


def test_public_report_on_a_phone_shows_similar_published_rumours_before_sending(
    page_at, live_server
):
    page = page_at(PHONE, locale="en")
    page.goto("/rumours/")
    page.get_by_role("link", name="Heard a rumour that is not here? Tell us").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Heard something about migrants you're not sure is true?"
    assert page.get_by_role("button", name="Send").count() == 0  # check first
    page.get_by_label("What did you hear?").fill("els immigrants ens prenen la feina")
    shoot(page, "report-phone")
    page.get_by_role("button", name="Check").click()
    similar = page.locator(".similar")
    assert similar.get_by_role("heading").inner_text().startswith("Is it one of these?")
    first = similar.locator(".rumour-item").first
    assert "They take our jobs." in first.inner_text()
    assert first.locator(".rumour-fact").inner_text().strip() != ""  # its short answer
    assert page.get_by_label("What did you hear?").input_value() == (
        "els immigrants ens prenen la feina"
    )
    assert_fits(page, PHONE["width"])
    shoot(page, "report-checked-phone")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert_same_origin(page, live_server)


def test_coordinator_sees_the_report_in_triage_on_a_desktop(page_at, live_server):
    page = page_at(DESKTOP, locale="en")
    page.goto("/rumours/report")
    page.get_by_label("What did you hear?").fill("Nos quitan el trabajo a los de aqui")
    page.get_by_role("button", name="Check").click()
    shoot(page, "report-checked-desktop")
    page.get_by_role("button", name="Send").click()
    log_in(page, "coordinator@example.org")
    page.goto("/catalogue/reports")
    item = page.locator(".triage-item", has_text="Nos quitan el trabajo a los de aqui")
    assert item.locator(".suggestions li").first.inner_text().startswith("They take our jobs")
    shoot(page, "triage-desktop")
    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"])
    shoot(page, "triage-phone")


def test_an_unlisted_rumour_written_offline_waits_in_the_outbox_then_reaches_triage(
    page_at, live_server
):
    claim = "Diuen que als nouvinguts els regalen el cotxe"
    page = page_at(PHONE)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    before = {e["client_uuid"] for e in own_encounters(page)}
    page.goto("/encounters/new")
    wait_for_offline_cache(page)

    page.context.set_offline(True)
    # Only a rumour that is not in the list: no pick ticked.
    page.get_by_label("Not in the list? Write it in a few words").fill(claim)
    page.locator(".tile", has_text="Market").click()
    page.locator(".tile", has_text="Doubt sown").click()
    page.get_by_role("button", name="Save").click()
    page.locator("#confirm.confirm-queued").wait_for(state="visible")
    expect(page.locator("#outbox-count")).to_have_text("1")
    expect(page.locator("#outbox-state")).to_contain_text("offline")
    assert page.locator(".pick input:checked").count() == 0
    assert_fits(page, PHONE["width"])
    shoot(page, "unlisted-outbox-offline-phone")

    page.context.set_offline(False)
    page.locator("#outbox").wait_for(state="hidden", timeout=20_000)
    new = [e for e in own_encounters(page) if e["client_uuid"] not in before]
    assert [(e["rumours"], e["unlisted_rumour"]) for e in new] == [([], claim)]

    team = page_at(PHONE)
    log_in(team, "coordinator@example.org")
    team.wait_for_url(f"{live_server}/")
    team.goto("/catalogue/reports")
    item = team.locator(".triage-item", has_text=claim)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("From an agent")
    assert_fits(team, PHONE["width"])
    shoot(team, "unlisted-in-triage-phone")
