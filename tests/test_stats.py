"""The summary tables and the statistics read from them: they always equal a count
straight from the encounter rows, whatever was written, corrected, deleted or erased,
and for any filter."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from rumours import summaries
from rumours.extensions import db
from rumours.models import (
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Organisation,
    Rumour,
    RumourStatus,
    User,
    encounter_stats_month,
)
from rumours.reports.filters import StatsFilter, _units, add_months
from rumours.reports.geography import by_neighbourhood
from rumours.reports.stats import Ask, figures, figures_many, raw_figures, total
from rumours.services.agents import erase_agent
from rumours.services.encounters import (
    EncounterData,
    delete_encounter,
    log_encounter,
    update_encounter,
)

from .helpers import query_plan, statements_sent


def seed(runner) -> None:
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def no_mismatches() -> dict[str, int]:
    differences = summaries.mismatches(db.session.connection())
    assert set(differences) == {s.name for s in summaries.SUMMARIES}
    return {name: n for name, n in differences.items() if n}


def by_neighbourhood_ids(filters: StatsFilter) -> list[tuple[str, int]]:
    """The dashboard map's counts, by neighbourhood slug."""
    return [(n.slug, count) for n, count in by_neighbourhood(filters)]


def raw_neighbourhood_counts(filters: StatsFilter) -> dict[str, int]:
    """Conversations per neighbourhood straight from the rows (every filter, rumour too)."""
    from rumours.reports.raw import encounter_conditions

    e = Encounter.__table__.c
    return dict(
        db.session.execute(
            select(Neighbourhood.slug, func.count())
            .select_from(
                Encounter.__table__.join(Neighbourhood, Neighbourhood.id == e.neighbourhood_id)
            )
            .where(e.excluded_at.is_(None), *encounter_conditions(filters))
            .group_by(Neighbourhood.slug)
        ).all()
    )


def year_filter(**ids) -> StatsFilter:
    today = datetime.now(UTC).date()
    return StatsFilter(start=today - timedelta(days=400), end=today + timedelta(days=1), **ids)


def test_the_demo_seed_fills_the_summaries_with_the_raw_counts(app, runner):
    seed(runner)
    with app.app_context():
        assert no_mismatches() == {}
        encounters = db.session.scalar(select(func.count()).select_from(Encounter))
        assert encounters == 8000
        assert total(year_filter()).encounters == 8000


def test_an_assignment_that_changes_nothing_leaves_the_summaries_equal(app, runner):
    """Assigning a value an encounter already has puts it among the session's changed
    objects without changing it: a flush then must neither add it again nor leave it out
    (it was added back without having been taken away: counted twice)."""
    seed(runner)
    with app.app_context():
        encounter = db.session.scalar(
            select(Encounter).where(Encounter.excluded_at.is_(None)).order_by(Encounter.id)
        )
        encounter.people_reached = encounter.people_reached
        db.session.flush()
        assert no_mismatches() == {}


def log_two_rumours() -> tuple[User, Encounter, EncounterData, list[str]]:
    """The demo agent logs an entry naming the first two published rumours (committed):
    the agent, the entry, the data it was logged with, and the first three rumours."""
    agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
    rumours = list(db.session.scalars(
        select(Rumour.slug).where(Rumour.status == RumourStatus.PUBLISHED)
        .order_by(Rumour.id).limit(3)
    ))
    data = EncounterData(
        occurred_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2),
        district="ciutat-vella", setting="market", rumours=rumours[:2],
        people_reached=3, outcome="open",
    )
    encounter, _ = log_encounter(actor=agent, client_uuid=uuid.uuid4(), data=data)
    db.session.commit()
    return agent, encounter, data, rumours


def test_a_correction_that_changes_nothing_leaves_the_summaries_equal(app, runner):
    """The same correction sent twice at the same moment (the second changes nothing)."""
    seed(runner)
    with app.app_context():
        agent, encounter, data, _rumours = log_two_rumours()
        now = datetime.now(UTC)
        for _ in range(2):
            update_encounter(encounter, actor=agent, data=data, now=now)
            db.session.commit()
            assert no_mismatches() == {}


