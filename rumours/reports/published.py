"""Dashboard figures as they may leave the app (`/api/v1/stats`): the same numbers as
the dashboard, with counts of people below the threshold hidden (None), and a second
count hidden wherever a hidden one could be worked out from a published total."""

from __future__ import annotations

from ..rules.suppression import is_small, suppress_counts, suppress_table
from .dashboard import Dashboard
from .filters import ParsedFilters
from .stats import OUTCOME_KEYS, SETTING_KEYS, Figures


def _single(value: int, threshold: int) -> int | None:
    return None if is_small(value, threshold) else value


def _figures(figures: Figures, threshold: int) -> dict:
    """Totals with their outcome and setting breakdowns; each breakdown sums to the
    published total, so it is suppressed as one line."""
    encounters = _single(figures.encounters, threshold)
    outcomes = suppress_counts(figures.outcomes, threshold)
    settings = suppress_counts(figures.settings, threshold)
    if encounters is None:
        outcomes = dict.fromkeys(OUTCOME_KEYS)
        settings = dict.fromkeys(SETTING_KEYS)
    return {
        "encounters": encounters,
        "people_reached": _single(figures.people, threshold),
        "outcomes": outcomes,
        "settings": settings,
    }


def stats_json(parsed: ParsedFilters, board: Dashboard, threshold: int) -> dict:
    """The JSON body of `/api/v1/stats` for one view."""
    f = parsed.filters
    districts = suppress_counts(
        {d.slug: figures.encounters for d, figures in board.districts}, threshold
    )
    district_people = suppress_counts(
        {d.slug: figures.people for d, figures in board.districts}, threshold
    )
    weeks = suppress_counts(
        {monday.isoformat(): figures.encounters for monday, figures in board.trend}, threshold
    )
    # Counts of the network's own size are never suppressed (rules.disclosure).
    agents = dict(board.network.agents_by_status)
    rebuttal_cells = suppress_table(
        {
            (i, key): r.figures.outcomes[key]
            for i, r in enumerate(board.rebuttals)
            for key in OUTCOME_KEYS
        },
        threshold,
    )
    training = board.training
    return {
        "filters": {
            "from": f.start.isoformat(),
            "to": f.end.isoformat(),
            "campaign": parsed.campaign.slug if parsed.campaign else None,
            "district": parsed.district.slug if parsed.district else None,
            "organisation": parsed.organisation.slug if parsed.organisation else None,
            "rumour": parsed.rumour.slug if parsed.rumour else None,
        },
        "suppression": {
            "threshold": threshold,
            "note": (
                f"Counts from 1 to {threshold - 1} are null, and so is a second count "
                "wherever a hidden one could be worked out from a total."
            ),
        },
        "conversations": _figures(board.totals, threshold),
        "previous_period": _figures(board.previous_totals, threshold),
        "districts": [
            {
                "district": d.slug,
                "name": d.name,
                "encounters": districts[d.slug],
                "people_reached": district_people[d.slug],
            }
            for d, _ in board.districts
        ],
        "rumours": [
            {
                "rumour": r.rumour.slug,
                "claim": r.rumour.claim,
                "encounters": _single(r.figures.encounters, threshold),
            }
            for r in board.rumours
        ],
        "weeks": [
            {"week": monday.isoformat(), "encounters": weeks[monday.isoformat()]}
            for monday, _ in board.trend
        ],
        "rebuttals": [
            {
                "rumour": r.rumour.slug,
                "language": r.rebuttal.language if r.rebuttal else None,
                "version": r.rebuttal.version if r.rebuttal else None,
                "encounters": _single(r.figures.encounters, threshold),
                "outcomes": {key: rebuttal_cells.cells[(i, key)] for key in OUTCOME_KEYS},
            }
            for i, r in enumerate(board.rebuttals)
        ],
        "rising": [
            {
                "district": r.district.slug,
                "rumour": r.rumour.slug,
                "encounters": _single(r.now, threshold),
                "before": _single(r.before, threshold),
            }
            for r in board.rising
        ],
        "campaigns": [
            {
                "campaign": p.campaign.slug,
                "name": p.campaign.name,
                "from": p.campaign.starts_on.isoformat(),
                "to": p.campaign.ends_on.isoformat(),
                "progress": {
                    key: {
                        "value": _single(value, threshold)
                        if key in ("encounters", "people_reached") else value,
                        "target": target,
                    }
                    for key, value, target in p.items()
                },
            }
            for p in board.campaigns
        ],
        "network": {
            "organisations": board.network.organisations,
            "agents_by_status": agents,
        },
        "training": {
            "sessions": training.sessions,
            "hours": training.hours,
            "places_taken": training.places_taken,
            "attended": training.attended,
            "signed_up": training.signed_up,
            "trained": training.trained,
            "certified": training.certified,
            "active_last_30_days": training.active,
        },
    }
