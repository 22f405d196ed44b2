"""The phone form in a real browser: five taps online, the offline outbox, two tabs,
and the weight of the first load."""

import time

import pytest
from playwright.sync_api import expect

from . import test_browser
from .test_browser import DESKTOP, PHONE, assert_fits, assert_same_origin, log_in, shoot

# The live server, browser and page fixtures of the main browser tests.
live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

pytestmark = pytest.mark.browser


def own_encounters(page) -> list[dict]:
    response = page.request.get("/api/v1/encounters")
    assert response.ok
    return response.json()["encounters"]


def log_one(page, taps: list | None = None) -> None:
    """Pick the first rumour, the market, 'doubt sown', then save: four taps."""
    targets = [
        page.locator(".pick").first,
        page.locator(".tile", has_text="Market"),
        page.locator(".tile", has_text="Doubt sown"),
        page.get_by_role("button", name="Save"),
    ]
    for target in targets:
        target.click()
        if taps is not None:
            taps.append(target)


def wait_until(predicate, timeout: float = 15.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")


def wait_for_offline_cache(page) -> None:
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(
        lambda: page.evaluate("caches.match('/encounters/new', {ignoreVary: true}).then(r => !!r)"),
        message="the form in the offline cache",
    )


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_agent_logs_a_conversation_online_in_at_most_five_taps(
    page_at, live_server, size, viewport
):
    page = page_at(viewport)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    before = len(own_encounters(page))
    page.goto("/encounters/new")
    shoot(page, f"encounter-form-{size}")
    assert_fits(page, viewport["width"])
    taps: list = []
    log_one(page, taps)
    assert len(taps) <= 5
    confirm = page.locator("#confirm")
    confirm.wait_for(state="visible")
    assert "It is on the server" in confirm.inner_text()
    mine = own_encounters(page)
    assert len(mine) == before + 1
    newest = max(mine, key=lambda e: e["created_at"])
    assert (newest["setting"], newest["outcome"], newest["people_reached"]) == (
        "market",
        "doubt_sown",
        1,
    )
    assert newest["campaign"] == "autumn-markets-2026"
    # Ready for the next: a fresh key, nothing picked.
    assert page.locator(".pick input:checked").count() == 0
    for button in [page.get_by_role("button", name="Save"), page.locator(".step").first]:
        assert button.bounding_box()["height"] >= 44
    assert_same_origin(page, live_server)
    shoot(page, f"encounter-saved-{size}")
    page.goto("/encounters/")
    assert page.get_by_role("link", name="Correct").count() >= 1
    assert_fits(page, viewport["width"])
    shoot(page, f"encounter-list-{size}")


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_reviews_encounters_with_flags(page_at, live_server, size, viewport):
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Encounters").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Encounters"
    page.get_by_label("Only flagged for review").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**flagged=1*")
    page.wait_for_load_state()  # the URL changes before the new list is on the page
    assert "flagged=1" in page.url
    assert page.locator(".review-table tbody tr").count() >= 1
    shoot(page, f"encounter-review-{size}")


def test_offline_entries_wait_in_the_outbox_and_arrive_exactly_once(page_at, live_server):
    page = page_at(PHONE)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    before = {e["client_uuid"] for e in own_encounters(page)}
    page.goto("/encounters/new")
    wait_for_offline_cache(page)

    page.context.set_offline(True)
    for n in range(1, 4):
        log_one(page)
        page.locator("#confirm.confirm-queued").wait_for(state="visible")
        expect(page.locator("#outbox-count")).to_have_text(str(n))
    page.reload()  # still offline: the service worker serves the form
    assert page.get_by_role("heading", level=1).inner_text() == "Log a conversation"
    expect(page.locator("#outbox-count")).to_have_text("3")
    expect(page.locator("#outbox-state")).to_contain_text("offline")
    shoot(page, "encounter-outbox-offline-phone")

    page.context.set_offline(False)
    page.locator("#outbox").wait_for(state="hidden", timeout=20_000)
    after = own_encounters(page)
    new = [e for e in after if e["client_uuid"] not in before]
    assert len(new) == 3
    assert len({e["client_uuid"] for e in new}) == 3


def test_one_queued_record_sent_from_two_tabs_makes_one_row(page_at, live_server):
    first = page_at(PHONE)
    log_in(first, "agent@example.org")
    first.wait_for_url(f"{live_server}/")
    first.goto("/encounters/new")
    wait_for_offline_cache(first)
    second = first.context.new_page()
    second.goto("/encounters/new")

    first.context.set_offline(True)
    log_one(first)
    first.locator("#confirm.confirm-queued").wait_for(state="visible")
    queued = first.evaluate("RumoursOutbox.all().then(r => r.map(x => x.client_uuid))")
    assert len(queued) == 1
    first.context.set_offline(False)
    # Both tabs push the same record at the same moment, bypassing the timers.
    first.evaluate("window.__both = Promise.all([RumoursOutbox.sync(true)])")
    second.evaluate(f"RumoursOutbox.sendOne('{queued[0]}')")
    wait_until(lambda: first.evaluate("RumoursOutbox.all().then(r => r.length)") == 0)
    rows = [e for e in own_encounters(first) if e["client_uuid"] == queued[0]]
    assert len(rows) == 1


def test_the_form_opens_offline_after_signing_in_without_opening_it_online(
    page_at, live_server
):
    """The worker installs on the login page, where every offline page is a redirect;
    signing in is enough for the form to open later without a connection."""
    page = page_at(PHONE)
    page.goto("/auth/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(lambda: page.evaluate("!!navigator.serviceWorker.controller"), message="control")
    kept = "caches.match('/encounters/new', {ignoreVary: true}).then(r => !!r)"
    assert page.evaluate(kept) is False
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    wait_for_offline_cache(page)
    page.context.set_offline(True)
    page.goto("/encounters/new")
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    expect(page.locator(".pick").first).to_be_visible()


COUNT_OUTBOX = """new Promise(done => {
  const open = indexedDB.open('rumours', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('outbox', {keyPath: 'client_uuid'});
  open.onsuccess = () => {
    const count = open.result.transaction('outbox').objectStore('outbox').count();
    count.onsuccess = () => done(count.result);
  };
})"""


def test_logout_warns_and_clears_the_outbox(page_at, live_server):
    page = page_at(PHONE)
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/encounters/new")
    # The server cannot be reached for encounters: the entry stays in the outbox.
    page.route("**/api/v1/encounters", lambda route: route.abort())
    log_one(page)
    page.locator("#confirm.confirm-queued").wait_for(state="visible")
    assert page.evaluate(COUNT_OUTBOX) == 1
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/auth/login")
    assert len(messages) == 1
    assert "Unsent conversations on this phone: 1." in messages[0]
    assert page.evaluate(COUNT_OUTBOX) == 0


def test_the_forms_first_load_is_light_and_same_origin(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server, service_workers="block")
    try:
        page = context.new_page()
        log_in(page, "agent@example.org")
        page.wait_for_url(f"{live_server}/")
        responses = []
        page.on("response", lambda response: responses.append(response))
        # A first visit: nothing of the form's files in the HTTP cache yet.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.clearBrowserCache")
        page.goto("/encounters/new", wait_until="networkidle")
        total = 0
        for response in responses:
            sizes = response.request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        urls = [r.url for r in responses]
        assert all(url.startswith(live_server) for url in urls), urls
        print(f"first load of /encounters/new: {total} bytes in {len(urls)} requests")
        assert total <= 60 * 1024
    finally:
        context.close()


def test_every_error_on_the_phone_form_comes_into_view(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    page.goto("/encounters/new")

    # An empty save: the first error is on screen, above the sticky Save bar, its field
    # has the focus and the messages are announced.
    page.get_by_role("button", name="Save").click()
    error = page.locator("#rumours-errors")
    expect(error).to_be_visible()
    box = error.bounding_box()
    bar = page.locator(".save-bar").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"], (box, bar)
    assert page.evaluate("document.activeElement.name") == "rumours"
    expect(page.locator("#form-announce")).to_contain_text("Choose")
    shoot(page, "encounter-errors-phone")

    # An error inside the collapsed "When and where" opens it and comes into view.
    page.locator(".pick").first.click()
    page.locator(".tile", has_text="Market").click()
    page.locator(".tile", has_text="Doubt sown").click()
    page.locator("#occurred_at").evaluate("(input) => { input.value = '2001-01-01T10:00'; }")
    page.get_by_role("button", name="Save").click()
    when = page.locator("#occurred_at-errors")
    expect(when).to_be_visible()
    assert page.locator("details#context").evaluate("(d) => d.open")
    box = when.bounding_box()
    assert (
        box["y"] >= 0 and box["y"] + box["height"] <= page.locator(".save-bar").bounding_box()["y"]
    )
    assert page.locator("#occurred_at").get_attribute("aria-invalid") == "true"
    shoot(page, "encounter-error-in-context-phone")