def test_a_correction_of_its_rumours_alone_leaves_the_summaries_equal(app, runner):
    """An agent corrects only the rumours of an entry, loaded afresh as the edit page
    loads it: every other field is given the value it already has (counted twice before
    the listeners took the same encounters on both sides of a flush)."""
    seed(runner)
    with app.app_context():
        agent, encounter, data, rumours = log_two_rumours()
        encounter_id, agent_id = encounter.id, agent.id
    with app.app_context():
        update_encounter(
            db.session.get(Encounter, encounter_id),
            actor=db.session.get(User, agent_id),
            data=replace(data, rumours=rumours[2:3]),
        )
        db.session.commit()
        assert no_mismatches() == {}


def test_summaries_follow_every_write_correction_deletion_and_erasure(app, runner):
    seed(runner)
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
        coordinator = db.session.scalar(
            select(User).where(User.email == "coordinator@example.org")
        )
        rumours = list(
            db.session.scalars(
                select(Rumour.slug).where(Rumour.status == RumourStatus.PUBLISHED).limit(3)
            )
        )
        before = total(year_filter())
        now = datetime.now(UTC)

        def data(**overrides) -> EncounterData:
            values = dict(
                occurred_at=now - timedelta(hours=2),
                district="ciutat-vella",
                setting="market",
                rumours=rumours[:2],
                people_reached=3,
                outcome="doubt_sown",
                campaign="autumn-markets-2026",
            )
            values.update(overrides)
            return EncounterData(**values)

        raval, sant_marti_neighbourhood = (
            db.session.scalar(
                select(Neighbourhood.slug).join(District).where(District.slug == slug)
                .order_by(Neighbourhood.id)
            )
            for slug in ("ciutat-vella", "sant-marti")
        )
        map_before = dict(by_neighbourhood_ids(year_filter()))
        first, created = log_encounter(
            actor=agent, client_uuid=uuid.uuid4(), data=data(neighbourhood=raval)
        )
        assert created
        second, _ = log_encounter(
            actor=agent,
            client_uuid=uuid.uuid4(),
            data=data(district="gracia", setting="bar", outcome="hostile", people_reached=1),
        )
        replay_uuid = uuid.uuid4()
        log_encounter(actor=agent, client_uuid=replay_uuid, data=data(outcome="open"))
        db.session.commit()
        assert no_mismatches() == {}
        after = total(year_filter())
        assert after.encounters == before.encounters + 3
        assert after.people == before.people + 3 + 1 + 3
        assert after.outcomes["hostile"] == before.outcomes["hostile"] + 1

        # A replay from the phone's outbox changes nothing.
        _, created = log_encounter(actor=agent, client_uuid=replay_uuid, data=data(outcome="open"))
        db.session.commit()
        assert not created
        assert total(year_filter()).encounters == after.encounters

        # A correction moves the counts: another day, district, rumours and outcome.
        update_encounter(
            first,
            actor=agent,
            data=data(
                occurred_at=now - timedelta(days=1, hours=3),
                district="sant-marti",
                neighbourhood=sant_marti_neighbourhood,
                rumours=rumours[2:3],
                outcome="open",
                people_reached=8,
            ),
        )
        db.session.commit()
        assert no_mismatches() == {}
        assert total(year_filter()).people == after.people + 5
        # The map follows the correction from one neighbourhood to the other.
        map_after = dict(by_neighbourhood_ids(year_filter()))
        moved = {slug: map_after[slug] - map_before[slug] for slug in map_after
                 if map_after[slug] != map_before[slug]}
        assert moved == {sant_marti_neighbourhood: 1}

        delete_encounter(second, actor=agent)
        db.session.commit()
        assert no_mismatches() == {}
        assert total(year_filter()).encounters == after.encounters - 1

        # Erasure removes the person; their conversations stay in the statistics.
        erase_agent(agent, actor=coordinator)
        db.session.commit()
        assert no_mismatches() == {}
        assert total(year_filter()).encounters == after.encounters - 1


