"""City shapes (GeoJSON geometries in longitude/latitude) as small SVG paths.

A local equirectangular projection (longitudes scaled by the cosine of the city's
latitude) is exact enough at city scale. Every corner is snapped to the whole units of
the drawing; since two neighbours share the same corners in the file, they share the same
snapped corners, so their borders still meet. Repeated corners, spikes and corners on a
straight line are then dropped, which changes no shape beyond the snapping."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

PAD = 4


@dataclass(frozen=True)
class Outline:
    """One shape on the drawing: its SVG path and where its name is written."""

    path: str
    x: float
    y: float


@dataclass(frozen=True)
class Projection:
    width: int
    height: int
    outlines: dict[str, Outline]

    @property
    def viewbox(self) -> str:
        return f"0 0 {self.width} {self.height}"


Ring = list[tuple[int, int]]


def _polygons(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def project(shapes: Iterable[tuple[str, str | dict]], width: int = 400) -> Projection | None:
    """Each (key, geometry) as an outline on a drawing `width` units wide; None without
    shapes. Geometries may be given as GeoJSON text."""
    parsed = [(key, json.loads(g) if isinstance(g, str) else g) for key, g in shapes]
    parsed = [(key, g) for key, g in parsed if g]
    points = [
        p for _key, g in parsed for polygon in _polygons(g) for ring in polygon for p in ring
    ]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    k = math.cos(math.radians((north + south) / 2))
    wide, tall = max((east - west) * k, 1e-9), max(north - south, 1e-9)
    # Fit the width, unless the city is much taller than wide.
    scale = min((width - 2 * PAD) / wide, 1.5 * (width - 2 * PAD) / tall)
    height = math.ceil(tall * scale) + 2 * PAD

    def snap(p) -> tuple[int, int]:
        return (round(PAD + (p[0] - west) * k * scale), round(PAD + (north - p[1]) * scale))

    outlines = {}
    for key, geometry in parsed:
        polygons = []
        for polygon in _polygons(geometry):
            rings = [r for r in (simplify([snap(p) for p in ring]) for ring in polygon) if r]
            if rings and _area(rings[0]) != 0:
                polygons.append(rings)
        if polygons:
            x, y = label_point(max(polygons, key=lambda rs: abs(_area(rs[0]))))
            outlines[key] = Outline(path_of(polygons), x, y)
    return Projection(width=width, height=height, outlines=outlines)


def simplify(ring: Ring) -> Ring:
    """A closed ring without repeated corners, spikes or corners on a straight line;
    empty when nothing with an area is left."""
    points = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    changed = True
    while changed and len(points) >= 3:
        changed = False
        kept: Ring = []
        n = len(points)
        for i, p in enumerate(points):
            before = kept[-1] if kept else points[i - 1]
            after = points[(i + 1) % n]
            if p == before or _cross(before, p, after) == 0:
                changed = True
                continue
            kept.append(p)
        points = kept
    return points if len(points) >= 3 else []


def _cross(a, b, c) -> int:
    return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])


def _area(ring: Ring) -> float:
    return sum(
        ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1] for i in range(len(ring))
    ) / 2


def path_of(polygons: list[list[Ring]]) -> str:
    """SVG path data: an absolute move to each ring, then relative lines (`l`), whole
    units, signs doing the work of separators; holes drawn with fill-rule evenodd."""
    parts = []
    for rings in polygons:
        for ring in rings:
            x0, y0 = ring[0]
            steps = [f"M{x0} {y0}l"]
            previous = ring[0]
            numbers = []
            for p in ring[1:]:
                numbers += [p[0] - previous[0], p[1] - previous[1]]
                previous = p
            text = ""
            for value in numbers:
                text += (str(value) if value < 0 or not text else f" {value}")
            steps.append(text + "z")
            parts.append("".join(steps))
    return "".join(parts)


def _stretches(rings: list[Ring], at: float, axis: int) -> list[tuple[float, float]]:
    """Where the line `axis`=`at` (0: x, 1: y) runs inside the polygon: (start, end) pairs."""
    other = 1 - axis
    crossings = sorted(
        a[other] + (at - a[axis]) * (b[other] - a[other]) / (b[axis] - a[axis])
        for ring in rings
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True)
        if (a[axis] > at) != (b[axis] > at)
    )
    return list(zip(crossings[::2], crossings[1::2], strict=False))


def label_point(rings: list[Ring], lines: int = 24) -> tuple[float, float]:
    """A point well inside a polygon (with holes) for its name: on one of a few horizontal
    lines across it, the middle of a stretch inside it, the one with the most room both
    across and up and down."""
    ys = [p[1] for p in rings[0]]
    top, bottom = min(ys), max(ys)
    best = None
    for step in range(lines):
        y = top + (bottom - top) * (step + 0.5) / lines + 0.01  # off the grid's corners
        for left, right in _stretches(rings, y, 1):
            x = (left + right) / 2
            up_down = next((b - a for a, b in _stretches(rings, x, 0) if a <= y <= b), 0)
            room = min(right - left, 2 * up_down)
            if best is None or room > best[0]:
                best = (room, x, y)
    if best is None:
        return float(rings[0][0][0]), float(rings[0][0][1])
    return round(best[1], 1), round(best[2], 1)
