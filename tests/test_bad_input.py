"""Issue 12, bad input: every example that answered 500 now answers a 4xx naming the
field, stores nothing, and leaves the pages working for everyone else."""

import importlib
import json
import pkgutil
from datetime import date, datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, StringField, TextAreaField

import rumours.blueprints
import rumours.forms
from rumours.extensions import db
from rumours.forms.inputs import storable
from rumours.models import Campaign, Encounter, Organisation, Role, TrainingSession, User
from rumours.rules.errors import DomainError
from rumours.rules.inputs import LAST_DAY, json_depth, value_problem
from rumours.services.campaigns import create_campaign
from rumours.services.trainings import SessionData, create_session

from .helpers import csrf_from, login
from .test_api_encounters import catalogue, logged_in_agent, payload  # noqa: F401
from .test_api_encounters import post as post_json
from .test_registration import sign_up
from .test_trainings import session_form

WINDOW = "Give a date between 2000-01-01 and 2100-12-31."
CONTROL = "Remove the invisible control characters from this text."


@pytest.fixture
def coordinator(app, create_user):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR).email)
    return client


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_from(client.get(url))})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# Route converters and query strings ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/rumours/a%00b",
        "/rumours/they-take-our-jobs/versions/99999999999999999999",
        "/organisations/99999999999999999999",
        "/trainings/99999999999999999999",
    ],
)
def test_control_characters_and_huge_numbers_in_the_path_are_not_found(coordinator, url):
    assert coordinator.get(url).status_code == 404


def test_a_control_character_in_a_filter_is_a_400_naming_it(coordinator):
    response = coordinator.get("/dashboard/?campaign=a%00")
    assert response.status_code == 400
    assert "Some parameters of this address are not valid." in response.get_data(as_text=True)
    api = coordinator.get("/api/v1/stats?campaign=a%00")
    assert api.status_code == 400
    assert api.get_json()["fields"] == {"campaign": [CONTROL]}


@pytest.mark.parametrize(
    "url",
    [
        "/rumours/?page=99999999999999999999",
        "/catalogue/?page=99999999999999999999",
        "/agents/?district=99999999999999999999&organisation=99999999999999999999",
        "/encounters/review?page=99999999999999999999",
        "/api/v1/encounters?page=99999999999999999999",
        "/audit/?page=-99999999999999999999",
    ],
)
def test_huge_numbers_in_query_strings_are_ignored_like_other_bad_numbers(coordinator, url):
    assert coordinator.get(url).status_code == 200


def test_filter_dates_outside_the_window_are_refused_with_the_window(coordinator):
    response = coordinator.get("/dashboard/?to=0001-01-15")
    assert response.status_code == 400
    assert WINDOW in response.get_data(as_text=True)
    assert coordinator.get("/exports/?to=9999-12-31").status_code == 400
    api = coordinator.get("/api/v1/stats?from=0001-01-01")
    assert api.status_code == 400 and api.get_json()["fields"] == {"from": [WINDOW]}
    # The review list says so next to the date, as the dashboard does.
    review = coordinator.get("/encounters/review?end=9999-12-31")
    assert review.status_code == 400
    assert 'id="filter-end-errors"' in review.get_data(as_text=True)
    assert WINDOW in review.get_data(as_text=True)


# Forms ----------------------------------------------------------------------------------


def test_a_nul_in_the_sign_up_name_is_a_field_error_and_nothing_is_stored(
    app, client, create_district
):
    district = create_district()
    response = sign_up(client, district.id, name="A\x00B")
    assert response.status_code == 422
    assert CONTROL in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_coordinator_forms_refuse_nul_huge_numbers_and_far_dates_on_the_field(app, coordinator):
    response = post_form(coordinator, "/organisations/new", {"name": "A\x00B", "type": "ngo"})
    assert response.status_code == 422 and CONTROL in response.get_data(as_text=True)
    assert count(app, Organisation) == 0
    huge = post_form(coordinator, "/trainings/new", session_form(capacity="99999999999"))
    assert huge.status_code == 422
    assert "This number is too large." in huge.get_data(as_text=True)
    year_one = session_form(starts_at="0001-01-01T10:00", ends_at="0001-01-01T12:00")
    early = post_form(coordinator, "/trainings/new", year_one)
    assert early.status_code == 422 and WINDOW in early.get_data(as_text=True)
    assert count(app, TrainingSession) == 0
    campaign = {"name": "Forever", "starts_on": "2026-01-01", "ends_on": "9999-12-31"}
    late = post_form(coordinator, "/campaigns/new", campaign)
    assert late.status_code == 422 and WINDOW in late.get_data(as_text=True)
    assert count(app, Campaign) == 0
    # What nobody could store, nobody's page breaks on.
    assert coordinator.get("/dashboard/").status_code == 200
    assert coordinator.get("/trainings/").status_code == 200


