"""Headers, CSRF and request limits on every page and form."""

import re

import pytest

from rumours.models import Role

from .helpers import login

REQUIRED_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
FORM = re.compile(r"<form\b[^>]*>", re.I)
METHOD_POST = re.compile(r'method="post"', re.I)
ACTION = re.compile(r'action="([^"]*)"', re.I)


def simple_get_urls(app) -> list[str]:
    """Every GET route that takes no argument: the pages a crawler would reach."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            urls.append(rule.rule)
    return sorted(urls)


@pytest.fixture
def clients(app, create_user, create_organisation):
    """One logged-in client per role, plus an anonymous one."""
    organisation = create_organisation()
    result = {"anonymous": app.test_client()}
    for role in Role:
        client = app.test_client()
        login(client, create_user(role, organisation=organisation).email)
        result[role.value] = client
    return result


def test_every_response_carries_the_security_headers(app, clients):
    urls = simple_get_urls(app) + ["/no-such-page", "/static/app.css", "/api/v1/nothing"]
    assert "/" in urls and "/auth/login" in urls
    for name, client in clients.items():
        for url in urls:
            response = client.get(url)
            response.close()
            for header, expected in REQUIRED_HEADERS.items():
                assert response.headers.get(header, "").startswith(expected), (name, url, header)


def test_every_html_page_carries_the_csrf_meta_tag(app, clients):
    for name, client in clients.items():
        for url in simple_get_urls(app):
            response = client.get(url)
            response.close()
            if response.status_code == 200 and response.mimetype == "text/html":
                assert '<meta name="csrf-token" content="' in response.get_data(as_text=True), (
                    name,
                    url,
                )


def test_every_form_rejects_a_missing_csrf_token(app, clients):
    """Crawl every page as every role, then post each form found without its token."""
    forms_checked = set()
    for name, client in clients.items():
        for url in simple_get_urls(app):
            response = client.get(url)
            response.close()
            if response.mimetype != "text/html":
                continue
            for tag in FORM.findall(response.get_data(as_text=True)):
                if not METHOD_POST.search(tag):
                    continue
                action = ACTION.search(tag)
                target = action.group(1) if action and action.group(1) else url
                refused = client.post(target, data={"email": "x@example.org", "password": "x"})
                assert refused.status_code == 400, (name, url, target)
                assert "security token" in refused.get_data(as_text=True)
                forms_checked.add(target)
    assert {"/auth/login", "/auth/logout"} <= forms_checked


def test_logout_without_token_keeps_the_session(app, create_user):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR).email)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/audit/").status_code == 200


def test_oversized_body_is_refused(client):
    response = client.post("/auth/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and "error" in response.get_json()


def test_session_cookie_is_httponly_and_samesite(app, create_user):
    client = app.test_client()
    response = login(client, create_user(Role.AGENT).email)
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("rumours_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.DEMO_SEED_ALLOWED is False


def test_a_background_fetch_never_rewrites_the_session_cookie(client):
    """The service worker caches pages in the background with a cookie that may be stale
    (sent while its owner logs in): its answer must not replace the session, or the
    fresh login would be lost. A normal request still sets the cookie."""
    normal = client.get("/encounters/new")  # redirected to the login, with a flash message
    assert normal.status_code == 302
    assert any("rumours_session" in c for c in normal.headers.getlist("Set-Cookie"))
    background = client.get("/encounters/new", headers={"X-Rumours-Background": "1"})
    assert background.status_code == 302
    assert not any("rumours_session" in c for c in background.headers.getlist("Set-Cookie"))