def test_a_failed_write_leaves_the_summaries_alone(app, runner):
    seed(runner)
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
        rumour = db.session.scalar(
            select(Rumour.slug).where(Rumour.status == RumourStatus.PUBLISHED).limit(1)
        )
        key = uuid.uuid4()
        data = EncounterData(
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
            district="ciutat-vella",
            setting="street",
            rumours=[rumour],
            people_reached=1,
            outcome="open",
        )
        log_encounter(actor=agent, client_uuid=key, data=data)
        db.session.commit()
        # Two app servers racing: the second insert of the same key fails inside its
        # savepoint and is answered from the stored row.
        encounter, created = log_encounter(actor=agent, client_uuid=key, data=data)
        assert not created
        db.session.commit()
        assert no_mismatches() == {}


def test_the_rebuild_command_repairs_summaries(app, runner):
    seed(runner)
    with app.app_context():
        db.session.execute(delete(encounter_stats_month).where(encounter_stats_month.c.district_id
                                                               == db.session.scalar(
                                                                   select(func.min(District.id)))))
        db.session.commit()
    check = runner.invoke(args=["stats", "check"])
    assert check.exit_code != 0
    assert "encounter_stats_month:" in check.output and "rows differ" in check.output
    rebuilt = runner.invoke(args=["stats", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    check = runner.invoke(args=["stats", "check"])
    assert check.exit_code == 0, check.output
    assert "equal the raw rows" in check.output


def test_whole_months_and_weeks_inside_a_period():
    assert _units(date(2026, 1, 1), date(2026, 3, 31), "month") == (
        date(2026, 1, 1),
        date(2026, 3, 1),
    )
    assert _units(date(2026, 1, 2), date(2026, 3, 30), "month") == (
        date(2026, 2, 1),
        date(2026, 2, 1),
    )
    assert _units(date(2026, 1, 2), date(2026, 2, 27), "month") is None
    # 2026-11-02 is a Monday, 2026-11-29 a Sunday.
    assert _units(date(2026, 11, 2), date(2026, 11, 29), "week") == (
        date(2026, 11, 2),
        date(2026, 11, 23),
    )
    assert _units(date(2026, 11, 3), date(2026, 11, 28), "week") == (
        date(2026, 11, 9),
        date(2026, 11, 16),
    )
    assert _units(date(2026, 11, 3), date(2026, 11, 8), "week") is None


def test_a_pages_breakdowns_read_in_one_statement_equal_the_raw_rows(app, runner):
    """figures_many (what a dashboard page reads at once): periods of whole months, of
    months with edges of whole weeks and days, a week and a month bucket, per rumour,
    breakdowns of one view read together and added up, and one ask under two names;
    each name's figures its own."""
    with app.app_context():
        seed(runner)
        db.session.remove()
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.starts_on.desc()))
        district_id = db.session.scalar(select(District.id).order_by(District.id))
        today = datetime.now(UTC).date()
        year = StatsFilter(start=today.replace(day=1) - timedelta(days=330), end=today)
        # From the 6th of a month to the 20th of another: edges of whole weeks and days.
        ragged = StatsFilter(
            start=add_months(today, -9) + timedelta(days=5),
            end=add_months(today, -1) + timedelta(days=19),
        )
        in_campaign = StatsFilter(
            start=campaign.starts_on, end=campaign.ends_on, campaign_id=campaign.id
        )
        asks = {
            "year": Ask(year),
            "ragged": Ask(ragged),
            "ragged districts": Ask(ragged, ("district",)),
            "ragged weeks": Ask(ragged, (), "week"),
            "ragged months": Ask(ragged, ("district",), "month"),
            "ragged rumours": Ask(ragged, ("rumour", "rebuttal")),
            # Read with "ragged rumours" (by district, rumour and rebuttal), each added up
            # to its own breakdown.
            "ragged rumours by district": Ask(ragged, ("district", "rumour"),
                                              measures=("encounters",)),
            "district's rumours": Ask(
                StatsFilter(ragged.start, ragged.end, district_id=district_id),
                ("district", "rumour"),
            ),
            "campaign": Ask(in_campaign),
            "campaign again": Ask(in_campaign),
            "ragged neighbourhoods": Ask(ragged, ("neighbourhood",)),
            "campaign's neighbourhoods": Ask(in_campaign, ("neighbourhood",), "month"),
        }
        with statements_sent() as sent:
            got = figures_many(asks)
        statements = _reads(sent)
        assert len(statements) == 1
        for name, ask in asks.items():
            expected = raw_figures(ask.filters, ask.by, ask.bucket)
            assert expected, name
            if ask.measures:
                assert {k: v.encounters for k, v in got[name].items()} == {
                    k: v.encounters for k, v in expected.items()
                }, name
                continue
            assert {k: v.as_list() for k, v in got[name].items()} == {
                k: v.as_list() for k, v in expected.items()
            }, name
        got["campaign"][()].encounters += 1
        assert got["campaign again"][()].encounters == got["campaign"][()].encounters - 1


