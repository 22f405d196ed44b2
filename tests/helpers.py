"""Plain helpers the tests share (fixtures live in conftest.py)."""

import re

from config import TestConfig
from rumours import create_app

PASSWORD = "correct-horse-battery-2026"
DEMO_PASSWORD = "demo-password-2026"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def config_for(url: str, **overrides) -> type[TestConfig]:
    """The test configuration pointed at `url`, with any settings overridden."""
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


def csrf_from(response) -> str:
    """The CSRF token every HTML page carries in its meta tag."""
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the real form, CSRF token included; returns the POST response."""
    token = csrf_from(client.get("/auth/login"))
    url = "/auth/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def seeded_app(path):
    """An app on a migrated SQLite file at `path` holding the Barcelona demo."""
    app = create_app(config_for(f"sqlite:///{path}"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed"])
    assert seeded.exit_code == 0, seeded.output
    return app
