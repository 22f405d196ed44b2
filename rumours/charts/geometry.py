"""Chart geometry: counts in, shapes out. Each builder takes plain figures (a label and a
count, None where a count is hidden to protect privacy) and returns frozen dataclasses
with every length and position worked out, so the chart macros only draw them.

Lengths along a chart are percentages of its width (the SVG fills its column at any
screen size); heights are pixels. No request, no locale and no database here: labels
arrive already translated and the templates format numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

# Round steps for axis gridlines: 1, 2, 2.5 and 5 times a power of ten.
AXIS_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000,
              10000, 20000, 25000, 50000, 100000, 200000, 250000, 500000, 1000000)
# The shortest bar drawn for a non-zero count (% of the track), so it never vanishes.
MIN_FILL = 0.8
# The outcome mix prints a segment's share inside it from this width (%) up.
MIX_TEXT_FROM = 12
# Trend: the plot's top margin and height, and how many date labels fit.
PLOT_TOP, PLOT_HEIGHT = 12, 160
LABELS_WIDE, LABELS_PHONE = 12, 5
# Trend columns print their value above them when there are this few.
VALUES_UP_TO = 6


def checked(values: Iterable[int | None]) -> list[int | None]:
    """The counts, refusing a negative one (a count of conversations or people)."""
    values = list(values)
    if any(v is not None and v < 0 for v in values):
        raise ValueError("a count is never negative")
    return values


def largest(values: Iterable[int | None]) -> int:
    """The largest count shown (0 when none is)."""
    return max((v for v in values if v is not None), default=0)


def _fill(value: int, top: int) -> float:
    """A bar's length as a percentage of its track."""
    return max(value * 100 / top, MIN_FILL)


# --- Bars --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart; `fill` (its length, % of the track) is set by
    `bar_chart`, and stays None when nothing is drawn (a zero or hidden count)."""

    label: str
    value: int | None
    href: str | None = None
    note: str | None = None
    fill: float | None = None


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    hidden: bool  # some count is hidden to protect privacy

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(bars: Iterable[Bar]) -> BarChart:
    """Bars in the order given, the largest count filling its track."""
    bars = tuple(bars)
    values = checked(b.value for b in bars)
    top = largest(values)
    return BarChart(
        bars=tuple(
            replace(b, fill=_fill(b.value, top) if b.value and top > 0 else None) for b in bars
        ),
        hidden=None in values,
    )


# --- Outcome mix -------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One share of the outcome mix. `x` and `width` (% of the bar) are set by
    `outcome_mix` for a drawn segment, and `text_x` when its share fits inside it."""

    key: str
    label: str
    value: int | None
    x: float | None = None
    width: float | None = None
    text_x: float | None = None

    @property
    def drawn(self) -> bool:
        return self.width is not None


@dataclass(frozen=True)
class OutcomeMix:
    segments: tuple[Segment, ...]  # every outcome, drawn or not, for the legend and table
    total: int  # of the counts shown
    hidden: bool

    @property
    def empty(self) -> bool:
        return self.total == 0

    @property
    def drawn(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.drawn)


def outcome_mix(segments: Iterable[Segment]) -> OutcomeMix:
    """One bar split into shares of the counts shown, side by side in the order given."""
    segments = tuple(segments)
    values = checked(s.value for s in segments)
    total = sum(v for v in values if v is not None)
    placed, x = [], 0.0
    for segment in segments:
        if segment.value:
            share = segment.value * 100 / total
            text_x = x + share / 2 if share >= MIX_TEXT_FROM else None
            segment = replace(segment, x=x, width=share, text_x=text_x)
            x = x + share
        placed.append(segment)
    return OutcomeMix(segments=tuple(placed), total=total, hidden=None in values)


# --- Trend -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """A gridline and its round value; `y` in pixels from the top."""

    value: int
    y: float
    baseline: bool

    @property
    def label_y(self) -> float:
        return self.y + 4


@dataclass(frozen=True)
class Axis:
    ticks: tuple[Tick, ...]  # from 0 up
    step: int
    top: int  # the value of the top gridline, at or above the largest count


