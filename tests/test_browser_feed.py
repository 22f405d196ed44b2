"""Importing another network's catalogue in a real browser: the coordinator's upload and
its preview, on a phone and on a desktop."""

import json
from pathlib import Path

import pytest

from . import test_browser
from .test_browser import (
    DESKTOP,
    PHONE,
    assert_fits,
    assert_same_origin,
    log_in,
    shoot,
)

# The live server, browser and page fixtures of the main browser tests.
live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

pytestmark = pytest.mark.browser


def other_networks_feed(page, path: Path) -> Path:
    """The demo's own feed as another network would publish it, with one broken item."""
    feed = page.request.get("/rumours/feed.json").json()
    feed["network"] = "Xarxa Antirumors de Sabadell"
    del feed["items"][1]["claim"]
    path.write_text(json.dumps(feed), encoding="utf-8")
    return path


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_previews_an_import(page_at, live_server, tmp_path, size, viewport):
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    # The home page, not "/**": that matches the login page itself, so on a busy machine the
    # wait returned before the login was answered and /catalogue/ went back to the login page.
    page.wait_for_url(f"{live_server}/")
    page.goto("/catalogue/")
    assert_fits(page, viewport["width"])
    shoot(page, f"catalogue-index-{size}")
    page.get_by_role("link", name="Import a catalogue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import a catalogue"
    assert_fits(page, viewport["width"])
    shoot(page, f"catalogue-import-{size}")
    feed = other_networks_feed(page, tmp_path / "feed.json")
    page.get_by_label("Feed file (JSON)").set_input_files(str(feed))
    page.get_by_role("button", name="Preview the import").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import preview"
    assert page.get_by_role("heading", name="Will be added as drafts").is_visible()
    skipped = page.locator('.import-item[data-action="skip"]')
    assert skipped.count() == 1
    assert "“claim” is missing or not text" in skipped.inner_text()
    assert page.get_by_role("button", name="Import as drafts").is_visible()
    assert_fits(page, viewport["width"])
    assert_same_origin(page, live_server)
    shoot(page, f"catalogue-import-preview-{size}")
