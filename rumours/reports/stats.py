"""Encounter statistics read from the summary tables (rumours/summaries.py).

`figures(filters, by=...)` is the one way the dashboard, `/api/v1/stats` and the
exports count conversations, so they always agree. It picks the smallest summary
table that keeps every dimension asked for, reads whole months (or weeks) from the
coarse table and the days at either edge of the period from the day table, and adds
them up. `figures_many` answers several such breakdowns (a whole page) in one statement.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)

from ..extensions import db
from ..models import SUMMARY_MEASURES, Outcome, Setting
from ..summaries import SUMMARIES, Summary
from .filters import StatsFilter
from .plans import Ask, shared_reads

OUTCOME_KEYS = tuple(o.value for o in Outcome)
SETTING_KEYS = tuple(s.value for s in Setting)


@dataclass
class Figures:
    """Counts for one cell of a view. In a per-rumour breakdown `encounters` is the
    number of encounters in which that rumour came up."""

    encounters: int = 0
    people: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_KEYS, 0))
    settings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SETTING_KEYS, 0))

    @classmethod
    def from_sums(cls, sums: Iterable[int | None]) -> Figures:
        values = [int(v or 0) for v in sums]
        n = len(OUTCOME_KEYS)
        return cls(
            encounters=values[0],
            people=values[1],
            outcomes=dict(zip(OUTCOME_KEYS, values[2 : 2 + n], strict=True)),
            settings=dict(zip(SETTING_KEYS, values[2 + n :], strict=True)),
        )

    def as_list(self) -> list[int]:
        return [
            self.encounters,
            self.people,
            *(self.outcomes[k] for k in OUTCOME_KEYS),
            *(self.settings[k] for k in SETTING_KEYS),
        ]

    def add(self, other: Figures) -> None:
        self.encounters += other.encounters
        self.people += other.people
        for k in OUTCOME_KEYS:
            self.outcomes[k] += other.outcomes[k]
        for k in SETTING_KEYS:
            self.settings[k] += other.settings[k]

    @property
    def opened(self) -> int:
        """Conversations that moved someone: open to the facts or doubt sown."""
        return self.outcomes["open"] + self.outcomes["doubt_sown"]

    @property
    def opened_share(self) -> float | None:
        """The share of conversations that moved someone (None when there were none)."""
        return self.opened / self.encounters if self.encounters else None

    def as_dict(self) -> dict:
        return {
            "encounters": self.encounters,
            "people_reached": self.people,
            "outcomes": dict(self.outcomes),
            "settings": dict(self.settings),
        }


def bucket_of(day: date, bucket: str | None) -> date | None:
    """The start of the week (Monday) or month holding `day`."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return None


# Statements by shape (which tables, how many periods, which breakdowns and filters),
# with the periods and ids as bound values: a page's UNION of fifteen reads is built,
# and its cache key worked out, once per process rather than on every request.
_SHAPES = 512


def _branch(k: int, tag: int, width: int, summary: Summary, periods: int, ask: Ask):
    """One SELECT of the batch (the `k`th): the ask's tag, its dimension ids (padded with
    NULLs to `width`), the period start when bucketed (else NULL) and the sums, over
    `periods` ranges of period starts bound as :p<k>_<i>_from/_to and the filter's ids
    as :p<k>_<dimension>."""
    c = summary.table.c
    keys = [c[f"{d}_id"] for d in ask.by]
    group = list(keys)
    period = cast(null(), Date)
    if ask.bucket is not None:
        period = c.period_start
        group.append(period)
    padding = [cast(null(), Integer)] * (width - len(keys))
    wanted = SUMMARY_MEASURES if ask.measures is None else ask.measures
    statement = select(
        literal_column(str(tag), Integer), *keys, *padding, period,
        *(func.sum(c[m]) if m in wanted else cast(null(), Integer) for m in SUMMARY_MEASURES),
    ).where(
        or_(*(
            c.period_start.between(
                bindparam(f"p{k}_{i}_from", type_=Date), bindparam(f"p{k}_{i}_to", type_=Date)
            )
            for i in range(periods)
        )),
        *(c[f"{name}_id"] == bindparam(f"p{k}_{name}", type_=Integer)
          for name in ask.filters.dimension_ids()),
    )
    return statement.group_by(*group) if group else statement


