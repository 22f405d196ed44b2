"""Data-quality flags lead somewhere: a coordinator marks a flagged conversation as
checked, or excludes it from every statistic with a reason (audited) and reinstates it;
the summaries follow, and the review list's date filters say what is wrong with a date."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rumours import summaries
from rumours.extensions import db
from rumours.models import AuditEntry, Encounter, Outcome, Role, Setting
from rumours.reports.filters import StatsFilter
from rumours.reports.stats import figures
from rumours.rules.localtime import city_today

from .helpers import csrf_from, login


@pytest.fixture
def flagged(app, create_user, create_district):
    """An agent's burst of five conversations in two minutes: all flagged."""
    district = create_district()
    agent = create_user(Role.AGENT)
    now = datetime.now(UTC) - timedelta(hours=1)
    with app.app_context():
        rows = [
            Encounter(
                client_uuid=uuid.uuid4(),
                content_hash=f"{i:064d}",
                agent_id=agent.id,
                occurred_at=now + timedelta(seconds=30 * i),
                district_id=district.id,
                setting=Setting.MARKET,
                people_reached=2,
                outcome=Outcome.OPEN,
            )
            for i in range(5)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def conversations(app) -> int:
    with app.app_context():
        today = city_today()
        view = StatsFilter(start=today - timedelta(days=2), end=today)
        found = figures(view).get(())
        return found.encounters if found else 0


def act(client, encounter_id: int, action: str, reason: str = "", next_query: str = ""):
    token = csrf_from(client.get("/encounters/review"))
    return client.post(
        f"/encounters/{encounter_id}/review",
        data={"action": action, "reason": reason, "next": next_query, "csrf_token": token},
    )


def test_excluding_a_flagged_entry_takes_it_out_of_the_statistics_until_reinstated(
    app, client, create_user, flagged
):
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/encounters/review?flagged=1").get_data(as_text=True)
    assert "5 flagged for review" in page
    assert "or more conversations by the same agent within" in page  # the flag says why
    assert conversations(app) == 5

    done = act(client, flagged[0], "exclude", "Test entries from a training", "flagged=1")
    assert done.status_code == 302 and "flagged=1" in done.location
    assert conversations(app) == 4
    with app.app_context():
        assert summaries.mismatches(db.session.connection()) == {
            name: 0 for name in summaries.mismatches(db.session.connection())
        }
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "encounter.excluded")
        ).one()
        assert entry.details["reason"] == "Test entries from a training"
    page = client.get("/encounters/review").get_data(as_text=True)
    assert "Test entries from a training" in page and "Reinstate" in page

    assert act(client, flagged[0], "reinstate").status_code == 302
    assert conversations(app) == 5


def test_a_checked_entry_no_longer_counts_as_flagged(app, client, create_user, flagged):
    login(client, create_user(Role.COORDINATOR).email)
    act(client, flagged[1], "checked")
    page = client.get("/encounters/review").get_data(as_text=True)
    assert "4 flagged for review" in page and "Checked" in page
    assert conversations(app) == 5  # checked entries still count
    with app.app_context():
        assert db.session.get(Encounter, flagged[1]).checked_at is not None


def test_excluding_needs_a_reason_and_a_coordinator(app, client, create_user, flagged):
    login(client, create_user(Role.COORDINATOR).email)
    refused = act(client, flagged[2], "exclude", "   ")
    assert "Say why this entry is excluded." in client.get(refused.location).get_data(as_text=True)
    assert conversations(app) == 5
    agent_client = app.test_client()
    login(agent_client, create_user(Role.AGENT).email)
    token = csrf_from(agent_client.get("/"))
    forbidden = agent_client.post(
        f"/encounters/{flagged[2]}/review",
        data={"action": "exclude", "reason": "x", "csrf_token": token},
    )
    assert forbidden.status_code == 403


def test_the_review_list_says_what_is_wrong_with_a_date(client, create_user):
    login(client, create_user(Role.COORDINATOR).email)
    response = client.get("/encounters/review?start=31/12/2026")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="filter-start-errors"' in page and "YYYY-MM-DD" in page
    assert 'value="31/12/2026"' in page  # what was typed is kept
