"""Summary tables: encounter counts per period and dimensions, shaped for the dashboard.

A million encounters take a second or more to GROUP BY; the dashboard reads these
tables instead. They are kept equal to the raw rows in the same transaction as every
write: a flush that changes encounters first subtracts their old contribution, then
adds the new one (an upsert that adds to the counts, safe with several app servers).
Bulk loads count their rows in Python as they make them (`StagedCounts`) and add them
with `add_staged`; `flask stats rebuild` recomputes every table from the raw rows.

A new encounter (the common write: a POST from a phone) is counted from the values
already in memory: its contribution to each table is worked out in Python and sent as
one prepared upsert per table (`INSERT ... VALUES ... ON CONFLICT DO UPDATE`), instead of
nine `INSERT ... SELECT`s that read the rows just written back. On PostgreSQL a POST's
encounter goes through one database function that runs the same upserts
(`rumours_add_encounter`, created by its migration). Changes to existing encounters
(corrections, deletions, exclusions) subtract and add through SQL.

The same writes keep the review's "many in a few minutes" flag on each conversation
(`bursts`): they recount the agent's conversations around the times they touch.
"""

from .bulk import StagedCounts, add_staged, mismatches, rebuild
from .bursts import (
    BURST_COUNT,
    BURST_WINDOW,
    insert_flagged,
    lock_agents,
    recount_all_bursts,
)
from .bursts import recount as recount_bursts
from .bursts import recount_new as recount_new_bursts
from .deltas import (
    ADD_ENCOUNTER,
    NewEncounter,
    add_contributions,
    add_encounter_body,
    add_encounter_call,
    apply_delta,
    contributions,
    write_contributions,
)
from .listeners import init_app
from .tables import (
    GRAINS,
    SUMMARIES,
    Summary,
    dimension_column,
    encounter_rows,
    measure_columns,
    month_start,
    week_start,
)

__all__ = [
    "BURST_COUNT",
    "BURST_WINDOW",
    "insert_flagged",
    "lock_agents",
    "recount_all_bursts",
    "recount_bursts",
    "recount_new_bursts",
    "GRAINS",
    "NewEncounter",
    "SUMMARIES",
    "Summary",
    "ADD_ENCOUNTER",
    "add_contributions",
    "add_encounter_body",
    "add_encounter_call",
    "write_contributions",
    "StagedCounts",
    "add_staged",
    "apply_delta",
    "contributions",
    "dimension_column",
    "encounter_rows",
    "init_app",
    "measure_columns",
    "mismatches",
    "month_start",
    "rebuild",
    "week_start",
]