def _reads(sent: list[tuple]) -> list[str]:
    """The statements `statements_sent` saw, but PostgreSQL's `SET LOCAL` of how to plan
    them (a setting, not a read)."""
    return [statement for statement, _ in sent if not statement.startswith("SET LOCAL")]


BREAKDOWNS = [
    (), ("district",), ("rumour",), ("organisation", "campaign"), ("rebuttal",),
    ("neighbourhood",), ("district", "neighbourhood"), ("neighbourhood", "rumour"),
]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_figures_equal_counts_from_the_raw_rows_for_random_filters(app, runner, data):
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(Encounter)):
            seed(runner)
            db.session.remove()
        ids = {
            name: [None, *db.session.scalars(select(model.id).order_by(model.id))]
            for name, model in (
                ("campaign", Campaign),
                ("district", District),
                ("organisation", Organisation),
                ("rumour", Rumour),
            )
        }
        first_day, last_day = db.session.execute(
            select(func.min(Encounter.local_day), func.max(Encounter.local_day))
        ).one()
    start = data.draw(
        st.dates(min_value=first_day - timedelta(days=10), max_value=last_day), label="start"
    )
    length = data.draw(st.integers(min_value=0, max_value=420), label="days")
    chosen = {
        f"{name}_id": data.draw(st.sampled_from(values), label=name)
        # Fewer filters at once keep most views non-empty.
        if data.draw(st.booleans(), label=f"filter by {name}") else None
        for name, values in ids.items()
    }
    filters = StatsFilter(start=start, end=start + timedelta(days=length), **chosen)
    by = data.draw(st.sampled_from(BREAKDOWNS), label="by")
    # Neighbourhoods are kept with district, organisation and campaign, and a rumour's
    # with district only: other combinations are not summarised (the map reads the rows).
    needed = set(by) | {name[: -len("_id")] for name, value in chosen.items() if value}
    if "neighbourhood" in needed:
        kept = {"district", "neighbourhood", "organisation", "campaign"}
        if needed & {"rumour", "rebuttal"}:
            kept = {"district", "neighbourhood", "rumour"}
        assume(needed <= kept)
    bucket = data.draw(st.sampled_from([None, "week", "month"]), label="bucket")
    with app.app_context():
        expected = raw_figures(filters, by, bucket)
        got = figures(filters, by, bucket)
    assert {k: v.as_list() for k, v in got.items() if v.encounters} == {
        k: v.as_list() for k, v in expected.items()
    }


