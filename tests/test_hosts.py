"""Trusted hosts: with the site's own address configured, a foreign Host is a 400 and
absolute links are built from the configured address."""

import pytest

from rumours.models import Role
from rumours.web import hosts

from .helpers import PASSWORD, csrf_from

SITE = "https://rumours.example.org"


@pytest.fixture
def site(app):
    app.config["SITE_URL"] = SITE
    hosts.init_app(app)
    return app


def test_a_foreign_host_is_refused(site):
    client = site.test_client()
    response = client.get("/auth/login", headers={"Host": "evil.example.com"})
    assert response.status_code == 400
    assert site.config["TRUSTED_HOSTS"] == ["rumours.example.org"]


def test_absolute_links_come_from_the_site_address(site, create_user):
    site.config["SERVER_NAME"] = "rumours.example.org"  # the test client's Host header
    client = site.test_client()
    coordinator = create_user(Role.COORDINATOR)
    token = csrf_from(client.get("/auth/login"))
    # Over https Flask-WTF also checks the Referer, as a browser sends it.
    response = client.post(
        "/auth/login",
        data={"email": coordinator.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": f"{SITE}/auth/login"},
    )
    assert response.status_code == 302
    page = client.get("/dashboard/").get_data(as_text=True)
    assert f"{SITE}/dashboard/" in page
    assert "http://rumours.example.org" not in page


def test_without_a_site_address_any_host_is_served(app):
    assert (
        app.test_client().get("/auth/login", headers={"Host": "anything.test"}).status_code == 200
    )
