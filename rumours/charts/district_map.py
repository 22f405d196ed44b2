"""The district (or neighbourhood) map's geometry: each place's shape, drawn from the
city's stored shapes (`projection`), its shade (five equal ranges of one hue; a hidden
count is hatched) and name placed inside it, and the legend's ranges."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .geometry import checked, largest
from .projection import Projection

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
    blanks: tuple[str, ...]  # shapes of places not listed, drawn under the others
    hidden: bool
    viewbox: str = "0 0 400 300"
    # Whose shapes these are (the city's setting), written under the map.
    attribution: str = ""

    @property
    def empty(self) -> bool:
        return not self.districts

    @property
    def areas(self) -> tuple[MapDistrict, ...]:
        """The districts drawn on the map (those with a shape)."""
        return tuple(d for d in self.districts if d.path is not None)

    @property
    def drawn(self) -> bool:
        """A map to draw: some place has a shape (else only the table is shown)."""
        return bool(self.areas)

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


def district_map(
    districts: Iterable[MapDistrict],
    shapes: Projection | None = None,
    *,
    attribution: str = "",
    labels: bool = True,
) -> DistrictMap:
    """The places shaded by their counts, on `shapes` (outlines keyed by slug); places
    without a shape, or all of them without shapes, are only listed in the table.
    `labels=False` leaves names to the tooltips and the table (a map of small places)."""
    districts = tuple(districts)
    values = checked(d.value for d in districts)
    step = range_width(largest(values))
    outlines = shapes.outlines if shapes else {}
    placed = []
    for d in districts:
        outline = outlines.get(d.slug)
        if outline is not None:
            lines = name_lines(d.label) if labels else ()
            d = replace(
                d,
                path=outline.path,
                shade=None if d.value is None else min(d.value // step, SHADES - 1),
                lines=lines,
                x=outline.x,
                y=round(outline.y - 6 * (len(lines) - 1) - 3, 1) if labels else outline.y,
            )
        placed.append(d)
    listed = {d.slug for d in districts}
    return DistrictMap(
        districts=tuple(placed),
        legend=tuple(
            Range(i, step * i, None if i == SHADES - 1 else step * (i + 1) - 1)
            for i in range(SHADES)
        ),
        blanks=tuple(o.path for slug, o in sorted(outlines.items()) if slug not in listed),
        hidden=None in values,
        viewbox=shapes.viewbox if shapes else "0 0 400 300",
        attribution=attribution,
    )