def axis(top: int) -> Axis:
    """Gridlines at a round step, at most five, reaching at least `top`."""
    if top < 0:
        raise ValueError("a count is never negative")
    step = next((s for s in AXIS_STEPS if s >= top / 4), 1)
    lines = max(math.ceil(top / step), 1)
    base = PLOT_TOP + PLOT_HEIGHT
    return Axis(
        ticks=tuple(
            Tick(value=step * i, y=base - PLOT_HEIGHT * i / lines, baseline=i == 0)
            for i in range(lines + 1)
        ),
        step=step,
        top=lines * step,
    )


@dataclass(frozen=True)
class DateLabel:
    """A point's date under the plot: `x` (%) and anchor; `minor` ones hide on a phone."""

    x: float
    anchor: str
    minor: bool


@dataclass(frozen=True)
class Point:
    """One period of a trend. `trend_line` sets the column's box (`x` and `width` in %,
    `y` and `height` in pixels; a hidden count gets a thin mark on the baseline), its
    centre and, for one point in a few, the date label."""

    label: str
    value: int | None
    title: str | None = None
    x: float = 0.0
    width: float = 0.0
    y: float = 0.0
    height: float = 0.0
    centre: float = 0.0
    date_label: DateLabel | None = None

    @property
    def name(self) -> str:
        return self.title or self.label

    @property
    def value_y(self) -> float:
        """Where the printed value sits, just above the column."""
        return self.y - 6


@dataclass(frozen=True)
class TrendLine:
    points: tuple[Point, ...]
    axis: Axis
    base: int  # the baseline, pixels from the top
    hidden: bool
    show_values: bool  # few enough columns to print each value

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def height(self) -> int:
        return self.base + 26

    @property
    def date_y(self) -> int:
        return self.base + 19

    @property
    def highest(self) -> Point | None:
        """The first of the points with the largest count shown."""
        shown = [p for p in self.points if p.value is not None]
        return max(shown, key=lambda p: p.value) if shown else None


def trend_line(points: Iterable[Point]) -> TrendLine:
    """A column per period on a round axis, date labels thinned to fit: at most 12 on a
    wide screen and 5 on a phone, at regular intervals."""
    points = tuple(points)
    values = checked(p.value for p in points)
    n = len(points)
    scale = axis(largest(values))
    base = PLOT_TOP + PLOT_HEIGHT
    slot = 100 / max(n, 1)
    col = min(slot * 0.72, 9)
    every = math.ceil(n / LABELS_WIDE) or 1
    every_phone = every * (math.ceil(math.ceil(n / LABELS_PHONE) / every) or 1)
    placed = []
    for i, point in enumerate(points):
        centre = slot * i + slot / 2
        if point.value is None:
            y, height = base - 3, 3
        else:
            height = PLOT_HEIGHT * point.value / scale.top
            y = base - height
        date_label = None
        if i % every == 0:
            last = n > VALUES_UP_TO and i == n - 1
            date_label = DateLabel(
                x=centre + col / 2 if last else centre,
                anchor="end" if last else "middle",
                minor=bool(i % every_phone),
            )
        placed.append(
            replace(
                point, x=centre - col / 2, width=col, y=y, height=height, centre=centre,
                date_label=date_label,
            )
        )
    return TrendLine(
        points=tuple(placed),
        axis=scale,
        base=base,
        hidden=None in values,
        show_values=n <= VALUES_UP_TO,
    )


# --- Progress against targets ------------------------------------------------------


class GoalRow(Protocol):
    label: str
    value: int | None
    target: int | None


@dataclass(frozen=True)
class Goal:
    """A count against its target; `fill` (% of the track, full at the target) is set
    by `progress` when there is something to draw."""

    label: str
    value: int | None
    target: int | None
    fill: float | None = None

    @property
    def has_target(self) -> bool:
        return self.target is not None and self.target > 0 and self.value is not None

    @property
    def reached(self) -> bool:
        return self.has_target and self.value >= self.target


@dataclass(frozen=True)
class Progress:
    goals: tuple[Goal, ...]

    @property
    def empty(self) -> bool:
        return not self.goals


def progress(rows: Iterable[GoalRow]) -> Progress:
    """Goals from anything with a label, value and target (a `Goal`, or a campaign's
    progress row); a bar fills at 100 % and says so past it."""
    goals = [Goal(r.label, r.value, r.target) for r in rows]
    checked(g.value for g in goals)
    return Progress(
        goals=tuple(
            replace(g, fill=_fill(min(g.value, g.target), g.target))
            if g.has_target and g.value > 0
            else g
            for g in goals
        )
    )
