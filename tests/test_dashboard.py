"""The dashboard and `/api/v1/stats`: the figures a user sees equal counts straight
from the encounter rows, each role sees only its scope, and bad filters get a clear
answer rather than a 500."""

from datetime import date, timedelta

from sqlalchemy import func, select

from rumours.extensions import db
from rumours.models import (
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Membership,
    Organisation,
    Outcome,
    Rebuttal,
    Role,
    Rumour,
    User,
)
from rumours.reports.filters import add_months, month_end
from rumours.rules.localtime import city_today

from .helpers import login

DEMO = "demo-password-2026"




def year(app) -> dict:
    with app.app_context():
        today = city_today()
    return {"from": add_months(today, -11).isoformat(), "to": month_end(today).isoformat()}


def raw_count(*conditions, rumour_id=None) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(Encounter.people_reached), 0))
    if rumour_id is not None:
        query = query.join(EncounterRumour).where(EncounterRumour.rumour_id == rumour_id)
    return tuple(db.session.execute(query.where(*conditions)).one())


def test_stats_api_equals_counts_from_the_rows(app, client, demo):
    login(client, "coordinator@example.org", DEMO)
    period = year(app)
    start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    with app.app_context():
        district = db.session.scalar(select(District).where(District.slug == "ciutat-vella"))
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "autumn-markets-2026"))
        rumour = db.session.scalar(
            select(Rumour).join(EncounterRumour).group_by(Rumour.id).order_by(func.count().desc())
        )
        in_period = Encounter.local_day.between(start, end)
        everything = raw_count(in_period)
        hostile = raw_count(in_period, Encounter.outcome == Outcome.HOSTILE)[0]
        in_district = raw_count(in_period, Encounter.district_id == district.id)
        in_campaign = raw_count(
            Encounter.local_day.between(campaign.starts_on, campaign.ends_on),
            Encounter.campaign_id == campaign.id,
        )
        about_rumour = raw_count(in_period, rumour_id=rumour.id)
        rumour_slug = rumour.slug

    response = client.get("/api/v1/stats", query_string=period)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["filters"]["from"] == period["from"]
    assert body["conversations"]["encounters"] == everything[0]
    assert body["conversations"]["people_reached"] == everything[1]
    assert body["conversations"]["outcomes"]["hostile"] == hostile
    assert {d["district"]: d["encounters"] for d in body["districts"]}["ciutat-vella"] == (
        in_district[0]
    )
    assert sum(w["encounters"] for w in body["weeks"]) == everything[0]

    body = client.get("/api/v1/stats", query_string={**period, "district": "ciutat-vella"})
    assert body.get_json()["conversations"]["encounters"] == in_district[0]
    body = client.get("/api/v1/stats", query_string={"campaign": "autumn-markets-2026"})
    campaign_body = body.get_json()
    assert campaign_body["conversations"]["encounters"] == in_campaign[0]
    assert campaign_body["conversations"]["people_reached"] == in_campaign[1]
    assert campaign_body["campaigns"][0]["progress"]["encounters"]["value"] == in_campaign[0]
    body = client.get("/api/v1/stats", query_string={**period, "rumour": rumour_slug})
    assert body.get_json()["conversations"]["encounters"] == about_rumour[0]


def test_stats_api_hides_small_counts(app, client, demo):
    login(client, "coordinator@example.org", DEMO)
    # A single day in one district: a few conversations at most.
    with app.app_context():
        day, district_id = db.session.execute(
            select(Encounter.local_day, Encounter.district_id)
            .group_by(Encounter.local_day, Encounter.district_id)
            .having(func.count() < 10)
            .limit(1)
        ).one()
        slug = db.session.get(District, district_id).slug
    body = client.get(
        "/api/v1/stats", query_string={"from": day.isoformat(), "to": day.isoformat(),
                                       "district": slug}
    ).get_json()
    assert body["suppression"]["threshold"] == 10
    assert body["conversations"]["encounters"] is None
    assert all(v is None for v in body["conversations"]["outcomes"].values())


BAD_FILTERS = [
    ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"district": "atlantis"}, "district"),
    ({"campaign": "no-such-campaign"}, "campaign"),
    ({"rumour": "<script>"}, "rumour"),
    ({"from": "2001-01-01", "to": "2026-01-01"}, "to"),
    ({"from": "1990-01-01"}, "from"),
]


