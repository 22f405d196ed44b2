"""Chart geometry straight from the builders: scales and ticks, empty and single values,
hidden counts, and the one percent formatter the charts and the dashboard print with."""

import pytest
from flask_babel import force_locale

from rumours import charts, create_app
from rumours.charts.district_map import name_lines, range_width
from rumours.extensions import db
from rumours.web.templating import percent

from .helpers import config_for, small_city


def bars(*values):
    return charts.bar_chart(charts.Bar(f"bar {i}", v) for i, v in enumerate(values))


def test_bars_scale_to_the_largest_count_and_keep_a_small_one_visible():
    chart = bars(200, 100, 1, 0, None)

    assert [b.fill for b in chart.bars] == [100.0, 50.0, 0.8, None, None]
    assert chart.hidden and not chart.empty
    assert [b.label for b in chart.bars] == ["bar 0", "bar 1", "bar 2", "bar 3", "bar 4"]


def test_bars_of_zeros_hidden_or_nothing_draw_no_fill():
    assert [b.fill for b in bars(0, 0).bars] == [None, None]
    assert [b.fill for b in bars(None).bars] == [None]
    assert bars().empty and not bars().hidden


def test_a_single_bar_fills_its_track():
    assert bars(7).bars[0].fill == 100.0


@pytest.mark.parametrize(
    "build",
    [
        lambda: bars(3, -1),
        lambda: charts.outcome_mix([charts.Segment("open", "Open", -2)]),
        lambda: charts.trend_line([charts.Point("1 Nov", -5)]),
        lambda: charts.progress([charts.Goal("Goal", -1, 10)]),
        lambda: charts.district_map([charts.MapDistrict("gracia", "Gràcia", -3)]),
        lambda: charts.axis(-1),
    ],
)
def test_a_negative_count_is_refused(build):
    with pytest.raises(ValueError, match="never negative"):
        build()


def test_mix_places_segments_side_by_side_and_skips_zero_and_hidden():
    mix = charts.outcome_mix(
        [
            charts.Segment("open", "Open", 30),
            charts.Segment("doubt_sown", "Doubt", 0),
            charts.Segment("unchanged", "Unchanged", None),
            charts.Segment("hostile", "Hostile", 10),
        ]
    )

    assert mix.total == 40 and mix.hidden and not mix.empty
    assert [s.key for s in mix.drawn] == ["open", "hostile"]
    open_, hostile = mix.drawn
    assert (open_.x, open_.width, open_.text_x) == (0.0, 75.0, 37.5)
    assert (hostile.x, hostile.width, hostile.text_x) == (75.0, 25.0, 87.5)
    assert [s.key for s in mix.segments] == ["open", "doubt_sown", "unchanged", "hostile"]


def test_mix_prints_no_share_inside_a_narrow_segment():
    mix = charts.outcome_mix([charts.Segment("open", "Open", 89), charts.Segment("x", "X", 11)])

    assert mix.drawn[1].text_x is None and mix.drawn[0].text_x == pytest.approx(44.5)


def test_mix_with_nothing_shown_is_empty():
    assert charts.outcome_mix([]).empty
    assert charts.outcome_mix([charts.Segment("open", "Open", 0)]).empty


@pytest.mark.parametrize(
    "top,step,values",
    [
        (0, 1, [0, 1]),
        (1, 1, [0, 1]),
        (4, 1, [0, 1, 2, 3, 4]),
        (5, 2, [0, 2, 4, 6]),
        (9, 5, [0, 5, 10]),
        (59, 20, [0, 20, 40, 60]),
        (100, 25, [0, 25, 50, 75, 100]),
        (101, 50, [0, 50, 100, 150]),
        (1234, 500, [0, 500, 1000, 1500]),
    ],
)
def test_axis_ticks_are_round_and_reach_the_top(top, step, values):
    scale = charts.axis(top)

    assert scale.step == step
    assert [t.value for t in scale.ticks] == values
    assert scale.top == values[-1] >= top
    assert len(scale.ticks) <= 5
    assert [t.baseline for t in scale.ticks] == [True] + [False] * (len(values) - 1)
    # Evenly spaced from the baseline (172 px) up to the top of the plot (12 px).
    assert scale.ticks[0].y == 172 and scale.ticks[-1].y == 12
    assert scale.ticks[0].label_y == 176


