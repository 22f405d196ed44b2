"""The pages in a real browser (Debian's chromium through Playwright), phone first."""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from rumours.extensions import db

from .helpers import seeded_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}

pytestmark = pytest.mark.browser


def _closed_after_reading(app):
    """The app with each answer read whole and its iterable closed before it is sent.
    Werkzeug's development server closes an answer only after writing all of it: when the
    browser drops a connection mid-answer (a favicon as it leaves the page), the static
    file stays open until collected, and the ResourceWarning then fails whichever test is
    running (gunicorn closes in a `finally`, so this is the test server's alone)."""

    def answer(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return answer


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a migrated, seeded SQLite file, served on a free local port."""
    app = seeded_app(tmp_path_factory.mktemp("browser") / "browser.db")
    server = make_server("127.0.0.1", 0, _closed_after_reading(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is not installed (apt-get install chromium); browser tests skipped"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser, live_server):
    """page_at(viewport, locale=None) -> a fresh page that records every request it makes
    (locale: the browser's language, as a phone set to Catalan sends it)."""
    contexts = []

    def make(viewport=PHONE, locale: str | None = None):
        options = {"locale": locale} if locale else {}
        context = browser.new_context(viewport=viewport, base_url=live_server, **options)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        return page

    yield make
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, email: str, password: str = "demo-password-2026") -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def assert_fits(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"page is {scroll_width}px wide at a {width}px viewport"


def assert_same_origin(page, live_server: str) -> None:
    foreign = [url for url in page.requests if not url.startswith(live_server)]
    assert foreign == []


def test_agent_logs_in_on_a_phone(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Aisha Agent"
    assert page.locator(".badge").inner_text() == "Certified"
    assert page.get_by_text("conversations logged").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert_fits(page, PHONE["width"])
    # Tap targets: the main buttons are at least 44 px tall.
    assert page.get_by_role("button", name="Log out").bounding_box()["height"] >= 44
    assert_same_origin(page, live_server)
    shoot(page, "agent-home-phone")


def test_login_error_shows_next_to_the_field_and_keeps_the_email(page_at, live_server):
    page = page_at(PHONE)
    page.goto("/auth/login")
    shoot(page, "login-phone")
    log_in(page, "agent@example.org", "not-the-password")
    assert page.locator(".errors").inner_text() == "Wrong e-mail or password."
    assert page.get_by_label("E-mail").input_value() == "agent@example.org"
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    assert_fits(page, PHONE["width"])
    shoot(page, "login-error-phone")


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_coordinator_sees_the_network_overview(page_at, live_server, size, viewport):
    page = page_at(viewport)
    log_in(page, "coordinator@example.org")
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Network overview"
    table = page.get_by_role("table", name="Agents by status")
    assert table.get_by_role("row").count() == 5
    assert page.get_by_role("link", name="Audit log").is_visible()
    assert "Demo data." in page.locator("footer").inner_text()
    assert_fits(page, viewport["width"])
    assert_same_origin(page, live_server)
    shoot(page, f"coordinator-home-{size}")


def test_member_sees_their_organisation(page_at, live_server):
    page = page_at(PHONE)
    log_in(page, "member@example.org")
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=2).first.inner_text() == "Veïns del Raval (demo)"
    assert_fits(page, PHONE["width"])
    shoot(page, "member-home-phone")


def test_public_welcome_and_403_page(page_at, live_server):
    page = page_at(PHONE)
    page.goto("/")
    assert page.get_by_role("link", name="Log in").first.is_visible()
    shoot(page, "welcome-phone")
    log_in(page, "agent@example.org")
    page.wait_for_url(f"{live_server}/")
    response = page.goto("/audit/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    shoot(page, "forbidden-phone")
