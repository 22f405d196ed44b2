"""Schemathesis against the API's own OpenAPI document (GET /api/v1/openapi.json), on
SQLite and PostgreSQL, with the Barcelona demo loaded.

Every operation gets generated requests that fit the document (positive) and requests
that break it (negative); each is sent as an anonymous visitor, an agent, an
organisation member and a coordinator, the signed-in ones with their session cookie and
a valid CSRF token (so a write reaches the validators instead of stopping at CSRF).
Every answer must be no 5xx, a status code the document lists, its content type, and a
body matching the documented schema. FUZZ_EXAMPLES sets the cases per operation and mode
(`make fuzz` raises it); the test prints how many requests it sent.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import DEMO_PASSWORD, csrf_from, login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# The same cases on every `make test` run (a CI run never fails by luck); `make fuzz`
# sets FUZZ_RANDOM=1 to explore new ones each time.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ("anonymous", "agent", "member", "coordinator")


def _credentials(app, role: str) -> dict[str, str]:
    """The headers a signed-in browser of this role sends: its cookie and CSRF token."""
    client = app.test_client()
    if role != "anonymous":
        answer = login(client, f"{role}@example.org", DEMO_PASSWORD)
        assert answer.status_code == 302, f"{role} could not sign in"
    token = csrf_from(client.get("/auth/login" if role == "anonymous" else "/"))
    cookie = client.get_cookie("session")
    headers = {"X-CSRFToken": token}
    if cookie is not None:
        headers["Cookie"] = f"session={cookie.value}"
    return headers


def test_the_api_answers_every_generated_request_as_documented(app, demo, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    roles = {role: _credentials(app, role) for role in ROLES}
    sent = {"requests": 0, "cases": 0}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6, "the document lost its operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None, derandomize=DERANDOMIZE,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                sent["cases"] += 1
                for headers in roles.values():
                    if "X-CSRFToken" in (case.headers or {}):
                        case.headers["X-CSRFToken"] = headers["X-CSRFToken"]
                    response = case.call(headers=headers)
                    sent["requests"] += 1
                    case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                # No request can break a document that asks for nothing (no parameters).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as error:  # name the operation and mode in the failure
                raise AssertionError(f"{operation.label} ({mode.value}): {error}") from error

    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {sent['cases']} cases, "
              f"{sent['requests']} requests ({EXAMPLES} per operation and mode)")
    assert sent["requests"] >= len(operations) * len(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_the_document_is_served_to_every_role(app, demo, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, f"{role}@example.org", DEMO_PASSWORD)
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.get_json()["openapi"].startswith("3.1")
