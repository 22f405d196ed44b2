"""Charts for the dashboard: plain figures in, geometry out (`geometry`, `district_map`),
and the city's shapes projected for them (`projection`). Pure: no request, no
database; the chart macros in templates/dashboard/_charts.html only draw the result."""

from .district_map import DistrictMap, MapDistrict, Range, district_map
from .geometry import (
    Axis,
    Bar,
    BarChart,
    DateLabel,
    Goal,
    OutcomeMix,
    Point,
    Progress,
    Segment,
    Tick,
    TrendLine,
    axis,
    bar_chart,
    outcome_mix,
    progress,
    trend_line,
)
from .projection import Outline, Projection, project

__all__ = [
    "Axis",
    "Bar",
    "BarChart",
    "DateLabel",
    "DistrictMap",
    "Goal",
    "MapDistrict",
    "Outline",
    "OutcomeMix",
    "Point",
    "Progress",
    "Projection",
    "Range",
    "Segment",
    "Tick",
    "TrendLine",
    "axis",
    "bar_chart",
    "district_map",
    "outcome_mix",
    "progress",
    "project",
    "trend_line",
]
