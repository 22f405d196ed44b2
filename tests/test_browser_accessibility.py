"""Accessibility: axe-core (shipped inside the pinned axe-playwright-python package, never
loaded from a CDN) over every page each role uses, at phone and desktop sizes. No serious
or critical violation of WCAG 2.2 A/AA is allowed."""

import pytest

from .test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    browser,
    live_server,
    log_in,
    page_at,
)

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

# Each role's pages; "first:<css>" follows the first matching link of the page before.
PAGES = {
    "anonymous": [
        "/",
        "/rumours/",
        "first:.rumour-list a, a.rumour-link",
        "/auth/login",
        "/auth/register",
        "/account/language",
        "/offline",
        "/rumours/report",
    ],
    "agent@example.org": [
        "/",
        "/encounters/new",
        "/encounters/",
        "/rumours/pocket",
        "/trainings/",
        "first:.sessions a.session-title",
        "/campaigns/",
        "first:.list a[href^='/campaigns/']",
        "/dashboard/",
        "/auth/password",
        "/auth/two-factor/",
    ],
    "member@example.org": [
        "/",
        "/dashboard/",
        "/agents/",
        "/organisations/",
        "first:a[href^='/organisations/']",
        "/exports/",
        "/campaigns/",
    ],
    "coordinator@example.org": [
        "/",
        "/dashboard/",
        "/catalogue/",
        "first:a[href^='/catalogue/'][href$='0'], a[href^='/catalogue/1']",
        "/catalogue/new",
        "/agents/",
        "first:td a[href^='/agents/']",
        "/agents/certifications",
        "/agents/invitations",
        "/trainings/",
        "/trainings/new",
        "/campaigns/",
        "/campaigns/new",
        "/organisations/",
        "/organisations/new",
        "/encounters/review",
        "/exports/",
        "/audit/",
        "/settings/",
        "/geography/",
        "/catalogue/reports",
        "/catalogue/import/",
        "/accounts/",
        "/auth/two-factor/",
    ],
}
CHECKED: set[str] = set()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
@pytest.mark.parametrize("who", list(PAGES))
def test_no_serious_accessibility_violation(page_at, live_server, who, size, viewport):  # noqa: F811
    page = page_at(viewport)
    if who != "anonymous":
        log_in(page, who)
        page.wait_for_url(f"{live_server}/")
    problems = {}
    for step in PAGES[who]:
        if step.startswith("first:"):
            href = page.locator(step.removeprefix("first:")).first.get_attribute("href")
            assert href, f"no link for {step} on {page.url}"
            path = href
        else:
            path = step
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response.status}"
        CHECKED.add(f"{who} {path.split('?')[0]}")
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert not problems, "\n".join(f"{who} {size} {p}: {v}" for p, v in problems.items())