def test_many_new_encounters_in_one_flush_are_counted_from_memory_exactly(app, runner):
    """A bulk of ORM inserts (several per key, across a month's edge, with and without an
    organisation, campaign or rebuttal, one excluded from the start, one rolled back in
    its savepoint) leaves the summaries equal to a fresh count of the rows."""
    seed(runner)
    with app.app_context():
        districts = list(db.session.scalars(select(District.id).limit(2)))
        rumour_ids = list(
            db.session.scalars(
                select(Rumour.id).where(Rumour.status == RumourStatus.PUBLISHED).limit(3)
            )
        )
        organisation = db.session.scalar(select(Organisation.id).limit(1))
        campaign = db.session.scalar(select(Campaign.id).limit(1))
        before = total(year_filter()).encounters
        month_edge = datetime.now(UTC).replace(day=1, hour=9, minute=0, second=0, microsecond=0)
        for i in range(24):
            encounter = Encounter(
                client_uuid=uuid.uuid4(),
                content_hash="0" * 64,
                occurred_at=month_edge - timedelta(days=i % 3, hours=i),
                district_id=districts[i % 2],
                organisation_id=organisation if i % 3 else None,
                campaign_id=campaign if i % 4 else None,
                setting=["street", "market", "bar", "online"][i % 4],
                people_reached=1 + i % 5,
                outcome=["open", "doubt_sown", "unchanged", "hostile"][i % 4],
                excluded_at=month_edge if i == 7 else None,
            )
            encounter.rumour_links = [
                EncounterRumour(rumour_id=r, rebuttal_id=None) for r in rumour_ids[: 1 + i % 3]
            ]
            db.session.add(encounter)
        db.session.flush()
        assert no_mismatches() == {}
        with db.session.begin_nested() as savepoint:
            db.session.add(
                Encounter(
                    client_uuid=uuid.uuid4(),
                    content_hash="1" * 64,
                    occurred_at=month_edge,
                    district_id=districts[0],
                    setting="street",
                    people_reached=3,
                    outcome="open",
                )
            )
            db.session.flush()
            savepoint.rollback()
        db.session.commit()
        assert no_mismatches() == {}
        assert total(year_filter()).encounters == before + 23