@lru_cache(maxsize=_SHAPES)
def _statement(width: int, shape: tuple):
    """The UNION ALL of the branches in `shape`: (tag, table name, number of periods, the
    ask with only its dimension filters' names kept) each."""
    tables = {s.name: s for s in SUMMARIES}
    branches = [
        _branch(k, tag, width, tables[name], periods, ask)
        for k, (tag, name, periods, ask) in enumerate(shape)
    ]
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _shape_of(ask: Ask) -> Ask:
    """The ask with its period and filter values replaced by fixed ones (only which
    dimensions it is filtered by matters to the statement)."""
    return replace(
        ask,
        filters=StatsFilter(
            date.min, date.min, **{f"{name}_id": 0 for name in ask.filters.dimension_ids()}
        ),
    )


# The figures' statement stays prepared on a connection (see extensions), and PostgreSQL
# settles on one generic plan for it after five runs. That plan suits most views (a
# district's or a campaign's figures took 2 to 3 ms less than when planned for their
# values each time) but not an organisation's over months: it reads them through the
# months' key instead of the organisation's own index (3 ms slower). Those alone are
# planned for their values, for this transaction only: safe behind a pooler.
_PLANNED_FOR_ITS_VALUES = text("SET LOCAL plan_cache_mode = force_custom_plan")


def _planned_for_its_values(asks: Iterable[Ask]) -> bool:
    """Whether a statement reading `asks` is better planned for its values each time: an
    organisation's figures outside a campaign (a campaign's own index is the one to take
    whatever the values)."""
    return any(
        ask.filters.organisation_id is not None and ask.filters.campaign_id is None
        for ask in asks
    )


def figures_many(asks: Mapping[Hashable, Ask]) -> dict[Hashable, dict[tuple, Figures]]:
    """`figures` for several asks at once, in one statement (a UNION ALL of the reads
    each ask needs): what a page shows costs one round trip, not one or two per chart."""
    # The same view and breakdown under two names (a campaign's view and its progress)
    # is read once, with the measures either wants.
    wanted: dict[Ask, frozenset[str] | None] = {}
    for ask in asks.values():
        key = replace(ask, measures=None)
        if ask.measures is None or (key in wanted and wanted[key] is None):
            wanted[key] = None
        else:
            wanted[key] = wanted.get(key, frozenset()) | set(ask.measures)
    distinct = [
        replace(key, measures=None if m is None else tuple(sorted(m)))
        for key, m in wanted.items()
    ]
    merged, read_of = shared_reads(distinct)
    width = max((len(ask.by) for ask, _plan in merged), default=0)
    reads = [
        (tag, ask, summary, periods)
        for tag, (ask, answered) in enumerate(merged)
        for summary, periods in answered
    ]
    rows: dict[int, list] = {}
    if reads:
        shape, values = [], {}
        for k, (tag, ask, summary, periods) in enumerate(reads):
            shape.append((tag, summary.name, len(periods), _shape_of(ask)))
            for i, (first, last) in enumerate(periods):
                values[f"p{k}_{i}_from"], values[f"p{k}_{i}_to"] = first, last
            for name, value in ask.filters.dimension_ids().items():
                values[f"p{k}_{name}"] = value
        if (
            db.session.get_bind().dialect.name == "postgresql"
            and _planned_for_its_values(distinct)
        ):
            db.session.execute(_PLANNED_FOR_ITS_VALUES)
        for row in db.session.execute(_statement(width, tuple(shape)), values):
            rows.setdefault(row[0], []).append(row)
    read = []
    for tag, (ask, _plan) in enumerate(merged):
        n = len(ask.by)
        read.append(_sums(
            (row[1 : 1 + n] + ((row[1 + width],) if ask.bucket else ()) + row[2 + width :]
             for row in rows.get(tag, ())),
            ask.by,
            ask.bucket,
        ))
    counted = [
        {
            key: Figures.from_sums(total)
            for key, total in (
                read[tag] if positions is None
                else _rolled_up(read[tag], positions, ask.by, ask.bucket)
            ).items()
        }
        for ask, (tag, positions) in zip(distinct, read_of, strict=True)
    ]
    by_ask = {replace(ask, measures=None): found for ask, found in zip(distinct, counted,
                                                                        strict=True)}
    result: dict[Hashable, dict[tuple, Figures]] = {}
    given = set()
    for name, ask in asks.items():
        ask = replace(ask, measures=None)
        found = by_ask[ask]
        if ask in given:  # a copy: a caller adding to one name's figures changes no other
            found = {key: Figures.from_sums(value.as_list()) for key, value in found.items()}
        given.add(ask)
        result[name] = found
    return result


