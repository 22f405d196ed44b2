"""The review's "many in a few minutes" flag, stored with each conversation and kept
true on every write, like the summary tables.

A conversation is a burst when its agent logged at least BURST_COUNT conversations
(itself included) within BURST_WINDOW either side of it. Counting that for every row
as the review is read took 3.3 s for a million conversations on a quiet machine (one
look-up in the agent's index per row); stored, the review only reads a column.

A write at time t by an agent changes the count of exactly that agent's conversations
within BURST_WINDOW of t, so each write recounts those, and only those: the new time
and, for a correction or a deletion, the old one. On PostgreSQL two transactions of
the same agent would each count without the other's uncommitted row, so a writer takes
a lock per agent (`pg_advisory_xact_lock`) before its recount and before it touches the
summary rows (one order for every writer: no deadlock); the later recount then starts
after the earlier commit and sees both. SQLite lets one transaction write at a time.
An erased agent's conversations keep their flag but name no agent, and the review
reads the flag only where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    DateTime,
    Integer,
    Interval,
    and_,
    bindparam,
    cast,
    column,
    func,
    inspect,
    literal,
    select,
    text,
    tuple_,
    type_coerce,
    update,
)

from ..models import Encounter, UTCDateTime

BURST_COUNT = 4
BURST_WINDOW = timedelta(minutes=5)
# The first key of the agents' advisory locks (the second is the agent's id): "burs".
_LOCK_SPACE = 0x62757273


def _microseconds(stored):
    """SQLite: a stored time ('YYYY-MM-DD HH:MM:SS.ffffff', UTC) as whole microseconds
    since 1970, exact (an integer, not a float)."""
    seconds = cast(func.strftime("%s", stored), Integer)
    return seconds * 1_000_000 + cast(func.substr(stored, 21, 6), Integer)


def near(agent, other, at_agent, at, dialect: str):
    """SQL: the conversation (`agent`, `other`) is the agent `at_agent`'s and within
    BURST_WINDOW of the time `at` (all columns)."""
    if dialect == "sqlite":
        # SQLite has no interval arithmetic. The agent's index narrows the look-up to a
        # few minutes either side of the time, as text: a minute wider than the window,
        # since `datetime()` drops the fractions of a second stored times carry. Whole
        # microseconds then decide exactly. (Julian days are floats: two conversations
        # exactly five minutes apart came out a hair further, and did not count.)
        margin = int((BURST_WINDOW + timedelta(minutes=1)).total_seconds() // 60)
        return and_(
            agent == at_agent,
            other >= func.datetime(at, f"-{margin} minutes"),
            other <= func.datetime(at, f"+{margin} minutes"),
            func.abs(_microseconds(other) - _microseconds(at))
            <= BURST_WINDOW // timedelta(microseconds=1),
        )
    at = type_coerce(at, DateTime())
    window = literal(BURST_WINDOW, Interval())
    return _agents_range(agent, other, at_agent, at - window, at + window)


def _agents_range(agent, at, of_agent, first, last):
    """PostgreSQL: (`agent`, `at`) between (`of_agent`, `first`) and (`of_agent`, `last`),
    compared as pairs. Only the agent's index (agent, time) can answer that: with the
    agent and the times apart, a plan made once for every agent (a prepared statement's)
    read the index of times alone, every agent's conversations of those minutes, and on a
    campaign day (the bench: 16 agents, 7,350 rows in ten minutes) each recount took 4 ms
    of the server instead of reading the agent's few."""
    pair = tuple_(agent, type_coerce(at, DateTime()))
    return and_(
        agent == of_agent,
        pair >= tuple_(of_agent, first),
        pair <= tuple_(of_agent, last),
    )


def _is_burst(dialect: str):
    """SQL: the outer row's agent logged BURST_COUNT or more conversations within
    BURST_WINDOW of it (itself included). Asked as "is there a BURST_COUNT-th?", so each
    row reads at most that many index entries, however many the agent logged around it
    (a count read them all: an agent with 125 in a few minutes made every write of
    theirs read 125 x 125)."""
    table = Encounter.__table__
    neighbour = table.alias("neighbour")
    nth = (
        select(literal(1))
        .where(
            near(
                neighbour.c.agent_id, neighbour.c.occurred_at,
                table.c.agent_id, table.c.occurred_at, dialect,
            )
        )
        .limit(1)
        .offset(BURST_COUNT - 1)
        .scalar_subquery()
    )
    return nth.is_not(None)


def _flip_where_wrong(dialect: str, *where):
    """UPDATE the flag of the rows `where` whose stored flag is not what their count
    says: each count is made once, and only rows that change are written."""
    table = Encounter.__table__
    return (
        update(table)
        .where(*where, table.c.burst != _is_burst(dialect))
        .values(burst=~table.c.burst)
    )


@cache
def _recount(dialect: str, added_only: bool = False):
    """One agent's conversations between two times (built once per process). After
    writes that only added conversations, a flag can only turn on: only the rows not
    flagged yet are asked (in a run of many, the few at its edges)."""
    table = Encounter.__table__
    agent = bindparam("agent", type_=Integer())
    first = bindparam("first", type_=UTCDateTime())
    last = bindparam("last", type_=UTCDateTime())
    if dialect == "postgresql":
        where = [_agents_range(table.c.agent_id, table.c.occurred_at, agent, first, last)]
    else:
        where = [
            table.c.agent_id == agent,
            table.c.occurred_at >= first,
            table.c.occurred_at <= last,
        ]
    if added_only:
        where.append(~table.c.burst)
    return _flip_where_wrong(dialect, *where)


_LOCK = text("SELECT pg_advisory_xact_lock(:space, :agent)")


def lock_agents(connection, agents: Iterable[int | None]) -> None:
    """PostgreSQL: hold each agent's lock until the transaction ends, in id order (so
    two writers never wait on each other crosswise). Take it before writing anything
    another writer may be waiting on: the summary rows."""
    if connection.dialect.name != "postgresql":
        return
    for agent in sorted({a for a in agents if a is not None}):
        connection.execute(_LOCK, {"space": _LOCK_SPACE, "agent": agent})


@cache
def _driver_recount(dialect):
    """The recount after new conversations as the driver's SQL: (SQL, its parameters'
    names in order or None for named ones, its constants, the times' conversion)."""
    compiled = _recount(dialect.name, True).compile(dialect=dialect)
    given = {"agent", "first", "last"}
    constants = {k: v for k, v in compiled.params.items() if k not in given}
    order = compiled.positiontup if compiled.positional else None
    # As the column stores it: on SQLite the text with its microseconds (the driver's own
    # conversion drops a zero fraction, and a window's edge then compared smaller).
    stored = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    return compiled.string, order, constants, stored


def recount_new(connection, agent: int, at: datetime) -> list[tuple[str, list]]:
    """After a new conversation at `at` (the POST): the recount of the agent's flags
    around it, as (driver SQL, rows) pairs for `write_contributions` to send first,
    straight to the driver like the summary upserts, on both databases alike (on SQLite
    the recount's cost is SQLite's own work either way). On PostgreSQL the agent's lock
    comes first, in the same round trip (psycopg's pipeline runs them in order, each
    statement seeing what committed before it started: the recount starts once the lock
    is held); through SQLAlchemy the two cost a POST about 1 ms of the server's CPU and
    two round trips."""
    sql, order, constants, stored = _driver_recount(connection.dialect)
    values = {
        **constants, "agent": agent,
        "first": stored(at - BURST_WINDOW), "last": stored(at + BURST_WINDOW),
    }
    flags = (sql, [values if order is None else tuple(values[name] for name in order)])
    if connection.dialect.name != "postgresql":
        return [flags]
    return [("SELECT pg_advisory_xact_lock(%s, %s)", [(_LOCK_SPACE, agent)]), flags]


def recount(connection, moments: Iterable[tuple[int | None, datetime | None]]) -> None:
    """Recount the flag of every conversation whose window holds one of `moments`
    ((agent, time) pairs: where conversations were written, or were before a change):
    per agent, one UPDATE per run of overlapping windows."""
    times: dict[int, list[datetime]] = {}
    for agent, at in moments:
        if agent is not None and at is not None:
            times.setdefault(agent, []).append(at)
    statement = _recount(connection.dialect.name)
    for agent in sorted(times):
        spans: list[list[datetime]] = []
        for at in sorted(times[agent]):
            if spans and at - BURST_WINDOW <= spans[-1][1]:
                spans[-1][1] = at + BURST_WINDOW
            else:
                spans.append([at - BURST_WINDOW, at + BURST_WINDOW])
        for first, last in spans:
            connection.execute(statement, {"agent": agent, "first": first, "last": last})


def _neighbours(connection) -> str:
    """SQL: how many conversations of the row's agent lie within BURST_WINDOW either
    side of it (itself included), as a window over each agent's conversations in time
    order: over whole microseconds on SQLite and over the times on PostgreSQL, so that
    it decides exactly as `near` does."""
    window = BURST_WINDOW // timedelta(microseconds=1)
    if connection.dialect.name == "sqlite":
        order = _microseconds(column("occurred_at")).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        frame = f"RANGE BETWEEN {window} PRECEDING AND {window} FOLLOWING"
    else:
        order = "occurred_at"
        frame = (
            f"RANGE BETWEEN interval '{window} microseconds' PRECEDING "
            f"AND interval '{window} microseconds' FOLLOWING"
        )
    return f"count(*) OVER (PARTITION BY agent_id ORDER BY {order} {frame})"


def recount_all_bursts(connection) -> None:
    """Recount every conversation's flag (bulk loads): one pass over each agent's
    conversations in time order, counting with a window of BURST_WINDOW either side,
    instead of a look-up per row (a million: 13 s against about 60 s on SQLite). Only
    the rows that change are written."""
    connection.execute(text(
        "UPDATE encounters SET burst = NOT burst WHERE id IN ("
        " SELECT id FROM ("
        f"  SELECT id, burst, {_neighbours(connection)} AS neighbours"
        "  FROM encounters WHERE agent_id IS NOT NULL"
        f" ) AS counted WHERE burst != (neighbours >= {BURST_COUNT}))"
    ))


def insert_flagged(connection, staged: str, columns: tuple[str, ...]) -> None:
    """PostgreSQL: move the rows of the temporary table `staged` (`columns`, the
    encounters' columns but the flag) into encounters, each with its flag already right,
    and correct the flags of the conversations already there that the new ones change.

    Setting the flags after a load instead (`recount_all_bursts`) rewrites every row it
    flags: 465,551 of a million, 46 %. Each rewrite is a new version of the row, dead
    space until a VACUUM, and written to the log in full pages after every checkpoint:
    at ten million that UPDATE ran 15 minutes, waiting on the log. Here the window runs
    over (id, agent, time) alone; the flagged ids are kept in a hash table and the rows
    go into encounters once, in the order they were staged (by id, as the export reads
    them). The working memory is raised for these statements only, so that the ids fit
    in one hash table (ten million: 4.6 million flagged)."""
    names = ", ".join(columns)
    previous = connection.exec_driver_sql("SHOW work_mem").scalar()
    memory = text("SELECT set_config('work_mem', :value, true)")
    connection.execute(memory, {"value": "256MB"})
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE encounters_flagged ON COMMIT DROP AS"
        " SELECT id, is_new FROM ("
        f"  SELECT id, is_new, burst, {_neighbours(connection)} >= {BURST_COUNT} AS flagged"
        "  FROM ("
        f"   SELECT id, agent_id, occurred_at, true AS is_new, false AS burst FROM {staged}"
        "    WHERE agent_id IS NOT NULL"
        "   UNION ALL SELECT id, agent_id, occurred_at, false, burst FROM encounters"
        "    WHERE agent_id IS NOT NULL"
        "  ) AS agents_rows"
        " ) AS counted WHERE flagged != burst"
    )
    connection.exec_driver_sql(
        "UPDATE encounters SET burst = NOT burst"
        " WHERE id IN (SELECT id FROM encounters_flagged WHERE NOT is_new)"
    )
    connection.exec_driver_sql(
        f"INSERT INTO encounters ({names}, burst)"
        f" SELECT {', '.join('s.' + c for c in columns)}, f.id IS NOT NULL FROM {staged} AS s"
        " LEFT JOIN encounters_flagged AS f ON f.id = s.id AND f.is_new"
    )
    connection.exec_driver_sql("DROP TABLE encounters_flagged")
    connection.execute(memory, {"value": previous})


def _agent_of(encounter: Encounter) -> int | None:
    if encounter.agent_id is not None:
        return encounter.agent_id
    # A new entry given its agent as an object has no id until the flush.
    agent = encounter.__dict__.get("agent")
    return agent.id if agent is not None else None


def flush_moments(session) -> list[tuple[int | None, datetime | None]]:
    """The (agent, time) pairs a flush writes or leaves: new and deleted entries, and
    both the old and the new values of entries whose agent or time it changes. Read
    before the flush or after it (the session still holds its pre-flush state then)."""
    found = []
    for obj in [*session.new, *session.deleted]:
        if isinstance(obj, Encounter):
            found.append((_agent_of(obj), obj.occurred_at))
    for obj in session.dirty:
        if not isinstance(obj, Encounter):
            continue
        state = inspect(obj)
        agent, at = state.attrs.agent_id.history, state.attrs.occurred_at.history
        if agent.has_changes() or at.has_changes():
            found.append((
                agent.deleted[0] if agent.deleted else obj.agent_id,
                at.deleted[0] if at.deleted else obj.occurred_at,
            ))
            found.append((_agent_of(obj), obj.occurred_at))
    return found
