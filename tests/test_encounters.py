"""The encounter pages: the phone form without JavaScript, the agent's list with
corrections and deletions within 24 hours, the coordinators' review and its flags,
and the offline files (service worker, manifest)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    District,
    Encounter,
    Outcome,
    Role,
    Setting,
)
from rumours.rules.encounters import EncounterData
from rumours.services.encounters import log_encounter

from .helpers import csrf_from, login, query_plan, statements_sent
from .test_api_encounters import add_catalogue


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()


def make_agent(app, create_user, **kwargs):
    user = create_user(Role.AGENT, **kwargs)
    with app.app_context():
        profile = db.session.get(AgentProfile, user.id)
        profile.district_id = db.session.scalar(
            select(District.id).where(District.slug == "ciutat-vella")
        )
        db.session.commit()
    return user


def form_data(token: str, **overrides) -> dict:
    local = datetime.now(UTC) + timedelta(hours=1) - timedelta(minutes=5)
    data = {
        "csrf_token": token,
        "client_uuid": str(uuid.uuid4()),
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "district": "ciutat-vella",
        "neighbourhood": "",
        "setting": "market",
        "rumours": ["they-take-our-jobs"],
        "people_reached": "1",
        "outcome": "open",
        "notes": "",
        "campaign": "autumn-markets-2026",
    }
    data.update(overrides)
    return data


def add_encounter(app, user, created_at=None, **overrides) -> int:
    """Store an encounter through the service, optionally back-dated."""
    with app.app_context():
        from rumours.models import User

        actor = db.session.get(User, user.id)
        values = dict(
            occurred_at=datetime.now(UTC) - timedelta(minutes=30),
            district="ciutat-vella",
            setting="market",
            rumours=["they-take-our-jobs"],
            people_reached=1,
            outcome="open",
            campaign="autumn-markets-2026",
        )
        values.update(overrides)
        encounter, _ = log_encounter(
            actor=actor, client_uuid=uuid.uuid4(), data=EncounterData(**values)
        )
        if created_at is not None:
            encounter.created_at = created_at
        db.session.commit()
        return encounter.id


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Encounter))


def test_form_has_the_agents_defaults(app, client, create_user, catalogue):
    agent = make_agent(app, create_user)
    login(client, agent.email)
    page = client.get("/encounters/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<option selected value="ciutat-vella">|value="ciutat-vella" selected', html)
    assert re.search(
        r'value="autumn-markets-2026" selected|selected value="autumn-markets-2026"', html
    )
    assert 'name="client_uuid"' in html
    assert 'id="people_reached"' in html and 'value="1"' in html
    # The campaign's focus rumour is marked, and comes before the others.
    assert "in focus" in html
    assert html.index("They take our jobs") < html.index("They get all the benefits")
    assert "<script>" not in html and "style=" not in html


def test_form_is_for_certified_agents_only(app, client, create_user, catalogue):
    trainee = create_user(Role.AGENT, status=AgentStatus.IN_TRAINING)
    login(client, trainee.email)
    assert client.get("/encounters/new").status_code == 403
    coordinator = app.test_client()
    login(coordinator, create_user(Role.COORDINATOR).email)
    assert coordinator.get("/encounters/new").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/encounters/new").status_code == 302


def test_posting_the_form_without_javascript_saves_and_offers_the_next(
    app, client, create_user, catalogue
):
    agent = make_agent(app, create_user)
    login(client, agent.email)
    token = csrf_from(client.get("/encounters/new"))
    response = client.post("/encounters/new", data=form_data(token), follow_redirects=True)
    assert response.status_code == 200
    assert "Saved. Thank you!" in response.get_data(as_text=True)
    assert count(app) == 1


def test_the_form_refuses_identifying_notes_and_names_the_field(
    app, client, create_user, catalogue
):
    agent = make_agent(app, create_user)
    login(client, agent.email)
    token = csrf_from(client.get("/encounters/new"))
    response = client.post(
        "/encounters/new", data=form_data(token, notes="call him on +34 612 345 678")
    )
    assert response.status_code == 422
    assert "Remove the phone number" in response.get_data(as_text=True)
    missing = client.post("/encounters/new", data=form_data(token, rumours=[], outcome=""))
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert "Choose at least one rumour, or write the one you heard." in text
    assert "Choose how it went." in text
    assert count(app) == 0


def test_agent_lists_corrects_and_deletes_within_24_hours(app, client, create_user, catalogue):
    agent = make_agent(app, create_user)
    encounter_id = add_encounter(app, agent)
    old_id = add_encounter(app, agent, created_at=datetime.now(UTC) - timedelta(hours=25))
    login(client, agent.email)
    listing = client.get("/encounters/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert f"/encounters/{encounter_id}/edit" in html
    assert f"/encounters/{old_id}/edit" not in html
    token = csrf_from(client.get(f"/encounters/{encounter_id}/edit"))
    corrected = client.post(
        f"/encounters/{encounter_id}/edit",
        data=form_data(token, people_reached="3", outcome="hostile"),
    )
    assert corrected.status_code == 302
    with app.app_context():
        stored = db.session.get(Encounter, encounter_id)
        assert (stored.people_reached, stored.outcome) == (3, Outcome.HOSTILE)
        assert stored.updated_at is not None
    assert client.get(f"/encounters/{old_id}/edit").status_code == 403
    assert (
        client.post(f"/encounters/{old_id}/delete", data={"csrf_token": token}).status_code == 403
    )
    deleted = client.post(f"/encounters/{encounter_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert count(app) == 1


def test_another_agents_encounter_cannot_be_edited_or_deleted(app, client, create_user, catalogue):
    owner = make_agent(app, create_user)
    encounter_id = add_encounter(app, owner)
    intruder = make_agent(app, create_user)
    login(client, intruder.email)
    token = csrf_from(client.get("/encounters/"))
    assert client.get(f"/encounters/{encounter_id}/edit").status_code == 403
    assert client.post(f"/encounters/{encounter_id}/edit", data=form_data(token)).status_code == 403
    assert (
        client.post(f"/encounters/{encounter_id}/delete", data={"csrf_token": token}).status_code
        == 403
    )
    assert f"/encounters/{encounter_id}/edit" not in client.get("/encounters/").get_data(
        as_text=True
    )
    assert client.get("/encounters/999999/edit").status_code == 404
    assert count(app) == 1


def test_coordinator_review_flags_bursts_and_crowds(app, client, create_user, catalogue):
    calm = make_agent(app, create_user)
    busy = make_agent(app, create_user)
    start = datetime.now(UTC) - timedelta(hours=3)
    for i in range(6):
        add_encounter(app, calm, occurred_at=start - timedelta(hours=i * 2), people_reached=2)
    for i in range(5):
        add_encounter(app, busy, occurred_at=start + timedelta(minutes=i))
    crowd_id = add_encounter(app, calm, occurred_at=start + timedelta(hours=1), people_reached=80)
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/encounters/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "12 encounters" in html
    assert "6 flagged for review" in html
    assert html.count(">many in a few minutes<") == 5
    assert html.count(">unusually many people<") == 1
    flagged = client.get("/encounters/review?flagged=1&setting=market").get_data(as_text=True)
    assert "6 encounters" in flagged
    with app.app_context():
        pseudonym = db.session.get(AgentProfile, busy.id).pseudonym
    by_agent = client.get(f"/encounters/review?agent={pseudonym}").get_data(as_text=True)
    assert "5 encounters" in by_agent
    nobody = client.get("/encounters/review?agent=no-such-agent").get_data(as_text=True)
    assert "0 encounters" in nobody
    assert crowd_id
    agent_client = app.test_client()
    login(agent_client, calm.email)
    assert agent_client.get("/encounters/review").status_code == 403


def test_the_review_reads_the_stored_burst_flag_and_counts_nothing(
    app, client, create_user, catalogue
):
    """The burst flag is stored as each conversation is written (tests/test_bursts.py):
    the review reads it and counts no agent's neighbours (3.3 s for a million on a quiet
    machine when it did)."""
    agent = make_agent(app, create_user)
    start = datetime.now(UTC) - timedelta(hours=3)
    for minutes in (0, 1, 2, 4, 11, 30):
        add_encounter(app, agent, occurred_at=start + timedelta(minutes=minutes))
    login(client, create_user(Role.COORDINATOR).email)
    with app.app_context(), statements_sent() as sent:
        html = client.get("/encounters/review").get_data(as_text=True)
    # 0, 1, 2 and 4 minutes are four within five minutes of each other; 11 and 30 are not.
    assert "6 encounters" in html
    assert "4 flagged for review" in html
    reads = [statement for statement, _parameters in sent if "FROM encounters" in statement]
    assert reads and not any("encounters_1" in statement for statement in reads), reads
    assert any("encounters.burst" in statement for statement in reads), reads


def test_the_reviews_work_reads_no_conversation_it_does_not_need(
    app, client, create_user, catalogue
):
    """At ten million conversations every view of the review took 1.6 s: it counted every
    row and averaged every row's people reached. Now the usual crowd per setting comes
    from a summary table, every count of conversations stops at the page's limit, and
    "only flagged" reads the partial index of the conversations that may need a look."""
    agent = make_agent(app, create_user)
    start = datetime.now(UTC) - timedelta(hours=3)
    for minutes in (0, 1, 2, 3, 40):
        add_encounter(app, agent, occurred_at=start + timedelta(minutes=minutes))
    login(client, create_user(Role.COORDINATOR).email)
    for query in ("", "?flagged=1"):
        with app.app_context(), statements_sent() as sent:
            html = client.get(f"/encounters/review{query}").get_data(as_text=True)
        assert "4 flagged for review" in html
        assert not any("avg(" in statement for statement, _ in sent)
        assert any("FROM setting_stats_month" in statement for statement, _ in sent)
        reads = [s for s in sent if re.search(r"FROM encounters\b", s[0])]
        assert reads and all("LIMIT" in statement for statement, _ in reads), reads
        # The backlog is read from the partial index; every other read of the
        # conversations in "only flagged" finds its few by id or in that index.
        with app.app_context():
            plans = [query_plan(*read) for read in reads]
        assert "ix_encounters_review_candidates" in plans[0], (reads[0], plans[0])
        if query:
            for read, plan in zip(reads[1:], plans[1:], strict=True):
                assert any(
                    name in plan
                    for name in ("pk_encounters", "PRIMARY KEY", "ix_encounters_review_candidates")
                ), (read, plan)


def test_an_excluded_entry_does_not_set_the_usual_crowd(app, client, create_user, catalogue):
    """The usual number of people for a setting is the mean over the conversations that
    count in the statistics: one entry of 500 people, excluded, does not hide a market
    chat of 40 among chats of 2."""
    agent = make_agent(app, create_user)
    start = datetime.now(UTC) - timedelta(days=2)
    for i in range(6):
        add_encounter(app, agent, occurred_at=start + timedelta(hours=i), people_reached=2)
    wrong = add_encounter(app, agent, occurred_at=start + timedelta(hours=7), people_reached=500)
    forty = add_encounter(app, agent, occurred_at=start + timedelta(hours=8), people_reached=40)
    login(client, create_user(Role.COORDINATOR).email)

    def flagged_as_crowd(html: str, encounter_id: int) -> bool:
        row = html[html.index(f'id="e{encounter_id}"') :]
        return ">unusually many people<" in row[: row.index("</tr>")]

    html = client.get("/encounters/review").get_data(as_text=True)
    # With the 500 counted, the usual market crowd is 69 and 40 is ordinary.
    assert flagged_as_crowd(html, wrong) and not flagged_as_crowd(html, forty)
    assert "1 flagged for review" in html
    token = csrf_from(client.get("/encounters/review"))
    done = client.post(
        f"/encounters/{wrong}/review",
        data={"action": "exclude", "reason": "A typo: five, not 500", "csrf_token": token},
    )
    assert done.status_code == 302
    html = client.get("/encounters/review").get_data(as_text=True)
    # Without it the usual is 7.4: 40 is more than four times that. (The excluded entry
    # still shows its flag beside "Excluded", but no longer counts as pending.)
    assert flagged_as_crowd(html, forty)
    assert "1 flagged for review" in html


@pytest.mark.parametrize("backlog_read", [2_000, 2], ids=["backlog by id", "large backlog"])
def test_the_reviews_counts_stop_at_their_limit(
    app, client, create_user, catalogue, monkeypatch, backlog_read
):
    """Past the limit the review says "more than", in the reader's language; the same
    whether the backlog of conversations that may need a look is read first (a few) or
    left to the database (more than BACKLOG_READ)."""
    from rumours.reports import encounters as review

    monkeypatch.setattr(review, "BACKLOG_READ", backlog_read)
    agent = make_agent(app, create_user)
    start = datetime.now(UTC) - timedelta(hours=3)
    for minutes in (0, 1, 2, 3, 4, 40):
        add_encounter(app, agent, occurred_at=start + timedelta(minutes=minutes))
    login(client, create_user(Role.COORDINATOR).email)
    monkeypatch.setattr(review, "COUNT_LIMIT", 5)
    html = client.get("/encounters/review").get_data(as_text=True)
    assert "More than 5 encounters" in html
    assert "5 flagged for review" in html and "more than 5 flagged" not in html
    monkeypatch.setattr(review, "COUNT_LIMIT", 4)
    html = client.get("/encounters/review").get_data(as_text=True)
    assert "More than 4 encounters" in html and "more than 4 flagged for review" in html
    # The page itself still lists every conversation (pages of fifty).
    assert html.count('class="num">1<') == 6
    html = client.get("/encounters/review?lang=ca").get_data(as_text=True)
    assert "Més de 4 converses" in html and "més de 4 marcades per revisar" in html
    monkeypatch.setattr(review, "COUNT_LIMIT", 1_000)
    html = client.get("/encounters/review?lang=ca").get_data(as_text=True)
    assert "6 converses" in html and "5 marcades per revisar" in html


def test_review_filters_by_setting_outcome_and_dates(app, client, create_user, catalogue):
    agent = make_agent(app, create_user)
    add_encounter(app, agent, setting=Setting.BAR.value, outcome="hostile")
    add_encounter(app, agent)
    login(client, create_user(Role.COORDINATOR).email)
    assert "1 encounter" in client.get("/encounters/review?setting=bar").get_data(as_text=True)
    assert "1 encounter" in client.get("/encounters/review?outcome=hostile").get_data(as_text=True)
    today = datetime.now(UTC).date()
    assert "0 encounters" in client.get(
        f"/encounters/review?end={today - timedelta(days=2)}"
    ).get_data(as_text=True)
    assert "2 encounters" in client.get(
        "/encounters/review?rumour=they-take-our-jobs&campaign=autumn-markets-2026&district=ciutat-vella"
    ).get_data(as_text=True)


def test_service_worker_and_manifest_are_served_for_the_root_scope(app, client):
    sw = client.get("/sw.js")
    assert sw.status_code == 200
    assert sw.headers["Service-Worker-Allowed"] == "/"
    assert sw.mimetype == "text/javascript"
    assert "no-cache" in sw.headers["Cache-Control"]
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["start_url"] == "/encounters/new"


def test_static_text_is_gzipped_but_pages_are_not(app, client):
    import gzip

    css = client.get("/static/app.css", headers={"Accept-Encoding": "gzip, br"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert b"/* == encounters == */" in gzip.decompress(css.get_data())
    assert "Accept-Encoding" in css.headers["Vary"]
    plain = client.get("/static/app.css")
    assert "Content-Encoding" not in plain.headers
    plain.close()
    page = client.get("/auth/login", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers
