"""Small counts never leave the app, and no hidden count can be worked out from totals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumours.rules.suppression import (
    escape_formula,
    is_small,
    suppress_counts,
    suppress_table,
)

counts = st.integers(min_value=0, max_value=60)
tables = st.dictionaries(
    st.tuples(st.sampled_from("ABCDE"), st.sampled_from("vwxyz")),
    counts,
    min_size=1,
    max_size=25,
)
thresholds = st.integers(min_value=5, max_value=15)


@given(tables, thresholds)
@settings(max_examples=300, deadline=None)
def test_no_small_count_is_published(cells, threshold):
    table = suppress_table(cells, threshold)
    published = [v for v in table.cells.values() if v is not None]
    published += [v for v in table.row_totals.values() if v is not None]
    published += [v for v in table.column_totals.values() if v is not None]
    if table.grand_total is not None:
        published.append(table.grand_total)
    assert not any(is_small(v, threshold) for v in published)


@given(tables, thresholds)
@settings(max_examples=300, deadline=None)
def test_a_hidden_cell_is_never_alone_on_a_line_with_a_published_total(cells, threshold):
    table = suppress_table(cells, threshold)
    rows = {r for r, _ in table.cells}
    columns = {c for _, c in table.cells}
    for r in rows:
        if table.row_totals[r] is not None:
            hidden = [c for c in columns if table.cells[(r, c)] is None]
            assert len(hidden) != 1, (r, hidden)
    for c in columns:
        if table.column_totals[c] is not None:
            hidden = [r for r in rows if table.cells[(r, c)] is None]
            assert len(hidden) != 1, (c, hidden)
    if table.grand_total is not None:
        assert sum(v is None for v in table.row_totals.values()) != 1
        assert sum(v is None for v in table.column_totals.values()) != 1


@given(tables, thresholds)
@settings(max_examples=200, deadline=None)
def test_published_values_are_the_true_values(cells, threshold):
    table = suppress_table(cells, threshold)
    for cell, value in table.cells.items():
        if value is not None:
            assert value == cells.get(cell, 0)
    for r, total in table.row_totals.items():
        if total is not None:
            assert total == sum(v for (row, _), v in cells.items() if row == r)


def test_a_worked_example():
    cells = {
        ("Raval", "market"): 3,
        ("Raval", "bar"): 40,
        ("Raval", "street"): 25,
        ("Gràcia", "market"): 30,
        ("Gràcia", "bar"): 12,
        ("Gràcia", "street"): 20,
    }
    table = suppress_table(cells, 10)
    assert table.hidden_primary == {("Raval", "market")}
    # Raval's total is published, so another Raval cell goes (the smallest: street, 25),
    # and in the market and street columns a Gràcia cell must go too.
    assert table.cells[("Raval", "street")] is None
    assert table.cells[("Gràcia", "market")] is None and table.cells[("Gràcia", "street")] is None
    assert table.cells[("Raval", "bar")] == 40 and table.grand_total == 130


def test_one_way_counts():
    result = suppress_counts({"market": 120, "bar": 4, "street": 33, "online": 0}, 10)
    assert result["bar"] is None and result["street"] is None  # street protects bar
    assert result["market"] == 120 and result["online"] == 0


def test_threshold_is_never_below_five():
    with pytest.raises(ValueError):
        suppress_table({("a", "b"): 3}, 4)


@given(st.text())
def test_formula_escaping(text):
    escaped = escape_formula(text)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert escaped.endswith(text) and len(escaped) - len(text) in (0, 1)


def test_formula_escaping_examples():
    assert escape_formula('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert escape_formula("-5") == "'-5"
    assert escape_formula("Sant Martí") == "Sant Martí"
    assert escape_formula(42) == 42


@given(st.data(), tables, thresholds)
@settings(max_examples=200, deadline=None)
def test_cells_hidden_elsewhere_stay_hidden_and_protected(data, cells, threshold):
    forced = data.draw(st.sets(st.sampled_from(sorted(cells))), label="also_hide")
    table = suppress_table(cells, threshold, also_hide=forced)
    for cell in forced:
        if cells[cell] > 0:
            assert table.cells[cell] is None
    rows = {r for r, _ in table.cells}
    columns = {c for _, c in table.cells}
    for r in rows:
        if table.row_totals[r] is not None:
            assert sum(table.cells[(r, c)] is None for c in columns) != 1
    for c in columns:
        if table.column_totals[c] is not None:
            assert sum(table.cells[(r, c)] is None for r in rows) != 1


# ---------------------------------------------------------------------------
# The indicators report's tables checked together (rumours.reports.suppressed)
# ---------------------------------------------------------------------------

from rumours.exports.tables import SUPPRESSED  # noqa: E402
from rumours.reports.stats import OUTCOME_KEYS, Figures  # noqa: E402
from rumours.reports.suppressed import (  # noqa: E402
    TOTAL,
    equations,
    suppress_breakdowns,
)
from rumours.rules.suppression import worked_out  # noqa: E402

outcome_counts = st.lists(st.integers(min_value=0, max_value=40), min_size=4, max_size=4)


def _figures(counts, people_extra=0):
    figures = Figures(outcomes=dict(zip(OUTCOME_KEYS, counts, strict=True)))
    figures.encounters = sum(counts)
    figures.people = figures.encounters + people_extra
    return figures


@st.composite
def reports(draw):
    """Conversations split two ways (by month and by district) over the same period."""
    months = draw(st.lists(outcome_counts, min_size=1, max_size=4))
    month_rows = [(f"m{i}", _figures(c, draw(st.integers(0, 9)))) for i, c in enumerate(months)]
    totals = Figures()
    for _key, figures in month_rows:
        totals.add(figures)
    # The districts share the same outcome totals: deal each outcome's total out.
    n = draw(st.integers(min_value=1, max_value=4))
    districts = [[0] * 4 for _ in range(n)]
    for index, key in enumerate(OUTCOME_KEYS):
        for _ in range(totals.outcomes[key]):
            districts[draw(st.integers(0, n - 1))][index] += 1
    district_rows = [(f"d{i}", _figures(c)) for i, c in enumerate(districts)]
    extra = totals.people - sum(f.people for _k, f in district_rows)
    district_rows[0][1].people += extra
    return {"month": month_rows, "district": district_rows}, totals


@given(reports(), thresholds)
@settings(max_examples=25, deadline=None)
def test_no_hidden_figure_of_the_report_can_be_worked_out_from_all_its_tables(report, threshold):
    tables, totals = report
    result = suppress_breakdowns(tables, totals, threshold)
    published = {k: v for k, v in result.values.items() if k not in result.hidden}
    assert not any(is_small(v, threshold) for v in published.values())
    every = ("outcome_open", "outcome_doubt_sown", "outcome_unchanged", "outcome_hostile",
             "conversations", "people_reached")
    assert worked_out(equations(tables, result.values, every), result.hidden) == set()
    # A month or district whose conversations are hidden hides its people too.
    for key in result.hidden:
        if key[0] != TOTAL and key[-1] == "conversations":
            assert (key[0], key[1], "people_reached") in result.hidden


def test_worked_out_finds_a_cell_left_alone_on_a_line():
    line = [{"total": 1, "a": -1, "b": -1, "c": -1}]
    assert worked_out(line, {"a"}) == {"a"}
    assert worked_out(line, {"a", "b"}) == set()
    assert worked_out(line + [{"a": 1, "b": -1}], {"a", "b"}) == {"a", "b"}


def test_a_month_of_807_conversations_keeps_its_outcomes_when_a_smaller_month_can_protect():
    # November's 3 hostile conversations must hide, and a second hostile count with them.
    # October (807 conversations) has fewer hostile ones than September (300), but it is
    # September, the smaller month, that gives up its cells: October's breakdown shows.
    months = [
        ("2026-09", _figures([80, 120, 60, 40])),
        ("2026-10", _figures([250, 342, 200, 15])),
        ("2026-11", _figures([20, 30, 25, 3])),
    ]
    totals = Figures()
    for _key, figures in months:
        totals.add(figures)
    result = suppress_breakdowns(
        {"month": months, "district": [("d0", _figures(list(totals.outcomes.values())))]},
        totals,
        10,
    )
    october = [result.get("month", "2026-10", f"outcome_{key}") for key in OUTCOME_KEYS]
    assert october == [250, 342, 200, 15]
    assert result.get("month", "2026-10", "conversations") == 807
    assert result.get("month", "2026-11", "outcome_hostile") is SUPPRESSED
    assert result.get("month", "2026-09", "outcome_hostile") is SUPPRESSED
    # The period's totals stay published.
    assert [result.get(TOTAL, f"outcome_{key}") for key in OUTCOME_KEYS] == [350, 492, 285, 58]
