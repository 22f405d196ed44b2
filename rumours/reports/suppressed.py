"""The conversation figures of the indicators report after small-count suppression,
decided once for every table that publishes the same conversations (the summary's
totals, month by month, district by district), so that no hidden count can be worked
out from one table or from several together.

What is suppressed at all is `rules.disclosure.FIGURES`' decision: conversations,
people reached and outcomes. Complementary figures are chosen smallest first."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from ..exports.tables import SUPPRESSED
from ..rules.suppression import is_small, protect, suppress_table
from .stats import OUTCOME_KEYS, Figures

OUTCOMES = tuple(f"outcome_{key}" for key in OUTCOME_KEYS)
TOTAL = "total"


@dataclass
class Breakdowns:
    """Every conversation figure of the report by key, and the keys hidden. Keys are
    (table, row, figure) for a cell and ("total", figure) for the summary's totals."""

    values: dict[Hashable, int]
    hidden: set[Hashable]

    def get(self, *key):
        """The figure, or SUPPRESSED where it is hidden."""
        return SUPPRESSED if key in self.hidden else self.values[key]


def _values(tables: dict[str, list[tuple[Hashable, Figures]]], totals: Figures) -> dict:
    values: dict[Hashable, int] = {}
    for name, rows in tables.items():
        for row, figures in rows:
            values[(name, row, "conversations")] = figures.encounters
            values[(name, row, "people_reached")] = figures.people
            for key, outcome in zip(OUTCOME_KEYS, OUTCOMES, strict=True):
                values[(name, row, outcome)] = figures.outcomes[key]
    values[(TOTAL, "conversations")] = totals.encounters
    values[(TOTAL, "people_reached")] = totals.people
    for key, outcome in zip(OUTCOME_KEYS, OUTCOMES, strict=True):
        values[(TOTAL, outcome)] = totals.outcomes[key]
    return values


def equations(tables: dict[str, list], values: dict, figures: tuple[str, ...]) -> list[dict]:
    """What anyone can add up from the published tables: each row's conversations are
    its outcomes, each column adds up to the summary's total (for a table that covers
    every conversation), and the outcome totals add up to the conversations."""
    found: list[dict] = []
    for name, rows in tables.items():
        keys = [row for row, _figures in rows]
        if "conversations" in figures:
            for row in keys:
                found.append({(name, row, "conversations"): 1,
                              **{(name, row, outcome): -1 for outcome in OUTCOMES}})
        for figure in figures:
            column = {(name, row, figure): -1 for row in keys}
            if keys and sum(values[k] for k in column) == values[(TOTAL, figure)]:
                found.append({(TOTAL, figure): 1, **column})
    if "conversations" in figures:
        found.append({(TOTAL, "conversations"): 1, **{(TOTAL, o): -1 for o in OUTCOMES}})
    return found


def _line_by_line(tables: dict[str, list], values: dict, threshold: int) -> set:
    """Each table suppressed on its own (`suppress_table`: small cells, and a second
    cell on every line whose total is published), as the cells' keys."""
    hidden: set = set()
    for name, rows in tables.items():
        keys = [row for row, _figures in rows]
        outcomes = suppress_table(
            {(row, o): values[(name, row, o)] for row in keys for o in OUTCOMES}, threshold
        )
        hidden |= {(name, row, o) for row, o in outcomes.hidden}
        hidden |= {(name, row, "conversations") for row in keys
                   if outcomes.row_totals[row] is None}
        hidden |= {(TOTAL, o) for o in OUTCOMES if outcomes.column_totals.get(o, 0) is None}
        if keys and outcomes.grand_total is None:
            hidden.add((TOTAL, "conversations"))
        people = suppress_table(
            {(row, "people_reached"): values[(name, row, "people_reached")] for row in keys},
            threshold,
            # A row whose conversations are hidden says nothing of its people either.
            also_hide=[(row, "people_reached") for row in keys
                       if (name, row, "conversations") in hidden],
        )
        hidden |= {(name, row, "people_reached") for row, _p in people.hidden}
        if keys and people.grand_total is None:
            hidden.add((TOTAL, "people_reached"))
    return hidden


def suppress_breakdowns(
    tables: dict[str, list[tuple[Hashable, Figures]]], totals: Figures, threshold: int
) -> Breakdowns:
    """Hide small conversation figures and, table by table, a second figure on every
    line whose total is published; then check all `tables` and the summary's `totals`
    together as one system of equations and hide the smallest further figure until no
    hidden one can be worked out from what is published."""
    values = _values(tables, totals)
    hidden = _line_by_line(tables, values, threshold)
    hidden |= {k for k in values if k[0] == TOTAL and is_small(values[k], threshold)}
    everything = (*OUTCOMES, "conversations", "people_reached")
    hidden = protect(values, equations(tables, values, everything), hidden,
                     lambda key: values[key])
    return Breakdowns(values, hidden)