def test_trend_columns_stand_on_the_baseline_at_scale():
    line = charts.trend_line(charts.Point(f"{i} Nov", v) for i, v in enumerate([10, 40, None]))

    assert line.axis.top == 40 and line.base == 172 and line.height == 198
    first, second, hidden = line.points
    assert (first.height, first.y) == (40.0, 132.0)
    assert (second.height, second.y) == (160.0, 12.0)
    assert (hidden.y, hidden.height) == (169, 3)
    assert line.hidden and line.show_values
    assert line.highest is second
    # Three slots of a third, each column centred in its slot and at most 9 % wide.
    assert first.centre == pytest.approx(100 / 6)
    assert first.width == 9
    assert first.x == pytest.approx(100 / 6 - 4.5)
    many = charts.trend_line(charts.Point(str(i), 1) for i in range(20)).points
    assert many[0].width == pytest.approx(5 * 0.72)  # 72 % of a narrower slot
    assert first.value_y == 126.0


def test_trend_with_one_point_fills_no_more_than_a_narrow_column():
    line = charts.trend_line([charts.Point("3 Nov", 1234, title="week of 3 Nov 2025")])

    (point,) = line.points
    assert point.width == 9 and point.centre == 50
    assert point.height == pytest.approx(160 * 1234 / 1500)
    assert point.date_label == charts.DateLabel(x=50, anchor="middle", minor=False)
    assert point.name == "week of 3 Nov 2025"


def test_trend_of_zeros_or_nothing():
    zeros = charts.trend_line([charts.Point("a", 0), charts.Point("b", 0)])
    assert [p.height for p in zeros.points] == [0.0, 0.0]
    assert [t.value for t in zeros.axis.ticks] == [0, 1]
    assert zeros.highest.label == "a"  # the first of the largest
    empty = charts.trend_line([])
    assert empty.empty and empty.highest is None


def test_trend_thins_date_labels_and_ends_the_last_one_at_its_column():
    line = charts.trend_line(charts.Point(str(i), i) for i in range(60))

    labelled = [(i, p.date_label) for i, p in enumerate(line.points) if p.date_label]
    assert [i for i, _ in labelled] == list(range(0, 60, 5))
    assert [i for i, d in labelled if not d.minor] == [0, 15, 30, 45]
    assert not line.show_values
    assert all(d.anchor == "middle" for _, d in labelled)
    last = charts.trend_line(charts.Point(str(i), 1) for i in range(7)).points[-1]
    assert last.date_label.anchor == "end"
    assert last.date_label.x == pytest.approx(last.centre + last.width / 2)


def test_progress_fills_at_the_target_and_keeps_rows_without_one_undrawn():
    chart = charts.progress(
        [
            charts.Goal("over", 130, 100),
            charts.Goal("part", 45, 60),
            charts.Goal("none", 17, None),
            charts.Goal("zero target", 5, 0),
            charts.Goal("nothing yet", 0, 12),
            charts.Goal("hidden", None, 12),
        ]
    )

    assert [g.fill for g in chart.goals] == [100.0, 75.0, None, None, None, None]
    assert [g.reached for g in chart.goals] == [True, False, False, False, False, False]
    assert [g.has_target for g in chart.goals] == [True, True, False, False, True, False]
    assert charts.progress([]).empty


def test_progress_takes_any_row_with_a_label_value_and_target():
    class Row:
        label, value, target = "Conversations", 1, 400

    assert charts.progress([Row()]).goals == (charts.Goal("Conversations", 1, 400, 0.8),)


@pytest.mark.parametrize(
    "top,width",
    [(0, 1), (4, 1), (5, 1), (9, 2), (49, 10), (90, 18), (523, 110), (10000, 2000)],
)
def test_map_ranges_are_a_fifth_of_the_top_rounded_up(top, width):
    assert range_width(top) == width


CITY = charts.project(
    (slug, f["geometry"])
    for slug, f in zip(("srodmiescie", "wola", "praga-polnoc"), small_city()["features"],
                       strict=True)
)


def test_map_shades_places_names_and_leaves_unknown_districts_to_the_table():
    chart = charts.district_map(
        [
            charts.MapDistrict("srodmiescie", "Śródmieście", 523, href="/d/srodmiescie"),
            charts.MapDistrict("wola", "Wola", 62),
            charts.MapDistrict("praga-polnoc", "Praga-Północ", None),
            charts.MapDistrict("badalona", "Badalona", 40),
        ],
        CITY,
        attribution="Miasto",
    )

    assert [d.slug for d in chart.areas] == ["srodmiescie", "wola", "praga-polnoc"]
    assert [d.shade for d in chart.areas] == [4, 0, None]
    assert len(chart.districts) == 4 and chart.districts[3].path is None
    assert chart.linked and chart.hidden and chart.blanks == () and chart.drawn
    assert chart.viewbox == CITY.viewbox and chart.attribution == "Miasto"
    assert [(r.low, r.high) for r in chart.legend] == [
        (0, 109), (110, 219), (220, 329), (330, 439), (440, None)
    ]
    srodmiescie, wola, praga = chart.areas
    assert srodmiescie.lines == ("Śródmieście",) and praga.lines == ("Praga-", "Północ")
    assert praga.y == round(CITY.outlines["praga-polnoc"].y - 6 - 3, 1)
    # Names sit side by side in the lower band.
    assert srodmiescie.x < wola.x and srodmiescie.y == wola.y
    assert praga.path.count("M") == 2  # the island too


def test_map_without_shapes_keeps_the_table_only():
    chart = charts.district_map([charts.MapDistrict("wola", "Wola", 3)], None)

    assert not chart.drawn and not chart.empty and chart.districts[0].path is None


def test_map_of_zeros_uses_ranges_of_one():
    chart = charts.district_map([charts.MapDistrict("wola", "Wola", 0)], CITY)

    assert [(r.low, r.high) for r in chart.legend] == [(0, 0), (1, 1), (2, 2), (3, 3), (4, None)]
    assert chart.areas[0].shade == 0 and not chart.linked and not chart.hidden
    assert charts.district_map([]).empty


def test_name_lines():
    assert name_lines("Gràcia") == ("Gràcia",)
    assert name_lines("Sant Andreu") == ("Sant", "Andreu")
    assert name_lines("Les Corts") == ("Les Corts",)  # short enough for one line
    assert name_lines("Horta-Guinardó") == ("Horta-", "Guinardó")


@pytest.fixture(scope="module")
def babel_app():
    app = create_app(config_for("sqlite://"))
    with app.test_request_context():
        db.create_all()  # the city's settings (its time zone) are read from the database
        yield app


@pytest.mark.parametrize(
    "args,kwargs,text",
    [
        ((0.46,), {}, "46 %"),
        ((612, 1323), {}, "46 %"),
        ((0.125,), {}, "12 %"),  # half to even, as the dashboard always rounded
        ((0.135,), {}, "14 %"),
        ((23, 40), {}, "58 %"),
        ((0,), {}, "0 %"),
        ((13, 10), {}, "130 %"),
        ((12.4,), {}, "1,240 %"),
        ((2, 992), {"under_one": True}, "<1 %"),
        ((2, 992), {}, "0 %"),
        ((0, 992), {"under_one": True}, "0 %"),
        ((0.45,), {"signed": True}, "+45 %"),
        ((-0.12,), {"signed": True}, "-12 %"),
        ((-0.004,), {"signed": True}, "+0 %"),
        ((None,), {}, None),
    ],
)
def test_percent_prints_whole_percentages_with_a_space(babel_app, args, kwargs, text):
    assert percent(*args, **kwargs) == text


def test_percent_follows_the_locale(babel_app):
    with force_locale("es"):
        assert percent(12.4) == "1.240 %"
        assert percent(124) == "12.400 %"
    with force_locale("ca"):
        assert percent(124) == "12.400 %"