def test_bad_filters_get_a_400_naming_the_field(app, client, demo):
    login(client, "coordinator@example.org", DEMO)
    for query, field in BAD_FILTERS:
        response = client.get("/api/v1/stats", query_string=query)
        assert response.status_code == 400, query
        assert field in response.get_json()["fields"], query
        page = client.get("/dashboard/", query_string=query)
        assert page.status_code == 400, query
        assert f'id="filter-{field}-errors"' in page.get_data(as_text=True), query


def test_each_role_sees_only_its_scope(app, client, demo):
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == "member@example.org"))
        own = db.session.scalar(
            select(Organisation).join(Membership).where(Membership.user_id == member.id)
        )
        other = db.session.scalar(select(Organisation).where(Organisation.id != own.id))
        own_slug, own_id, other_slug = own.slug, own.id, other.slug
        period = year(app)
        own_count = raw_count(
            Encounter.local_day.between(date.fromisoformat(period["from"]),
                                        date.fromisoformat(period["to"])),
            Encounter.organisation_id == own_id,
        )[0]

    assert client.get("/api/v1/stats").status_code == 401
    assert client.get("/dashboard/").status_code == 302

    login(client, "member@example.org", DEMO)
    body = client.get("/api/v1/stats", query_string=period).get_json()
    assert body["filters"]["organisation"] == own_slug
    assert body["conversations"]["encounters"] == (own_count if own_count >= 10 else None)
    # Their organisation's own size is published as it is, however small: it counts the
    # network's members, not the people agents talked to (rules.disclosure).
    assert body["network"]["agents_by_status"]
    assert None not in body["network"]["agents_by_status"].values()
    assert None not in body["training"].values()
    assert client.get("/api/v1/stats", query_string={"organisation": other_slug}).status_code == 403
    assert client.get("/dashboard/", query_string={"organisation": other_slug}).status_code == 403
    page = client.get("/dashboard/").get_data(as_text=True)
    assert own.name in page
    assert f'value="{other_slug}"' not in page
    client.post("/auth/logout", data={"csrf_token": _token(client)})

    login(client, "agent@example.org", DEMO)
    assert client.get("/api/v1/stats").status_code == 403
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "My figures" in page.get_data(as_text=True)


def _token(client) -> str:
    from .helpers import csrf_from

    return csrf_from(client.get("/"))