def _note_summary_writes(connection) -> None:
    """Make every summary table note, in a table of its own, each row written to it (the
    table and the rumour, before the row is inserted or found to exist): for this
    transaction only on PostgreSQL, this connection only on SQLite."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE TABLE summary_writes (n serial, summary text, rumour integer)"
        )
        connection.exec_driver_sql(
            "CREATE FUNCTION note_summary_write() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO summary_writes (summary, rumour) "
            "VALUES (TG_TABLE_NAME, (to_jsonb(NEW) ->> 'rumour_id')::integer); "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        for summary in summaries.SUMMARIES:
            connection.exec_driver_sql(
                f"CREATE TRIGGER note_write BEFORE INSERT ON {summary.name} "
                "FOR EACH ROW EXECUTE FUNCTION note_summary_write()"
            )
        return
    connection.exec_driver_sql(
        "CREATE TEMP TABLE summary_writes "
        "(n integer PRIMARY KEY AUTOINCREMENT, summary text, rumour integer)"
    )
    for summary in summaries.SUMMARIES:
        rumour = "NEW.rumour_id" if summary.per_rumour else "NULL"
        connection.exec_driver_sql(
            f"CREATE TEMP TRIGGER note_{summary.name} BEFORE INSERT ON {summary.name} BEGIN "
            f"INSERT INTO summary_writes (summary, rumour) VALUES ('{summary.name}', {rumour}); "
            "END"
        )


def test_a_new_conversation_is_added_to_each_table_in_one_order(app, runner):
    """A POST adds to every summary table in the order every other write does (SUMMARIES),
    and to a rumour table's rows in key order: so two writers never wait for each other
    crosswise on PostgreSQL. With three rumours, no neighbourhood and no campaign, the
    summaries then equal the rows."""
    seed(runner)
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.org"))
        heard = list(
            db.session.scalars(
                select(Rumour.slug).where(Rumour.status == RumourStatus.PUBLISHED)
                .order_by(Rumour.id.desc()).limit(3)
            )
        )
        connection = db.session.connection()
        _note_summary_writes(connection)
        log_encounter(
            actor=agent,
            client_uuid=uuid.uuid4(),
            data=EncounterData(
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
                district="gracia",
                setting="school",
                rumours=heard,
                people_reached=4,
                outcome="unchanged",
            ),
        )
        writes = connection.exec_driver_sql(
            "SELECT summary, rumour FROM summary_writes ORDER BY n"
        ).all()
        tables = [name for i, (name, _r) in enumerate(writes) if i == 0 or writes[i - 1][0] != name]
        assert tables == [s.name for s in summaries.SUMMARIES]
        rumour_ids = sorted(
            db.session.scalars(select(Rumour.id).where(Rumour.slug.in_(heard)))
        )
        for summary in summaries.SUMMARIES:
            rows = [rumour for name, rumour in writes if name == summary.name]
            assert rows == (rumour_ids if summary.per_rumour else [None]), summary.name
        assert no_mismatches() == {}
        db.session.rollback()


def test_the_neighbourhood_map_counts_equal_the_rows_in_every_view(app, runner):
    """The map's counts (summaries, or the rows in a rumour's view) equal a count of the
    rows for the network, a campaign, a district, an organisation and a rumour; an
    excluded conversation counts nowhere, and every neighbourhood is listed."""
    seed(runner)
    with app.app_context():
        first = lambda model: db.session.scalar(select(model.id).order_by(model.id))  # noqa: E731
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.starts_on.desc()))
        excluded = db.session.scalar(
            select(Encounter).where(Encounter.neighbourhood_id.is_not(None)).limit(1)
        )
        excluded.excluded_at = datetime.now(UTC)
        db.session.commit()
        views = [
            year_filter(),
            StatsFilter(start=campaign.starts_on, end=campaign.ends_on, campaign_id=campaign.id),
            year_filter(district_id=first(District)),
            year_filter(organisation_id=first(Organisation)),
            year_filter(rumour_id=first(Rumour)),
            year_filter(rumour_id=first(Rumour), district_id=first(District)),
            StatsFilter(start=campaign.starts_on, end=campaign.ends_on, campaign_id=campaign.id,
                        rumour_id=first(Rumour)),
            StatsFilter(start=campaign.starts_on, end=campaign.ends_on, campaign_id=campaign.id,
                        rumour_id=first(Rumour), district_id=first(District)),
            # A member's view of a rumour: whole months from their own table, the edge
            # days from the rows; narrowed to a district too, all from the rows.
            year_filter(rumour_id=first(Rumour), organisation_id=first(Organisation)),
            year_filter(rumour_id=first(Rumour), organisation_id=first(Organisation),
                        district_id=first(District)),
        ]
        neighbourhoods = db.session.scalar(select(func.count()).select_from(Neighbourhood))
        for view in views:
            counted = by_neighbourhood_ids(view)
            assert len(counted) == neighbourhoods
            assert {slug: n for slug, n in counted if n} == raw_neighbourhood_counts(view), view
        assert sum(n for _s, n in by_neighbourhood_ids(views[0])) > 1000


def test_a_rumours_map_in_a_campaign_is_read_from_the_summaries(app, runner):
    """A coordinator opening a rumour from a campaign's view: its neighbourhoods come from
    the summary tables (a campaign's conversations with that rumour were counted from
    the rows before, 857 ms on SQLite with a million), not from the conversations."""
    seed(runner)
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.starts_on.desc()))
        rumour = db.session.scalar(select(Rumour.id).order_by(Rumour.id))
        view = StatsFilter(start=campaign.starts_on, end=campaign.ends_on,
                           campaign_id=campaign.id, rumour_id=rumour)
        with statements_sent() as sent:
            counted = by_neighbourhood_ids(view)
        statements = _reads(sent)
        assert sum(n for _s, n in counted) > 0
        assert {slug: n for slug, n in counted if n} == raw_neighbourhood_counts(view)
        assert any("rumour_neighbourhood_stats" in s for s in statements), statements
        assert not any("FROM encounters" in s for s in statements), statements


def test_a_members_view_of_a_rumour_reads_its_own_summary_and_indexes(app, runner):
    """A member's view of a rumour (their organisation, one rumour): the map's whole
    months come from rumour_organisation_stats_month through its own index, the days at
    the period's edges from the organisation's days in one index, and the rumour's
    weekly trend from the organisation's and rumour's days. A year of whole months reads
    no conversation. Before, with ten million conversations on PostgreSQL, the map of a
    year read the 2.15 million mentions of the most heard rumour (424 ms)."""
    seed(runner)
    with app.app_context():
        ids = {
            "rumour_id": db.session.scalar(select(Rumour.id).order_by(Rumour.id)),
            "organisation_id": db.session.scalar(
                select(Organisation.id).order_by(Organisation.id)
            ),
        }
        view = year_filter(**ids)
        with statements_sent() as sent:
            counted = by_neighbourhood_ids(view)
            figures_many({"trend": Ask(view, (), "week", measures=("encounters",))})
        assert {slug: n for slug, n in counted if n} == raw_neighbourhood_counts(view)
        assert sum(n for _s, n in counted) > 0
        [summary_read] = [s for s in sent if "rumour_organisation_stats_month" in s[0]]
        edge_reads = [s for s in sent if "FROM encounters" in s[0]]
        assert len(edge_reads) == 2  # the days before the first whole month, after the last
        [trend_read] = [s for s in sent if "rumour_stats_day" in s[0]]
        sqlite = db.session.connection().dialect.name == "sqlite"
        assert "ix_rumour_organisation_stats_month_reader" in query_plan(*summary_read)
        for edge_read in edge_reads:
            plan = query_plan(*edge_read)
            if sqlite:
                assert "COVERING INDEX ix_encounters_organisation_day" in plan, plan
            else:
                assert "Index Only Scan using ix_encounters_organisation_day" in plan, plan
        trend_plan = query_plan(*trend_read)
        assert "ix_rumour_stats_day_organisation_rumour" in trend_plan, trend_plan

        today = datetime.now(UTC).date()
        months = StatsFilter(
            start=add_months(today, -11), end=add_months(today, 1) - timedelta(days=1), **ids
        )
        with statements_sent() as sent:
            counted = by_neighbourhood_ids(months)
        assert {slug: n for slug, n in counted if n} == raw_neighbourhood_counts(months)
        assert sum(n for _s, n in counted) > 0
        assert not any("FROM encounters" in statement for statement, _ in sent), sent


def test_an_ask_for_some_measures_reads_those_exactly_and_shares_its_read(app, runner):
    """A panel that shows only counts asks for them: those equal the rows (the rest read
    zero), and the same view asked in full under another name still gets every measure."""
    seed(runner)
    with app.app_context():
        view = year_filter()
        asks = {
            "map": Ask(view, ("district",), measures=("encounters",)),
            "reach": Ask(view, ("district",), measures=("encounters", "people")),
            "table": Ask(view, ("district",)),
            "weeks": Ask(view, (), "week", measures=("encounters",)),
        }
        with statements_sent() as sent:
            got = figures_many(asks)
        statements = _reads(sent)
        # (On PostgreSQL the test's session runs in a savepoint, begun on first use.)
        assert [s for s in statements if not s.startswith("SAVEPOINT")] == statements[-1:]
        by_district = raw_figures(view, ("district",))
        weeks = raw_figures(view, (), "week")
        assert {k: v.as_list() for k, v in got["table"].items()} == {
            k: v.as_list() for k, v in by_district.items()
        }
        for name in ("map", "reach"):
            assert {k: (v.encounters, v.people) for k, v in got[name].items()} == {
                k: (v.encounters, v.people) for k, v in by_district.items()
            }
        assert {k: v.encounters for k, v in got["weeks"].items()} == {
            k: v.encounters for k, v in weeks.items()
        }
        assert all(v.people == 0 and not any(v.outcomes.values()) for v in got["weeks"].values())
