"""Which summary tables and periods answer a breakdown of the statistics (`plan`), and
which of a page's breakdowns can share one read (`shared_reads`); `reports.stats` reads
them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ..summaries import SUMMARIES, Summary
from .filters import StatsFilter, split_period

# Dimensions a breakdown can be by, besides the time buckets "week" and "month".
DIMENSIONS = ("district", "neighbourhood", "organisation", "campaign", "rumour", "rebuttal")
BUCKETS = ("week", "month")

# The dimensions kept down to the day: only those tables answer any period (the others,
# by month alone, are read by their own views).
_WITH_DAYS = {s.dimensions for s in SUMMARIES if s.grain == "day"}


def _choose(needed: set[str], per_rumour: bool, bucket: str | None):
    """The coarse table (or None), the week table to read whole weeks at the edges of
    a period of months (or None), and the day table that can answer the view."""
    candidates = [
        s for s in SUMMARIES
        if s.per_rumour == per_rumour and needed <= set(s.dimensions)
        and s.dimensions in _WITH_DAYS
    ]
    if not candidates:
        # Kept together by no table that has days (a rumour's neighbourhoods by
        # organisation are kept by month alone: reports.geography reads them itself).
        raise ValueError(f"no summary table keeps {sorted(needed)} together")
    dimensions = candidates[0].dimensions
    same = [s for s in candidates if s.dimensions == dimensions]
    day = next(s for s in same if s.grain == "day")
    wanted = {None: ("month", "week"), "month": ("month",), "week": ("week",)}[bucket]
    coarse = next((s for g in wanted for s in same if s.grain == g), None)
    # Whole weeks at the edges only without a bucket: a week may straddle two months.
    weeks = next((s for s in same if s.grain == "week"), None) if bucket is None else None
    if coarse is None or coarse.grain != "month":
        weeks = None
    return coarse, weeks, day


@dataclass(frozen=True)
class Ask:
    """One breakdown a page wants: the view, the dimensions and the time bucket."""

    filters: StatsFilter
    by: tuple[str, ...] = ()
    bucket: str | None = None
    # The measures to add up (SUMMARY_MEASURES names); None for all. The others read as
    # zero (or counted, when the ask shares its read with another): a map or a ranking
    # that shows only how many conversations asks for ("encounters",), and SQLite sums a
    # fifth of the columns.
    measures: tuple[str, ...] | None = None


def plan(ask: Ask) -> list[tuple[Summary, list[tuple[date, date]]]]:
    """The tables and periods that answer `ask`: whole months (or weeks) from the coarse
    table, then at either edge of the period whole weeks from the week table where there
    is one, and the days left from the day table."""
    filters, by, bucket = ask.filters, ask.by, ask.bucket
    unknown = set(by) - set(DIMENSIONS)
    if unknown or bucket not in (None, *BUCKETS):
        raise ValueError(f"cannot break statistics down by {sorted(unknown) or bucket}")
    needed = set(by) | set(filters.dimension_ids())
    per_rumour = bool(needed & {"rumour", "rebuttal"})
    coarse, weeks, day = _choose(needed, per_rumour, bucket)
    coarse_periods, edges = split_period(
        filters.start, filters.end, coarse.grain if coarse else None
    )
    week_periods: list[tuple[date, date]] = []
    day_periods = edges
    if weeks is not None:
        week_periods, day_periods = [], []
        for a, b in edges:
            inner, rest = split_period(a, b, "week")
            week_periods += inner
            day_periods += rest
    reads = ((coarse, coarse_periods), (weeks, week_periods), (day, day_periods))
    return [(table, periods) for table, periods in reads if periods]


Plan = list[tuple[Summary, list[tuple[date, date]]]]


def shared_reads(
    asks: list[Ask],
) -> tuple[list[tuple[Ask, Plan]], list[tuple[int, tuple[int, ...] | None]]]:
    """The reads that answer `asks`: breakdowns of the same view and bucket that the
    same tables and periods answer are read once, broken down by every dimension any of
    them wants (a campaign's rumours by rebuttal and by district: one read of the rumour
    tables by district, rumour and rebuttal), then added up to each ask's: the sums of
    the same rows, so exactly what each ask would read alone. Returns the reads with
    their plans and, per ask, its read and the places of its dimensions in the read's
    (None: the read is the ask)."""
    reads: list[Ask] = []
    plans: list[Plan] = []
    members: list[list[int]] = []
    for index, ask in enumerate(asks):
        answered = plan(ask)
        for r, read in enumerate(reads):
            if (read.filters, read.bucket) != (ask.filters, ask.bucket):
                continue
            if not (read.by and ask.by):
                # A view's totals stay a read of their own: summed without a GROUP BY,
                # which the breakdowns need (merged, the network's year took 2 to 3 ms
                # more on SQLite).
                continue
            if _tables(plans[r]) != _tables(answered):
                continue
            union = tuple(d for d in DIMENSIONS if d in read.by or d in ask.by)
            try:
                if _tables(plan(replace(read, by=union))) != _tables(answered):
                    continue
            except ValueError:  # no table keeps them together
                continue
            measures = (
                None if read.measures is None or ask.measures is None
                else tuple(sorted(set(read.measures) | set(ask.measures)))
            )
            reads[r] = replace(read, by=union, measures=measures)
            members[r].append(index)
            break
        else:
            reads.append(ask)
            plans.append(answered)
            members.append([index])
    read_of: list = [None] * len(asks)
    for r, read in enumerate(reads):
        for i in members[r]:
            by = asks[i].by
            read_of[i] = (r, None if by == read.by else tuple(read.by.index(d) for d in by))
    return list(zip(reads, plans, strict=True)), read_of


def _tables(answered: Plan) -> list:
    """What a plan reads: the tables and their periods."""
    return [(summary.name, periods) for summary, periods in answered]
