"""Small-count suppression and spreadsheet-safe cells for every statistic that leaves the app.

DESIGN.md: counts below a threshold (default 10, never below 5) are hidden, and a second
cell is hidden wherever the first could be worked out from a published total. For a
table with row and column totals that means: every row and every column whose total is
published has either no hidden cell or at least two. A complementary cell is taken from
the smallest line first (so a month of 800 conversations keeps its breakdown when a
month of 300 can protect the hidden cell instead), then the smallest value. Several
tables about the same people are then checked together as one system of equations
(`worked_out`, `protect`).
"""

from collections.abc import Hashable, Iterable, Mapping

MINIMUM_THRESHOLD = 5
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Cell = tuple[Hashable, Hashable]


def check_threshold(threshold: int) -> int:
    """The threshold to use; refusing anything below the floor of 5."""
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"the suppression threshold is never below {MINIMUM_THRESHOLD}")
    return threshold


def is_small(count: int, threshold: int) -> bool:
    """Counts from 1 to threshold-1 identify too few people to publish; 0 is safe."""
    return 0 < count < threshold


def suppress_counts(counts: Mapping[Hashable, int], threshold: int) -> dict[Hashable, int | None]:
    """A one-way list of counts whose total is published: None where hidden."""
    table = suppress_table({(key, "count"): value for key, value in counts.items()}, threshold)
    return {key: table.cells[(key, "count")] for key in counts}


class SuppressedTable:
    """A table's cells and totals after suppression: None marks a hidden value."""

    def __init__(
        self, cells, row_totals, column_totals, grand_total, hidden_primary, hidden_secondary
    ):
        self.cells: dict[Cell, int | None] = cells
        self.row_totals: dict[Hashable, int | None] = row_totals
        self.column_totals: dict[Hashable, int | None] = column_totals
        self.grand_total: int | None = grand_total
        self.hidden_primary: set[Cell] = hidden_primary
        self.hidden_secondary: set[Cell] = hidden_secondary

    @property
    def hidden(self) -> set[Cell]:
        return self.hidden_primary | self.hidden_secondary


def suppress_table(
    cells: Mapping[Cell, int], threshold: int, also_hide: Iterable[Cell] = ()
) -> SuppressedTable:
    """Hide small cells (and `also_hide`: cells another table already hides about the
    same people) and enough complementary cells that no hidden one can be recovered from
    the published row, column or grand totals. A complementary cell is taken from the
smallest other line (by its total), then the smallest value."""
    check_threshold(threshold)
    rows = sorted({r for r, _ in cells}, key=repr)
    columns = sorted({c for _, c in cells}, key=repr)
    value = {(r, c): cells.get((r, c), 0) for r in rows for c in columns}
    row_total = {r: sum(value[(r, c)] for c in columns) for r in rows}
    column_total = {c: sum(value[(r, c)] for r in rows) for c in columns}
    grand = sum(row_total.values())

    primary = {cell for cell, count in value.items() if is_small(count, threshold)}
    primary |= {cell for cell in also_hide if value.get(cell, 0) > 0}
    hidden = set(primary)
    # Small totals are hidden too; a hidden total protects its own line.
    hidden_rows = {r for r in rows if is_small(row_total[r], threshold)}
    hidden_columns = {c for c in columns if is_small(column_total[c], threshold)}
    grand_hidden = is_small(grand, threshold)

    def lines():
        # Each line with, for each of its cells, the total of the cell's other line.
        for r in rows:
            if r not in hidden_rows:
                yield hidden_rows, r, [(r, c) for c in columns], lambda cell: column_total[cell[1]]
        for c in columns:
            if c not in hidden_columns:
                yield hidden_columns, c, [(r, c) for r in rows], lambda cell: row_total[cell[0]]

    changed = True
    while changed:
        changed = False
        for hidden_totals, key, line, other_line in lines():
            hidden_in_line = [cell for cell in line if cell in hidden]
            if len(hidden_in_line) != 1 or key in hidden_totals:
                continue
            candidates = [cell for cell in line if cell not in hidden and value[cell] > 0]
            if not candidates:
                # Only zeros left: the hidden value equals the total; hide the total instead.
                hidden_totals.add(key)
                changed = True
                continue
            # From the smallest other line first (a month or district with fewer
            # conversations gives up a cell before a larger one), then the smallest cell.
            hidden.add(
                min(candidates, key=lambda cell: (other_line(cell), value[cell], repr(cell)))
            )
            changed = True
        # The grand total with one hidden row or column total left would give it away.
        for group, totals, hidden_set in (
            (rows, row_total, hidden_rows),
            (columns, column_total, hidden_columns),
        ):
            if not grand_hidden and len(hidden_set) == 1:
                others = [k for k in group if k not in hidden_set and totals[k] > 0]
                if others:
                    hidden_set.add(min(others, key=lambda k: (totals[k], repr(k))))
                else:
                    grand_hidden = True
                changed = True

    return SuppressedTable(
        cells={cell: None if cell in hidden else count for cell, count in value.items()},
        row_totals={r: None if r in hidden_rows else row_total[r] for r in rows},
        column_totals={c: None if c in hidden_columns else column_total[c] for c in columns},
        grand_total=None if grand_hidden else grand,
        hidden_primary=primary,
        hidden_secondary=hidden - primary,
    )


