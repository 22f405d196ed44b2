"""The catalogue in a real browser: the agent's pocket list on a phone and the public
page's ClaimReview block."""

import json

import pytest

from . import test_browser
from .test_browser import DESKTOP, PHONE, assert_fits, assert_same_origin, log_in, shoot

# The live server, browser and page fixtures of the main browser tests.
live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

pytestmark = pytest.mark.browser


def test_agent_opens_a_rebuttal_from_the_pocket_list(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Answers to carry"
    assert page.get_by_role("heading", name="Employment").is_visible()
    item = page.locator("details#they-take-our-jobs")
    body = item.locator(".pocket-body")
    assert not body.is_visible()
    shoot(page, "pocket-list-phone")
    item.locator("summary").click()
    assert body.is_visible()
    assert body.get_by_role("heading", name="The fact").first.is_visible()
    assert body.get_by_role("heading", name="Sources").is_visible()
    assert body.locator(".source a").first.get_attribute("href").startswith(("http://", "https://"))
    item.scroll_into_view_if_needed()
    assert_fits(page, PHONE["width"])
    assert_same_origin(page, live_server)
    shoot(page, "pocket-open-phone")


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_public_page_carries_a_valid_claim_review(page_at, live_server, size, viewport):
    page = page_at(viewport)
    page.goto("/rumours/")
    page.get_by_label("Search").fill("benefits")
    page.get_by_role("button", name="Search").click()
    page.locator(".rumour-link").first.click()
    data = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert data["@context"] == "https://schema.org" and data["@type"] == "ClaimReview"
    for key in ("claimReviewed", "reviewRating", "itemReviewed", "author", "datePublished",
                "url", "inLanguage"):
        assert data[key], key
    assert data["itemReviewed"]["@type"] == "Claim"
    assert data["reviewRating"]["alternateName"] == "False"
    assert data["author"]["@type"] == "Organization"
    assert data["url"] == page.url.split("?")[0]
    # The page leads with the fact; the rumour follows, labelled.
    fact = page.locator("h1.fact")
    myth = page.locator("aside.myth")
    assert fact.inner_text() == data["reviewBody"]
    assert fact.bounding_box()["y"] < myth.bounding_box()["y"]
    assert_fits(page, viewport["width"])
    assert_same_origin(page, live_server)
    shoot(page, f"public-rumour-{size}")


def test_print_sheet_has_a_card_per_published_rumour(page_at, live_server):
    page = page_at(DESKTOP)
    page.goto("/rumours/cards")
    count = page.locator(".pocket-card").count()
    assert count >= 12
    assert page.locator(".pocket-card svg").count() == count  # a QR code on each card
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    shoot(page, "cards-print")