def test_the_dashboard_shows_the_views_numbers(app, client, demo):
    login(client, "coordinator@example.org", DEMO)
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "autumn-markets-2026"))
        count = raw_count(
            Encounter.local_day.between(campaign.starts_on, campaign.ends_on),
            Encounter.campaign_id == campaign.id,
        )[0]
    page = client.get("/dashboard/", query_string={"campaign": "autumn-markets-2026"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"{count:,}" in html
    for heading in ("Campaigns", "Conversations", "Rising rumours", "Which answers open minds",
                    "Network and training"):
        assert heading in html
    # The view can be shared: the link keeps the filters.
    assert "campaign=autumn-markets-2026" in html


def test_the_dashboard_names_rumours_in_the_readers_language(app, client, demo):
    """A coordinator reading in Catalan or Spanish sees each rumour's claim in that
    language where the catalogue has it translated: in the rumours heard most, the
    answers table, the rumour filter and a rumour's view; in English, the source claim.
    Exports name them the same way in their filter."""
    login(client, "coordinator@example.org", DEMO)
    with app.app_context():
        rumour = db.session.scalar(
            select(Rumour).join(EncounterRumour).group_by(Rumour.id).order_by(func.count().desc())
        )
        claims = {t.language: t.claim for t in rumour.translations}
        source, slug = rumour.claim, rumour.slug
    assert {"ca", "es"} <= set(claims)
    period = year(app)
    for language, expected in (("ca", claims["ca"]), ("es", claims["es"]), ("en", source)):
        others = [c for c in (source, claims["ca"], claims["es"]) if c != expected]
        html = client.get(
            "/dashboard/", query_string={**period, "lang": language}
        ).get_data(as_text=True)
        assert expected in html
        option = f'<option value="{slug}" >{expected}</option>'
        assert option in html or f'<option value="{slug}">{expected}</option>' in html
        for other in others:
            assert other not in html, (language, other)
        one = client.get(
            "/dashboard/", query_string={**period, "rumour": slug, "lang": language}
        ).get_data(as_text=True)
        assert f"“{expected}”" in one
        export = client.get("/exports/", query_string={"lang": language}).get_data(as_text=True)
        assert expected in export and all(other not in export for other in others)


def test_the_answers_table_names_each_rebuttals_language_in_words(app, client, demo):
    """The outcomes per rebuttal version say which language the version was in as a
    word in the reader's language ("versió 1, anglès"), not as a code ("en")."""
    from babel import Locale

    with app.app_context():
        languages = set(db.session.scalars(
            select(Rebuttal.language)
            .join(EncounterRumour, EncounterRumour.rebuttal_id == Rebuttal.id)
            .distinct()
        ))
    assert languages
    login(client, "coordinator@example.org", DEMO)
    for reader in ("ca", "es", "en"):
        html = client.get(
            "/dashboard/", query_string={**year(app), "lang": reader}
        ).get_data(as_text=True)
        for code in languages:
            name = Locale.parse(code).get_display_name(reader)
            assert f", {name}</span>" in html, (reader, name)
            assert f", {code}</span>" not in html, (reader, code)


def test_an_agent_sees_only_their_own_figures(app, client, demo):
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
        today = city_today()
        mine = raw_count(
            Encounter.agent_id == agent.id,
            Encounter.local_day.between(add_months(today, -2), month_end(today)),
        )[0]
        assert mine < db.session.scalar(select(func.count()).select_from(Encounter))
    login(client, "agent@example.org", DEMO)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'<span class="stat-value">{mine:,}</span>' in html


def test_an_agents_own_rumours_are_named_in_their_language(app, client, demo):
    """An agent's own dashboard names the rumours they heard in the language they read."""
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
        heard = db.session.scalars(
            select(Rumour).join(EncounterRumour).join(Encounter)
            .where(Encounter.agent_id == agent.id).distinct()
        ).all()
        wordings = [
            (r.claim, {t.language: t.claim for t in r.translations}) for r in heard
        ]
    translated = [(source, claims) for source, claims in wordings if "es" in claims]
    assert translated
    login(client, "agent@example.org", DEMO)
    spanish = client.get("/dashboard/", query_string={"lang": "es"}).get_data(as_text=True)
    english = client.get("/dashboard/", query_string={"lang": "en"}).get_data(as_text=True)
    shown = [(source, claims) for source, claims in translated if source in english]
    assert shown  # among the rumours the agent's chart shows
    for source, claims in shown:
        assert claims["es"] in spanish and source not in spanish


def test_previous_period_keeps_whole_months():
    from rumours.reports.filters import StatsFilter

    quarter = StatsFilter(start=date(2026, 9, 1), end=date(2026, 11, 30))
    assert quarter.previous().start == date(2026, 6, 1)
    assert quarter.previous().end == date(2026, 8, 31)
    week = StatsFilter(start=date(2026, 11, 10), end=date(2026, 11, 16))
    assert week.previous().start == date(2026, 11, 3)
    assert week.previous().end == date(2026, 11, 9)
    assert week.previous().days == week.days == 7
    assert timedelta(days=1) + week.previous().end == week.start


def test_the_campaign_page_shows_progress_against_its_targets(app, client, demo):
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "autumn-markets-2026"))
        count = raw_count(
            Encounter.local_day.between(campaign.starts_on, campaign.ends_on),
            Encounter.campaign_id == campaign.id,
        )[0]
        target = campaign.target_encounters
    login(client, "coordinator@example.org", DEMO)
    html = client.get("/campaigns/autumn-markets-2026").get_data(as_text=True)
    assert "Progress against the targets" in html
    assert f"{count:,}" in html and f"{target:,}" in html