def test_services_refuse_dates_outside_the_window_whoever_calls_them(app):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            create_campaign(
                actor=None, name="Forever", starts_on=date(2026, 1, 1), ends_on=date(9999, 12, 31)
            )
        assert refused.value.fields == {"ends_on": [WINDOW]}
        start = datetime(1, 1, 1, 10)
        data = SessionData(
            kind="basic", title="T", starts_at=start, ends_at=start + timedelta(hours=2),
            venue="V", district_id=None, trainer="T", capacity=5, language="ca", description="",
        )
        with pytest.raises(DomainError) as refused:
            create_session(data, actor=None)
        assert refused.value.field == "starts_at"


@pytest.mark.parametrize("kind", ["organisations", "trainings"])
def test_an_edit_form_posted_without_its_district_is_a_field_error(
    app, coordinator, create_district, create_training, kind
):
    district = create_district()
    with app.app_context():
        if kind == "organisations":
            obj = Organisation(slug="o", name="Casal", type="ngo", district_id=district.id)
            data = {"name": "Casal", "type": "ngo"}
        else:
            obj = db.session.get(TrainingSession, create_training().id)
            obj.district_id = district.id
            data = {k: v for k, v in session_form().items() if k != "district"}
        db.session.add(obj)
        db.session.commit()
        url = f"/{kind}/{obj.id}/edit"
    response = post_form(coordinator, url, data)
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)


def every_form_class() -> set[type]:
    for package in (rumours.forms, rumours.blueprints):
        for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("rumours.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_form_field_passes_through_the_input_layer_without_opting_in(app):
    class NewForm(FlaskForm):  # written tomorrow by someone who never heard of the layer
        title = StringField()
        notes = TextAreaField()
        count = IntegerField()

    forms = every_form_class() | {NewForm}
    assert len(forms) > 20
    with app.test_request_context(method="POST", data={"title": "a\x00", "count": "2147483648"}):
        for form_class in forms:
            try:
                form = form_class()
            except TypeError:  # forms that need arguments are covered by the hook anyway
                continue
            fields = [f for f in form if f.name != "csrf_token"]
            assert all(f.validators[0] is storable for f in fields), form_class
        new = NewForm(meta={"csrf": False})
        new.notes.data = "two\nlines"
        assert not new.validate()
        assert new.errors == {"title": [CONTROL], "count": ["This number is too large."]}


# The JSON API ---------------------------------------------------------------------------


def test_api_refuses_control_characters_and_lone_surrogates_naming_the_field(
    app, client, create_user, catalogue  # noqa: F811
):
    token = logged_in_agent(client, create_user)
    nul = post_json(client, token, payload(notes="a\x00b"))
    assert nul.status_code == 422
    assert nul.get_json()["fields"] == {"notes": [CONTROL]}
    surrogate = post_json(client, token, json.dumps(payload(notes="x")).replace('"x"', '"\\ud800"'))
    assert surrogate.status_code == 422
    assert surrogate.get_json()["fields"] == {"notes": [CONTROL]}
    old = post_json(client, token, payload(occurred_at="0001-01-01T00:00:00+01:00"))
    assert old.status_code == 422 and "occurred_at" in old.get_json()["fields"]
    far = post_json(client, token, payload(occurred_at="9999-12-31T23:59:59-01:00"))
    assert far.status_code == 422 and "occurred_at" in far.get_json()["fields"]
    assert count(app, Encounter) == 0
    assert post_json(client, token, payload()).status_code == 201


def test_api_refuses_json_nested_a_thousand_levels_deep(client, create_user, catalogue):  # noqa: F811
    token = logged_in_agent(client, create_user)
    response = post_json(client, token, "[" * 1000 + "]" * 1000)
    assert response.status_code == 400
    assert "nests deeper" in response.get_json()["error"]
    not_json = post_json(client, token, "{nope")
    assert not_json.status_code == 400 and not_json.is_json


def test_a_15_kb_note_is_refused_on_its_length(app, client, create_user, catalogue):  # noqa: F811
    token = logged_in_agent(client, create_user)
    response = post_json(client, token, payload(notes="x" * 15_000))
    assert response.status_code == 422
    assert response.get_json()["fields"]["notes"] == ["Keep notes under 280 characters."]


# The rules themselves ---------------------------------------------------------------------


def test_the_rules_keep_line_breaks_in_text_areas_and_the_window_in_one_place():
    assert value_problem("two\nlines\ttabbed") is None
    assert value_problem("two\nlines", multiline=False) == "Keep this on one line."
    assert value_problem("\x7f") and value_problem("\ud800") and value_problem("\x1b[0m")
    assert value_problem(2**31 - 1) is None and value_problem(2**31)
    assert value_problem(LAST_DAY) is None and value_problem(LAST_DAY + timedelta(days=1))
    assert value_problem(["ok", "a\x00"]) == CONTROL
    assert json_depth('{"a": ["[[[", {"b": []}]}') == 4
