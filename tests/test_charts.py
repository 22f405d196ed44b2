"""The dashboard's chart macros: what a reader relies on in the drawing and in the table."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import render_template_string

from rumours import charts
from rumours.rules.slugs import slugify

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# Barcelona's official district shapes, projected the way the dashboard draws them.
BARCELONA = charts.project(
    (slugify(f["properties"]["name"], fallback=""), f["geometry"])
    for f in json.loads((SEEDS / "barcelona-districts.geojson").read_text())["features"]
)
DISTRICT_SHAPES = {slug: o.path for slug, o in BARCELONA.outlines.items()}
LABEL_AT = {slug: (o.x, o.y) for slug, o in BARCELONA.outlines.items()}
VIEWBOX = BARCELONA.viewbox
EMPTY = "No conversations in this view."


class Node:
    """An element of the rendered HTML, enough to ask for classes, attributes and text."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None" = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Node"]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> "Node":
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}>"
        return found[0]


class TreeBuilder(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.root = self.current = Node("root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


# Each macro draws the geometry its builder makes from plain rows.
GEOMETRY = {
    "bars": lambda rows: charts.bar_chart(charts.Bar(**row) for row in rows),
    "mix": lambda rows: charts.outcome_mix(charts.Segment(**row) for row in rows),
    "trend": lambda rows: charts.trend_line(charts.Point(**row) for row in rows),
    "progress": lambda rows: charts.progress(charts.Goal(**row) for row in rows),
    "district_map": lambda rows: charts.district_map(
        (charts.MapDistrict(**row) for row in rows), BARCELONA
    ),
}


def render(app, macro: str, *args) -> str:
    """The macro's HTML, rendered the way a dashboard template would call it: the rows
    (the argument after the id, and the title if there is one) turned into geometry."""
    at = 1 if macro == "progress" else 2
    args = (*args[:at], GEOMETRY[macro](args[at]), *args[at + 1 :])
    source = f'{{% from "dashboard/_charts.html" import {macro} %}}{{{{ {macro}(*args) }}}}'
    with app.test_request_context():
        return render_template_string(source, args=args)


def table_rows(doc: Node) -> list[list[str]]:
    """The numbers table's body, one list of cell texts per row."""
    details = doc.find("details", "chart-numbers")
    assert details.find("summary").text == "Show the numbers"
    body = details.find("tbody")
    return [
        [cell.text for cell in row.children if isinstance(cell, Node)]
        for row in body.find_all("tr")
    ]


def width(rect: Node) -> float:
    return float(rect.attrs["width"].rstrip("%"))


RUMOURS = [
    {
        "label": "Immigrants get social housing before people born here",
        "value": 1240,
        "href": "/catalogue/1",
        "note": "+45%",
    },
    {"label": "Migrants don't pay taxes", "value": 620},
    {"label": "They are taking our jobs", "value": 310},
    {"label": "Crime went up because of the new arrivals", "value": None},
]


def test_bars_list_every_value_in_the_table_and_draw_proportional_bars(app):
    doc = parse(render(app, "bars", "heard", "Rumours heard most", RUMOURS, "conversations"))

    assert table_rows(doc) == [
        ["Immigrants get social housing before people born here", "1,240 +45%"],
        ["Migrants don't pay taxes", "620"],
        ["They are taking our jobs", "310"],
        ["Crime went up because of the new arrivals", "— hidden"],
    ]
    rows = doc.find_all("li", "bar")
    assert [row.find("span", "bar-value").text for row in rows] == [
        "1,240",
        "620",
        "310",
        "— hidden",
    ]
    assert rows[0].find("span", "bar-note").text == "+45%"
    assert [row.find_all("span", "bar-note") for row in rows[1:]] == [[], [], []]
    widths = [width(row.find("rect", "bar-fill")) for row in rows[:3]]
    assert widths == [100.0, 50.0, 25.0]
    for row in rows:
        assert row.find("rect", "bar-track").attrs["width"] == "100%"
    assert rows[3].find_all("rect", "bar-fill") == []
    assert "hidden to protect privacy" in doc.find("p", "chart-note").text
    link = rows[0].find("a")
    assert link.attrs["href"] == "/catalogue/1"
    assert doc.find("figcaption").text == "Rumours heard most conversations"
    assert doc.find("figure").attrs["id"] == "heard"


def test_bars_keep_the_order_given_and_draw_no_bar_for_zero(app):
    items = [{"label": "Small", "value": 0}, {"label": "Large", "value": 9}]
    doc = parse(render(app, "bars", "b", "Settings", items, "conversations"))

    assert [r[0] for r in table_rows(doc)] == ["Small", "Large"]
    rows = doc.find_all("li", "bar")
    assert rows[0].find_all("rect", "bar-fill") == []
    assert width(rows[1].find("rect", "bar-fill")) == 100.0
    assert doc.find_all("p", "chart-note") == []


def test_bars_escape_labels(app):
    items = [{"label": "<script>alert(1)</script>", "value": 3, "note": "<b>x</b>"}]
    html = render(app, "bars", "b", "<i>Title</i>", items, "<u>unit</u>")

    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;Title&lt;/i&gt;" in html


@pytest.mark.parametrize("macro", ["bars", "trend"])
def test_empty_data_gives_a_calm_message_and_no_table(app, macro):
    doc = parse(render(app, macro, "x", "Rumours heard most", [], "conversations"))

    assert doc.find("p", "chart-empty").text == EMPTY
    assert doc.find_all("details") == [] and doc.find_all("svg") == []


OUTCOMES = [
    {"label": "Open to the facts", "value": 612, "key": "open"},
    {"label": "Doubt sown", "value": 401, "key": "doubt_sown"},
    {"label": "Unchanged", "value": 233, "key": "unchanged"},
    {"label": "Hostile", "value": 77, "key": "hostile"},
]


def test_mix_gives_each_outcome_its_count_and_share(app):
    doc = parse(render(app, "mix", "outcomes", "How conversations ended", OUTCOMES))

    assert table_rows(doc) == [
        ["Open to the facts", "612", "46 %"],
        ["Doubt sown", "401", "30 %"],
        ["Unchanged", "233", "18 %"],
        ["Hostile", "77", "6 %"],
    ]
    legend = [item.text for item in doc.find_all("li", "mix-item")]
    assert legend == [
        "Open to the facts 612 46 %",
        "Doubt sown 401 30 %",
        "Unchanged 233 18 %",
        "Hostile 77 6 %",
    ]
    shares = [int(row[2].split()[0]) for row in table_rows(doc)]
    assert 99 <= sum(shares) <= 101
    assert doc.find("tfoot").text == "Total shown 1,323 100 %"

    svg = doc.find("svg", "mix-svg")
    assert svg.attrs["role"] == "img"
    assert svg.find("title").text.startswith("How conversations ended: Open to the facts 46 %")
    segments = svg.find_all("rect", "mix-seg")
    assert [s.classes[1] for s in segments] == [
        "mix-open",
        "mix-doubt_sown",
        "mix-unchanged",
        "mix-hostile",
    ]
    assert sum(width(s) for s in segments) == pytest.approx(100, abs=0.05)
    assert width(segments[0]) == pytest.approx(612 / 1323 * 100, abs=0.01)
    starts = [float(s.attrs["x"].rstrip("%")) for s in segments]
    assert starts[1] == pytest.approx(width(segments[0]), abs=0.01)


def test_mix_hides_a_suppressed_outcome_and_shows_tiny_shares_as_under_one_percent(app):
    items = [
        {"label": "Open", "value": 990, "key": "open"},
        {"label": "Hostile", "value": None, "key": "hostile"},
        {"label": "Other", "value": 2, "key": "not_recorded"},
    ]
    doc = parse(render(app, "mix", "m", "Outcomes", items))

    assert table_rows(doc) == [
        ["Open", "990", "100 %"],
        ["Hostile", "— hidden", "— hidden"],
        ["Other", "2", "<1 %"],
    ]
    segments = doc.find_all("rect", "mix-seg")
    assert [s.classes[1] for s in segments] == ["mix-open", "mix-not_recorded"]
    assert doc.find("p", "chart-note")


def test_mix_with_nothing_to_share_gives_the_empty_message(app):
    assert EMPTY in render(app, "mix", "m", "Outcomes", [])
    zeros = [{"label": "Open", "value": 0, "key": "open"}]
    assert EMPTY in render(app, "mix", "m", "Outcomes", zeros)


def weeks(values):
    return [
        {"label": f"{i + 1} Nov", "value": v, "title": f"week {i + 1} of 2025"}
        for i, v in enumerate(values)
    ]


def test_trend_draws_a_column_per_week_with_heights_to_scale(app):
    values = [(i * 7) % 50 + 10 for i in range(60)]
    values[5] = None
    doc = parse(
        render(app, "trend", "weekly", "Conversations week by week", weeks(values), "conversations")
    )

    rows = table_rows(doc)
    assert len(rows) == 60
    assert rows[0] == ["week 1 of 2025", "10"]
    assert rows[5] == ["week 6 of 2025", "— hidden"]
    svg = doc.find("svg", "trend-svg")
    assert svg.attrs["role"] == "img"
    assert svg.find("title").text == "Conversations week by week"
    columns = svg.find_all("rect", "trend-col")
    assert len(columns) == 59
    assert len(svg.find_all("rect", "trend-hidden")) == 1
    shown = [v for v in values if v is not None]
    # Gridlines carry round values from 0 up to at least the largest value.
    axis = [int(t.text.replace(",", "")) for t in svg.find_all("text", "trend-axis")]
    assert axis[0] == 0 and axis[-1] >= max(shown) and len(axis) <= 5
    grid = [float(line.attrs["y1"]) for line in svg.find_all("line", "trend-grid")]
    pixels_per_unit = (grid[0] - grid[-1]) / axis[-1]
    for column, value in zip(columns, shown, strict=True):
        assert float(column.attrs["height"]) == pytest.approx(value * pixels_per_unit, abs=0.06)
        assert float(column.attrs["y"]) + float(column.attrs["height"]) == pytest.approx(grid[0])
    assert columns[0].find("title").text == "week 1 of 2025: 10"


def test_trend_thins_its_date_labels_so_they_fit_a_phone(app):
    doc = parse(render(app, "trend", "t", "Weekly", weeks(list(range(60))), "conversations"))

    ticks = doc.find_all("text", "trend-tick")
    assert 2 <= len(ticks) <= 12
    on_phone = [t for t in ticks if "trend-tick-minor" not in t.classes]
    assert 2 <= len(on_phone) <= 5
    assert ticks[0].text == "1 Nov"
    assert doc.find_all("text", "trend-value") == []


def test_trend_with_one_week_prints_its_value(app):
    doc = parse(render(app, "trend", "t", "Weekly", [{"label": "3 Nov", "value": 1234}], "x"))

    assert table_rows(doc) == [["3 Nov", "1,234"]]
    assert len(doc.find_all("rect", "trend-col")) == 1
    assert doc.find("text", "trend-value").text == "1,234"
    assert doc.find("text", "trend-tick").text == "3 Nov"


def test_trend_of_only_hidden_or_zero_weeks_still_draws_an_axis(app):
    doc = parse(render(app, "trend", "t", "Weekly", weeks([0, None]), "x"))

    assert [r[1] for r in table_rows(doc)] == ["0", "— hidden"]
    assert doc.find_all("text", "trend-axis")


TARGETS = [
    {"label": "Conversations", "value": 130, "target": 100},
    {"label": "Agents certified", "value": 45, "target": 60},
    {"label": "Organisations joined", "value": 17, "target": None},
    {"label": "Sessions held", "value": 0, "target": 12},
]


def test_progress_shows_value_of_target_and_goes_past_100_percent(app):
    doc = parse(render(app, "progress", "targets", TARGETS))

    rows = doc.find_all("li", "bar")
    values = [row.find("span", "bar-value").text for row in rows]
    assert values == [
        "130 of 100 (130 %)",
        "45 of 60 (75 %)",
        "17 no target set",
        "0 of 12 (0 %)",
    ]
    assert width(rows[0].find("rect", "bar-fill")) == 100.0
    assert "progress-reached" in rows[0].classes
    assert width(rows[1].find("rect", "bar-fill")) == 75.0
    assert rows[2].find_all("svg") == []
    assert rows[3].find_all("rect", "bar-fill") == [] and rows[3].find_all("rect", "bar-track")
    assert table_rows(doc) == [
        ["Conversations", "130", "100", "130 %"],
        ["Agents certified", "45", "60", "75 %"],
        ["Organisations joined", "17", "no target set", "—"],
        ["Sessions held", "0", "12", "0 %"],
    ]


def test_progress_without_items_gives_the_empty_message(app):
    assert EMPTY in render(app, "progress", "targets", [])


def seeded_districts() -> list[dict]:
    """The demo's districts (slug and name), from the city's file the seed imports."""
    features = json.loads((SEEDS / "barcelona-districts.geojson").read_text())["features"]
    names = [f["properties"]["name"] for f in features]
    return [{"slug": slugify(n, fallback=""), "name": n} for n in names]


def test_map_draws_every_district_with_its_name_and_value(app):
    counts = {
        "ciutat-vella": 388,
        "eixample": 523,
        "sants-montjuic": 301,
        "les-corts": 62,
        "sarria-sant-gervasi": None,
        "gracia": 174,
        "horta-guinardo": 139,
        "nou-barris": 230,
        "sant-andreu": 95,
        "sant-marti": 412,
    }
    districts = [
        {
            "slug": d["slug"],
            "label": d["name"],
            "value": counts[d["slug"]],
            "href": f"/dashboard/?district={d['slug']}",
        }
        for d in seeded_districts()
    ]
    districts.append({"slug": "badalona", "label": "Badalona", "value": 40})
    doc = parse(
        render(app, "district_map", "map", "Conversations by district", districts, "conversations")
    )

    svg = doc.find("svg", "map-svg")
    assert svg.attrs["viewbox"] == VIEWBOX  # the parser lowercases names
    assert svg.find("title").text == "Conversations by district"
    shapes = svg.find_all(cls="map-district")
    assert len(shapes) == len(DISTRICT_SHAPES) == 10
    titles = {shape.find("title").text for shape in shapes}
    assert "Eixample: 523 conversations" in titles
    assert "Sarrià-Sant Gervasi: hidden" in titles
    assert not any("Badalona" in t for t in titles)
    by_name = {shape.find("title").text.split(":")[0]: shape for shape in shapes}
    assert by_name["Eixample"].tag == "a"
    assert by_name["Eixample"].attrs["href"] == "/dashboard/?district=eixample"
    assert by_name["Eixample"].find("path").attrs["d"] == DISTRICT_SHAPES["eixample"]
    assert by_name["Eixample"].find("tspan", "map-value").text == "523"
    # The largest count takes the darkest of five shades, the smallest the lightest.
    assert "map-shade-4" in by_name["Eixample"].classes
    assert "map-shade-0" in by_name["Les Corts"].classes
    hidden = by_name["Sarrià-Sant Gervasi"]
    assert "map-hidden" in hidden.classes and hidden.find("tspan", "map-value").text == "—"
    assert hidden.find("path").attrs["fill"] == "url(#map-hatch)"

    rows = table_rows(doc)
    assert len(rows) == 11
    assert ["Eixample", "523"] in rows and ["Sarrià-Sant Gervasi", "— hidden"] in rows
    assert ["Badalona", "40"] in rows
    legend = [li.text for li in doc.find("ul", "map-legend").find_all("li")]
    assert legend == ["0–109", "110–219", "220–329", "330–439", "440 or more", "hidden"]


def test_map_shades_every_district_by_its_range(app):
    slugs = list(DISTRICT_SHAPES)
    districts = [
        {"slug": s, "label": s, "value": v} for s, v in zip(slugs, range(0, 100, 10), strict=True)
    ]
    doc = parse(render(app, "district_map", "m", "Map", districts, "conversations"))

    shades = {
        shape.find("title").text.split(":")[0]: next(
            c for c in shape.classes if c.startswith("map-shade-")
        )
        for shape in doc.find_all("g", "map-district")
    }
    # 0..90 in ranges of 18: 0-17, 18-35, 36-53, 54-71, 72 or more.
    assert [shades[s] for s in slugs] == [
        "map-shade-0",
        "map-shade-0",
        "map-shade-1",
        "map-shade-1",
        "map-shade-2",
        "map-shade-2",
        "map-shade-3",
        "map-shade-3",
        "map-shade-4",
        "map-shade-4",
    ]
    assert doc.find("svg", "map-svg").attrs["role"] == "img"  # no links: a picture
    assert doc.find_all("p", "chart-note") == []


def test_map_without_districts_gives_the_empty_message(app):
    assert EMPTY in render(app, "district_map", "m", "Map", [], "conversations")


def test_every_seeded_district_has_a_shape_and_a_label_inside_it():
    slugs = {d["slug"] for d in seeded_districts()}
    assert set(DISTRICT_SHAPES) == slugs == set(LABEL_AT)
    _, _, right, bottom = (float(n) for n in VIEWBOX.split())
    for slug, d in DISTRICT_SHAPES.items():
        rings = rings_of(d)
        assert all(0 <= x <= right and 0 <= y <= bottom for r in rings for x, y in r), slug
        assert any(inside(LABEL_AT[slug], ring) for ring in rings), slug


def test_neighbouring_districts_share_their_borders():
    edges: dict[frozenset, set[str]] = {}
    for slug, d in DISTRICT_SHAPES.items():
        for ring in rings_of(d):
            for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                edges.setdefault(frozenset((a, b)), set()).add(slug)
    assert all(len(owners) <= 2 for owners in edges.values())
    shared = {frozenset(owners) for owners in edges.values() if len(owners) == 2}
    for pair in [
        ("ciutat-vella", "eixample"),
        ("ciutat-vella", "sant-marti"),
        ("ciutat-vella", "sants-montjuic"),
        ("eixample", "gracia"),
        ("gracia", "horta-guinardo"),
        ("les-corts", "sarria-sant-gervasi"),
        ("nou-barris", "sant-andreu"),
        ("sant-andreu", "sant-marti"),
        ("horta-guinardo", "nou-barris"),
    ]:
        assert frozenset(pair) in shared, pair


def rings_of(d: str) -> list[list[tuple[int, int]]]:
    """The rings of a projected path: "M x y l dx dy ... z", one per ring."""
    rings = []
    for part in d.split("M")[1:]:
        head, tail = part.rstrip("z").split("l")
        x, y = (int(n) for n in head.split())
        numbers = [int(n) for n in re.findall(r"-?\d+", tail)]
        ring = [(x, y)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        rings.append(ring)
    return rings


def inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    """Ray casting: an odd number of edge crossings to the right means inside."""
    x, y = point
    crossings = 0
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1