def _rolled_up(
    sums: dict[tuple, list[int]], positions: tuple[int, ...], by: tuple[str, ...],
    bucket: str | None,
) -> dict[tuple, list[int]]:
    """A read's sums added up to the keys of an ask by `by` (its dimensions at
    `positions` of the read's, then the bucket's start): each key and its sums as a row
    of the ask's, for `_sums`."""
    tail = slice(-1, None) if bucket else slice(0, 0)
    return _sums(
        (tuple([key[p] for p in positions]) + key[tail] + tuple(values)
         for key, values in sums.items()),
        by,
        bucket,
    )


def figures(
    filters: StatsFilter, by: tuple[str, ...] = (), bucket: str | None = None
) -> dict[tuple, Figures]:
    """Counts for the view, keyed by a tuple of the `by` dimension ids (plus the week or
    month start when `bucket` is given). `by=()` gives one key, `()`."""
    return figures_many({0: Ask(filters, by, bucket)})[0]


def _accumulate(result: dict[tuple, Figures], rows, by: tuple[str, ...], bucket: str | None):
    """Add rows of (dimension ids..., [day or period start], sums...) into `result`,
    keyed by the dimension ids and the bucket's start."""
    for key, total in _sums(rows, by, bucket).items():
        counted = Figures.from_sums(total)
        if key in result:
            result[key].add(counted)
        else:
            result[key] = counted


def _sums(rows, by: tuple[str, ...], bucket: str | None) -> dict[tuple, list[int]]:
    """Rows of (dimension ids..., [day or period start], sums...) added up as plain
    lists, keyed by the dimension ids and the bucket's start (a key's months, weeks and
    days): a page reads hundreds of rows, made into Figures once per key."""
    width = len(by) + (bucket is not None)
    totals: dict[tuple, list] = {}
    for row in rows:
        sums = row[width:]
        if not sums[0]:  # no conversations (NULL when no row matched)
            continue
        key = tuple(row[: len(by)])
        if bucket is not None:
            key += (bucket_of(row[len(by)], bucket),)
        total = totals.get(key)
        if total is None:
            totals[key] = [v or 0 for v in sums]
        else:
            for i, v in enumerate(sums):
                if v:
                    total[i] += v
    return totals


def total(filters: StatsFilter) -> Figures:
    """The whole view's counts."""
    return figures(filters).get((), Figures())


def raw_figures(
    filters: StatsFilter,
    by: tuple[str, ...] = (),
    bucket: str | None = None,
    agent_id: int | None = None,
) -> dict[tuple, Figures]:
    """The same counts straight from the encounter rows (slow on big tables): the
    reference the tests and the benchmark compare the summaries with, and one agent's
    own figures (`agent_id`: a few rows, read through the agent's index)."""
    from ..models import Encounter
    from ..summaries import dimension_column, encounter_rows, measure_columns

    day = Encounter.__table__.c.local_day
    keys = [dimension_column(d) for d in by]
    if bucket is not None:
        keys.append(day)
    per_rumour = bool(set(by) & {"rumour", "rebuttal"}) or filters.rumour_id is not None
    clauses = [day.between(filters.start, filters.end)]
    if agent_id is not None:
        clauses.append(Encounter.__table__.c.agent_id == agent_id)
    clauses += [dimension_column(name) == value for name, value in filters.dimension_ids().items()]
    statement = (
        select(*keys, *measure_columns())
        .select_from(encounter_rows(per_rumour))
        .where(and_(*clauses))
    )
    statement = statement.group_by(*keys) if keys else statement
    result: dict[tuple, Figures] = {}
    _accumulate(result, db.session.execute(statement), by, bucket)
    return result
