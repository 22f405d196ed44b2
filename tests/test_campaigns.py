"""Campaigns: coordinators create and edit them; agents see them all, organisation members
only those their organisation takes part in."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from rumours.extensions import db
from rumours.models import (
    AuditEntry,
    Campaign,
    Encounter,
    Organisation,
    Outcome,
    Role,
    Rumour,
    RumourStatus,
    Setting,
    Theme,
)
from rumours.rules.errors import DomainError
from rumours.rules.localtime import city_today
from rumours.services.campaigns import create_campaign, update_campaign

from .helpers import csrf_from, login

TODAY = date.today()


@pytest.fixture
def create_rumour(app):
    """Factory: create_rumour(claim, status=published) returns (id, slug)."""

    def make(claim: str, status: RumourStatus = RumourStatus.PUBLISHED, theme=Theme.EMPLOYMENT):
        with app.app_context():
            slug = re.sub(r"[^a-z0-9]+", "-", claim.lower()).strip("-")
            rumour = Rumour(slug=slug, claim=claim, theme=theme, status=status)
            db.session.add(rumour)
            db.session.commit()
            return rumour.id, rumour.slug

    return make


@pytest.fixture
def add_campaign(app):
    """Factory: add_campaign(name, starts_in_days, days, organisations=[ids]) returns its slug,
    made through the service as a coordinator would."""

    def make(name: str, *, starts_in: int = -10, days: int = 30, organisations=(), rumours=()):
        with app.app_context():
            campaign = create_campaign(
                actor=None,
                name=name,
                starts_on=TODAY + timedelta(days=starts_in),
                ends_on=TODAY + timedelta(days=starts_in + days),
                organisation_ids=list(organisations),
                rumour_ids=list(rumours),
            )
            db.session.commit()
            return campaign.slug

    return make


def form(**overrides):
    data = {
        "name": "Autumn in the markets",
        "description": "Saturday mornings at the stalls.",
        "starts_on": (TODAY - timedelta(days=7)).isoformat(),
        "ends_on": (TODAY + timedelta(days=60)).isoformat(),
        "target_encounters": "1500",
        "target_people_reached": "3500",
        "target_agents_trained": "",
        "target_trainings": "5",
    }
    data.update(overrides)
    return data


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_from(client.get("/campaigns/"))})


def checked(page: str, name: str) -> set[str]:
    """The values of the ticked checkboxes called `name`."""
    values = set()
    for tag in re.findall(r"<input\b[^>]*>", page):
        if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
            values.add(re.search(r'value="([^"]*)"', tag).group(1))
    return values


def test_coordinator_creates_a_campaign_with_rumours_organisations_and_targets(
    app, client, create_user, create_organisation, create_rumour
):
    coordinator = create_user(Role.COORDINATOR)
    jobs_id, jobs_slug = create_rumour("They take our jobs")
    draft_id, _ = create_rumour("A rumour still in draft", RumourStatus.DRAFT)
    market = create_organisation("Mercat de Sant Antoni traders")
    create_organisation("Another association")
    login(client, coordinator.email)

    page = client.get("/campaigns/new").get_data(as_text=True)
    assert page.index("They take our jobs") < page.index("A rumour still in draft (not published)")
    assert "Mercat de Sant Antoni traders" in page

    response = post_form(
        client,
        "/campaigns/new",
        form(rumours=[str(jobs_id), str(draft_id)], organisations=[str(market.id)]),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/campaigns/autumn-in-the-markets"
    with app.app_context():
        campaign = db.session.execute(db.select(Campaign)).scalar_one()
        assert campaign.slug == "autumn-in-the-markets"
        assert campaign.description == "Saturday mornings at the stalls."
        assert {r.id for r in campaign.rumours} == {jobs_id, draft_id}
        assert [o.id for o in campaign.organisations] == [market.id]
        assert (campaign.target_encounters, campaign.target_people_reached) == (1500, 3500)
        assert campaign.target_agents_trained is None and campaign.target_trainings == 5
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "campaign.create")
        ).scalar_one()
        assert (entry.entity_type, entry.entity_id) == ("campaign", campaign.id)
        assert entry.actor_id == coordinator.id

    show = client.get("/campaigns/autumn-in-the-markets").get_data(as_text=True)
    assert "Campaign created." in show
    assert "Running now" in show
    assert f'href="/rumours/{jobs_slug}"' in show
    assert "A rumour still in draft" in show and "Not published" in show
    assert "Mercat de Sant Antoni traders" in show and "Another association" not in show
    assert "1,500" in show and "3,500" in show
    assert 'href="/dashboard/?campaign=autumn-in-the-markets"' in show
    assert "Progress on the dashboard" in show
    assert 'href="/campaigns/autumn-in-the-markets/edit"' in show

    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "Autumn in the markets" in listing
    assert "2 rumours in focus" in listing and "1 organisation" in listing
    assert "1,500 conversations" in listing and "5 training sessions" in listing


def test_edit_keeps_the_slug_and_changes_links(
    app, client, create_user, create_organisation, create_rumour
):
    coordinator = create_user(Role.COORDINATOR)
    jobs_id, _ = create_rumour("They take our jobs")
    market = create_organisation("Market traders")
    login(client, coordinator.email)
    assert post_form(client, "/campaigns/new", form()).status_code == 302
    second = post_form(client, "/campaigns/new", form(rumours=[str(jobs_id)]))
    assert second.headers["Location"] == "/campaigns/autumn-in-the-markets-2"

    page = client.get("/campaigns/autumn-in-the-markets-2/edit").get_data(as_text=True)
    assert 'value="Autumn in the markets"' in page
    assert checked(page, "rumours") == {str(jobs_id)}

    response = post_form(
        client,
        "/campaigns/autumn-in-the-markets-2/edit",
        form(name="Winter in the markets", organisations=[str(market.id)], target_trainings=""),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/campaigns/autumn-in-the-markets-2"
    with app.app_context():
        campaign = db.session.execute(
            db.select(Campaign).where(Campaign.slug == "autumn-in-the-markets-2")
        ).scalar_one()
        assert campaign.name == "Winter in the markets"
        assert campaign.rumours == [] and [o.id for o in campaign.organisations] == [market.id]
        assert campaign.target_trainings is None
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "campaign.update")
        ).scalar_one()
        assert entry.entity_id == campaign.id and entry.actor_id == coordinator.id
        assert set(entry.details["changed"]) == {
            "name",
            "rumours",
            "organisations",
            "target_trainings",
        }
    assert "Winter in the markets" in client.get("/campaigns/").get_data(as_text=True)


def test_inverted_period_shows_the_error_next_to_the_last_day_and_keeps_what_was_typed(
    app, client, create_user, create_organisation, create_rumour
):
    login(client, create_user(Role.COORDINATOR).email)
    jobs_id, _ = create_rumour("They take our jobs")
    create_rumour("They get all the benefits")
    market = create_organisation("Market traders")
    response = post_form(
        client,
        "/campaigns/new",
        form(
            starts_on="2030-05-10",
            ends_on="2030-05-01",
            target_encounters="-3",
            rumours=[str(jobs_id)],
            organisations=[str(market.id)],
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(
        r'id="ends_on"[^>]*>\s*<ul class="errors" id="ends_on-errors">\s*'
        r"<li>The last day cannot be before the first day.</li>",
        page,
    )
    assert re.search(r'id="target_encounters"[^>]*>\s*<ul class="errors"', page)
    assert 'value="Autumn in the markets"' in page
    assert 'value="2030-05-10"' in page and 'value="2030-05-01"' in page
    assert "Saturday mornings at the stalls." in page
    assert checked(page, "rumours") == {str(jobs_id)}
    assert checked(page, "organisations") == {str(market.id)}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Campaign)) == 0


def test_a_missing_name_and_dates_are_refused(client, create_user):
    login(client, create_user(Role.COORDINATOR).email)
    response = post_form(client, "/campaigns/new", form(name="", starts_on="", ends_on="soon"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("name", "starts_on", "ends_on"):
        assert f'id="{field}-errors"' in page
    assert 'value="soon"' in page


def test_list_shows_running_then_upcoming_then_ended(client, create_user, add_campaign):
    add_campaign("Last spring", starts_in=-120, days=30)
    add_campaign("Next winter", starts_in=40, days=30)
    add_campaign("This month", starts_in=-5, days=30)
    add_campaign("Long ago", starts_in=-400, days=30)
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/campaigns/").get_data(as_text=True)
    names = ["Running now", "This month", "Upcoming", "Next winter", "Ended", "Last spring"]
    positions = [page.index(n) for n in names + ["Long ago"]]
    assert positions == sorted(positions)
    assert "Upcoming" in client.get("/campaigns/next-winter").get_data(as_text=True)
    assert "Ended" in client.get("/campaigns/long-ago").get_data(as_text=True)


def test_agent_sees_campaigns_but_cannot_create_or_edit(app, client, create_user, add_campaign):
    slug = add_campaign("Autumn in the markets")
    login(client, create_user(Role.AGENT).email)
    assert 'href="/campaigns/"' in client.get("/").get_data(as_text=True)
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "Autumn in the markets" in listing and "New campaign" not in listing
    show = client.get(f"/campaigns/{slug}")
    assert show.status_code == 200
    assert f"/campaigns/{slug}/edit" not in show.get_data(as_text=True)
    # An agent's dashboard is their own figures, here within the campaign.
    assert f'href="/dashboard/?campaign={slug}"' in show.get_data(as_text=True)
    assert "My figures in this campaign" in show.get_data(as_text=True)
    assert client.get("/campaigns/new").status_code == 403
    assert client.get(f"/campaigns/{slug}/edit").status_code == 403
    assert post_form(client, "/campaigns/new", form(name="Sneaky")).status_code == 403
    assert post_form(client, f"/campaigns/{slug}/edit", form(name="Sneaky")).status_code == 403
    with app.app_context():
        assert db.session.scalars(db.select(Campaign.name)).all() == ["Autumn in the markets"]


def test_member_sees_only_the_campaigns_of_their_organisation(
    client, create_user, create_organisation, add_campaign
):
    own = create_organisation("Veïns del Raval")
    other = create_organisation("Escola del Poble-sec")
    mine = add_campaign("Raval markets", organisations=[own.id, other.id])
    theirs = add_campaign("Schools only", organisations=[other.id])
    add_campaign("Nobody yet")
    login(client, create_user(Role.MEMBER, organisation=own).email)
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "Raval markets" in listing
    assert "Schools only" not in listing and "Nobody yet" not in listing
    show = client.get(f"/campaigns/{mine}")
    assert show.status_code == 200
    page = show.get_data(as_text=True)
    assert f'href="/organisations/{own.id}"' in page
    assert f'href="/dashboard/?campaign={mine}"' in page
    assert "Escola del Poble-sec" in page and f'href="/organisations/{other.id}"' not in page
    assert client.get(f"/campaigns/{theirs}").status_code == 403
    assert client.get("/campaigns/nobody-yet").status_code == 403
    assert client.get(f"/campaigns/{mine}/edit").status_code == 403


def test_member_without_organisation_sees_none(client, create_user, add_campaign):
    add_campaign("Autumn in the markets")
    login(client, create_user(Role.MEMBER).email)
    page = client.get("/campaigns/").get_data(as_text=True)
    assert "Autumn in the markets" not in page
    assert "Your organisation takes part in no campaign yet." in page


def test_unknown_campaign_is_404_and_anonymous_visitors_log_in(client, create_user):
    response = client.get("/campaigns/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/campaigns/autumn").status_code == 302
    login(client, create_user(Role.COORDINATOR).email)
    assert client.get("/campaigns/no-such-campaign").status_code == 404
    assert client.get("/campaigns/no-such-campaign/edit").status_code == 404


def test_service_checks_the_rules_and_slugs(app, create_rumour):
    with app.app_context():
        new = create_campaign(
            actor=None, name="New", starts_on=TODAY, ends_on=TODAY, description="  "
        )
        accented = create_campaign(
            actor=None, name="Tardor als mercats · 2026", starts_on=TODAY, ends_on=TODAY
        )
        assert (new.slug, new.description) == ("new-campaign", "")
        assert accented.slug == "tardor-als-mercats-2026"
        with pytest.raises(DomainError) as error:
            update_campaign(new, actor=None, ends_on=TODAY - timedelta(days=1))
        assert error.value.field == "ends_on"
        with pytest.raises(DomainError) as error:
            update_campaign(new, actor=None, target_encounters=-1)
        assert error.value.field == "target_encounters"
        with pytest.raises(DomainError) as error:
            update_campaign(new, actor=None, rumour_ids=[123456])
        assert error.value.field == "rumours"
        db.session.rollback()
        assert db.session.scalars(db.select(Campaign.slug).order_by(Campaign.slug)).all() == []


def test_inactive_organisations_are_offered_only_when_already_taking_part(
    app, client, create_user, create_organisation, add_campaign
):
    gone = create_organisation("Closed association")
    with app.app_context():
        db.session.get(Organisation, gone.id).active = False
        db.session.commit()
    slug = add_campaign("Autumn", organisations=[gone.id])
    login(client, create_user(Role.COORDINATOR).email)
    assert "Closed association" not in client.get("/campaigns/new").get_data(as_text=True)
    page = client.get(f"/campaigns/{slug}/edit").get_data(as_text=True)
    assert "Closed association (inactive)" in page
    assert checked(page, "organisations") == {str(gone.id)}


def campaign_page(client, slug: str) -> str:
    return client.get(f"/campaigns/{slug}").get_data(as_text=True)


def test_a_running_campaign_ends_today_and_keeps_its_figures(
    app, client, create_user, add_campaign
):
    slug = add_campaign("Autumn markets", starts_in=-10, days=30)
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get(f"/campaigns/{slug}")
    assert "End the campaign today" in page.get_data(as_text=True)
    ended = client.post(f"/campaigns/{slug}/end", data={"csrf_token": csrf_from(page)})
    assert ended.status_code == 302
    response = client.get(f"/campaigns/{slug}")
    page = response.get_data(as_text=True)
    assert "Today is now the campaign&#39;s last day." in page
    assert "End the campaign today" not in page
    with app.app_context():
        campaign = db.session.scalars(db.select(Campaign).where(Campaign.slug == slug)).one()
        assert campaign.ends_on == city_today()
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "campaign.end")
        ).one()
        assert entry.details["planned_end"] == (TODAY + timedelta(days=20)).isoformat()
    # Ending twice is refused with a message, nothing changes.
    again = client.post(f"/campaigns/{slug}/end", data={"csrf_token": csrf_from(response)})
    assert "already ended" in client.get(again.location).get_data(as_text=True)


def test_a_campaign_without_conversations_can_be_deleted_one_with_them_cannot(
    app, client, create_user, add_campaign, create_district
):
    mistake = add_campaign("Typo campaign", starts_in=5)
    kept = add_campaign("Spring fair", starts_in=-40, days=10)
    district = create_district()
    agent = create_user(Role.AGENT)
    with app.app_context():
        campaign = db.session.scalars(db.select(Campaign).where(Campaign.slug == kept)).one()
        db.session.add(
            Encounter(
                client_uuid=uuid.uuid4(),
                content_hash="c" * 64,
                agent_id=agent.id,
                occurred_at=datetime.now(UTC) - timedelta(days=35),
                district_id=district.id,
                setting=Setting.MARKET,
                outcome=Outcome.OPEN,
                campaign_id=campaign.id,
            )
        )
        db.session.commit()
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get(f"/campaigns/{mistake}")
    assert "Delete this campaign" in page.get_data(as_text=True)
    token = csrf_from(page)
    deleted = client.post(f"/campaigns/{mistake}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302 and deleted.location.endswith("/campaigns/")
    assert client.get(f"/campaigns/{mistake}").status_code == 404
    page = campaign_page(client, kept)
    assert "Delete this campaign" not in page
    refused = client.post(f"/campaigns/{kept}/delete", data={"csrf_token": token})
    assert "1 conversations were logged in this campaign" in client.get(refused.location).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalars(db.select(Campaign.slug)).all() == [kept]
        assert (
            db.session.scalars(
                db.select(AuditEntry.details).where(AuditEntry.action == "campaign.delete")
            ).one()["name"]
            == "Typo campaign"
        )


def test_agents_cannot_end_or_delete_campaigns(client, create_user, add_campaign):
    slug = add_campaign("Autumn markets")
    login(client, create_user(Role.AGENT).email)
    page = client.get(f"/campaigns/{slug}")
    assert "End the campaign today" not in page.get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/campaigns/{slug}/end", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/campaigns/{slug}/delete", data={"csrf_token": token}).status_code == 403