def escape_formula(value):
    """Make a text cell inert in spreadsheets: a leading = + - @ tab or CR gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# ---------------------------------------------------------------------------
# Several tables about the same people, checked as one system of equations
# ---------------------------------------------------------------------------

# Exact linear algebra modulo a large prime: the figures' equations have coefficients
# 0 and ±1, so a rank found modulo this prime is the rational one.
_PRIME = 2**61 - 1
Equation = Mapping[Hashable, int]


def worked_out(equations: Iterable[Equation], hidden: set) -> set:
    """The hidden figures that the published ones determine exactly: a hidden figure is
    recoverable when the equations (each a {figure: coefficient} summing to zero), with
    the published figures filled in, pin it down."""
    order = {key: i for i, key in enumerate(sorted(hidden, key=repr))}
    basis: dict[int, dict[int, int]] = {}  # pivot column -> row with that smallest column

    def reduce(row: dict[int, int]) -> dict[int, int]:
        while True:
            pivots = [col for col in row if col in basis]
            if not pivots:
                return row
            col = min(pivots)
            factor = row[col]
            for c, v in basis[col].items():
                updated = (row.get(c, 0) - factor * v) % _PRIME
                if updated:
                    row[c] = updated
                else:
                    row.pop(c, None)

    for equation in equations:
        row = {order[k]: c % _PRIME for k, c in equation.items() if k in order and c % _PRIME}
        row = reduce(row)
        if row:
            pivot = min(row)
            inverse = pow(row[pivot], _PRIME - 2, _PRIME)
            basis[pivot] = {c: v * inverse % _PRIME for c, v in row.items()}
    return {key for key, i in order.items() if not reduce({i: 1})}


def protect(values: Mapping[Hashable, int], equations: list[Equation], primary: Iterable,
            cost) -> set:
    """The figures to hide: `primary` and, one at a time, the cheapest further figure
    (by `cost(key)`) that stops a hidden one being worked out, until none can be.
    A figure is only chosen from an equation the recoverable one is in."""
    hidden = {key for key in primary if values[key] > 0}
    while leaks := sorted(worked_out(equations, hidden), key=repr):
        leak = leaks[0]
        near = sorted(
            {k for eq in equations if leak in eq for k in eq if k not in hidden},
            key=lambda k: (values[k] == 0, cost(k), repr(k)),
        )
        if not near:
            break
        stops = next(
            (k for k in near if leak not in worked_out(equations, hidden | {k})), None
        )
        hidden.add(stops if stops is not None else near[0])
    return hidden