def test_training_figures_equal_counts_from_the_rows(app, demo):
    from datetime import UTC, datetime

    from rumours.models import (
        AgentProfile,
        AgentStatus,
        Enrolment,
        TrainingKind,
        TrainingSession,
        TrainingStatus,
    )
    from rumours.reports.filters import StatsFilter
    from rumours.reports.people import training

    with app.app_context():
        organisation = db.session.scalar(
            select(Organisation).join(Membership).group_by(Organisation.id)
            .order_by(func.count().desc())
        )
        view = StatsFilter(start=date(2020, 1, 1), end=date(2030, 12, 31))
        mine = StatsFilter(start=view.start, end=view.end, organisation_id=organisation.id)
        now = datetime.now(UTC)
        # Two agents who are not trained: one attended only a refresher, one was enrolled
        # in a basic training and did not come.
        sessions = {
            kind: db.session.scalar(select(TrainingSession).where(TrainingSession.kind == kind))
            for kind in (TrainingKind.BASIC, TrainingKind.REFRESHER)
        }
        untrained = select(AgentProfile.user_id).where(
            ~AgentProfile.user_id.in_(select(Enrolment.agent_id))
        ).limit(2)
        for agent_id, (kind, came) in zip(
            db.session.scalars(untrained).all(),
            [(TrainingKind.REFRESHER, True), (TrainingKind.BASIC, False)],
            strict=True,
        ):
            db.session.add(Enrolment(session_id=sessions[kind].id, agent_id=agent_id,
                                     attended=came))
        db.session.commit()
        held = select(TrainingSession.id).where(
            TrainingSession.status == TrainingStatus.SCHEDULED, TrainingSession.ends_at <= now
        )
        everyone = training(view, now)
        assert everyone.sessions == len(db.session.scalars(held).all())
        assert everyone.certified == db.session.scalar(
            select(func.count()).select_from(AgentProfile)
            .where(AgentProfile.status == AgentStatus.CERTIFIED)
        )
        members = select(Membership.user_id).where(Membership.organisation_id == organisation.id)
        theirs = training(mine, now)
        assert theirs.sessions == db.session.scalar(
            select(func.count(func.distinct(Enrolment.session_id))).where(
                Enrolment.session_id.in_(held),
                Enrolment.attended.is_(True),
                Enrolment.agent_id.in_(members),
            )
        )
        assert theirs.signed_up == db.session.scalar(
            select(func.count()).select_from(AgentProfile)
            .where(AgentProfile.user_id.in_(members))
        )
        assert 0 < theirs.sessions < everyone.sessions
        # Trained: agents who attended a basic training (an absence or another kind of
        # session does not count), each once however many they attended.
        attended_basic = (
            select(func.count(func.distinct(Enrolment.agent_id)))
            .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
            .join(AgentProfile, AgentProfile.user_id == Enrolment.agent_id)
            .where(Enrolment.attended.is_(True), TrainingSession.kind == TrainingKind.BASIC)
        )
        assert everyone.trained == db.session.scalar(attended_basic)
        assert theirs.trained == db.session.scalar(
            attended_basic.where(Enrolment.agent_id.in_(members))
        )
        assert 0 < theirs.trained < everyone.trained < everyone.signed_up


def test_home_pages_count_the_last_30_days_like_the_dashboard(app, client, demo):
    with app.app_context():
        today = city_today()
        member = db.session.scalar(select(User).where(User.email == "member@example.org"))
        own = db.session.scalar(
            select(Organisation.id).join(Membership).where(Membership.user_id == member.id)
        )
        last_30 = Encounter.local_day.between(today - timedelta(days=29), today)
        network = raw_count(last_30)[0]
        theirs = raw_count(last_30, Encounter.organisation_id == own)[0]
    assert network > 0
    login(client, "coordinator@example.org", DEMO)
    html = client.get("/").get_data(as_text=True)
    assert f'<span class="stat-value">{network:,}</span>' in html
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    login(client, "member@example.org", DEMO)
    html = client.get("/").get_data(as_text=True)
    assert f'<span class="stat-value">{theirs:,}</span>' in html


def test_rising_rumours_compare_with_the_period_before(app, demo):
    from rumours.reports.dashboard import RISING_MINIMUM, RISING_RATIO, rising_rumours
    from rumours.reports.filters import StatsFilter
    from rumours.reports.stats import raw_figures

    with app.app_context():
        today = city_today()
        view = StatsFilter(start=add_months(today, -2), end=month_end(today))
        now = raw_figures(view, ("district", "rumour"))
        before = raw_figures(view.previous(), ("district", "rumour"))
        expected = {
            key
            for key, value in now.items()
            if value.encounters >= RISING_MINIMUM
            and value.encounters >= RISING_RATIO * max(before.get(key).encounters if key in before
                                                       else 0, 1)
        }
        found = rising_rumours(view, limit=1000)
        assert found, "the demo has rumours rising somewhere"
        assert {(r.district.id, r.rumour.id) for r in found} == expected
        for r in found:
            assert r.now == now[(r.district.id, r.rumour.id)].encounters


def test_a_new_network_with_no_data_yet_gets_calm_empty_pages(app, client, create_user):
    """A fresh deployment: one coordinator, no districts, campaigns or conversations."""
    coordinator = create_user(Role.COORDINATOR)
    login(client, coordinator.email)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "No conversations in this view." in page.get_data(as_text=True)
    body = client.get("/api/v1/stats").get_json()
    assert body["conversations"]["encounters"] == 0
    assert body["districts"] == [] and body["campaigns"] == []
    assert client.get("/exports/").status_code == 200
    for fmt in ("csv", "xlsx", "json", "zip"):
        assert client.get(f"/exports/indicators.{fmt}").status_code == 200, fmt
    raw = client.get("/exports/encounters.csv").get_data(as_text=True)
    assert raw.startswith("\ufeffencounter,")
