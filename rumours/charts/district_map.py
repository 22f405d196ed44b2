"""The district map's geometry: each district's shape, shade (five equal ranges of one
hue; a hidden count is hatched) and name placed inside it, and the legend's ranges."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from . import district_shapes
from .geometry import checked, largest

SHADES = 5


@dataclass(frozen=True)
class MapDistrict:
    """A district's count. `district_map` sets, for a district with a shape, its path,
    shade (0-4, None when hidden), name lines and where they are written (`x`, `y`)."""

    slug: str
    label: str
    value: int | None
    href: str | None = None
    path: str | None = None
    shade: int | None = None
    lines: tuple[str, ...] = ()
    x: float = 0
    y: float = 0


@dataclass(frozen=True)
class Range:
    """A legend entry: the counts from `low` to `high`; the last range has no `high`."""

    shade: int
    low: int
    high: int | None


@dataclass(frozen=True)
class DistrictMap:
    districts: tuple[MapDistrict, ...]  # all, in the order given, for the table
    legend: tuple[Range, ...]
    blanks: tuple[str, ...]  # every shape's path, drawn under the districts
    hidden: bool
    viewbox: str = district_shapes.VIEWBOX
    sea: str = district_shapes.SEA
    sea_label_at: tuple[float, float] = district_shapes.SEA_LABEL_AT

    @property
    def empty(self) -> bool:
        return not self.districts

    @property
    def areas(self) -> tuple[MapDistrict, ...]:
        """The districts drawn on the map (those with a shape)."""
        return tuple(d for d in self.districts if d.path is not None)

    @property
    def linked(self) -> bool:
        return any(d.href for d in self.districts)


def range_width(top: int) -> int:
    """A fifth of the largest count, rounded up to two significant digits (110, not
    104.6), and at least 1."""
    raw = top / SHADES
    magnitude = max((m for m in (1, 10, 100, 1000, 10000, 100000) if m <= raw / 10), default=1)
    return max(int(math.ceil(raw / magnitude) * magnitude), 1)


def name_lines(label: str) -> tuple[str, ...]:
    """A district's name on one or two lines: after a hyphen, or at the first space of a
    long name."""
    if "-" in label:
        head, tail = label.split("-", 1)
        return (head + "-", tail)
    if " " in label and len(label) > 9:
        return tuple(label.split(" ", 1))
    return (label,)


def district_map(districts: Iterable[MapDistrict]) -> DistrictMap:
    """The city's districts shaded by their counts; districts without a shape are only
    listed in the table."""
    districts = tuple(districts)
    values = checked(d.value for d in districts)
    step = range_width(largest(values))
    placed = []
    for d in districts:
        if d.slug in district_shapes.DISTRICT_SHAPES:
            lines = name_lines(d.label)
            x, y = district_shapes.LABEL_AT.get(d.slug, (0, 0))
            d = replace(
                d,
                path=district_shapes.DISTRICT_SHAPES[d.slug],
                shade=None if d.value is None else min(d.value // step, SHADES - 1),
                lines=lines,
                x=x,
                y=y - 6 * (len(lines) - 1) - 3,
            )
        placed.append(d)
    return DistrictMap(
        districts=tuple(placed),
        legend=tuple(
            Range(i, step * i, None if i == SHADES - 1 else step * (i + 1) - 1)
            for i in range(SHADES)
        ),
        blanks=tuple(path for _slug, path in sorted(district_shapes.DISTRICT_SHAPES.items())),
        hidden=None in values,
    )
