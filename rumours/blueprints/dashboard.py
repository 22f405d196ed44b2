"""The campaign dashboard: the network's reach for coordinators, an organisation's for
its members, and an agent's own figures."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Role, Rumour
from ..permissions import organisation_ids, statistics_scope
from ..reports import dashboard as reports
from ..reports.filters import (
    FilterChoices,
    FilterError,
    ParsedFilters,
    filter_choices,
    parse_filters,
)
from ..reports.stats import OUTCOME_KEYS, SETTING_KEYS, Figures, raw_figures
from ..rules.labels import label
from ..rules.localtime import city_today

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@login_required
def index():
    """Coordinators: the whole network; members: their organisation; agents: their own
    figures. Filters (campaign, from, to, district, organisation, rumour) live in the URL."""
    try:
        parsed = parse_filters(request.args, today=city_today())
        errors = {}
    except FilterError as error:
        parsed, errors = parse_filters({}, today=city_today()), error.fields
    if current_user.role is Role.AGENT:
        return _agent_page(parsed, errors)
    parsed = statistics_scope(current_user, parsed)
    choices = _filter_choices()
    if errors:
        return render_template(
            "dashboard/index.html", parsed=parsed, errors=errors, choices=choices,
            args=request.args, board=None, charts=None,
        ), 400
    board = reports.dashboard(parsed.filters)
    return render_template(
        "dashboard/index.html",
        parsed=parsed,
        errors={},
        choices=choices,
        args=request.args,
        board=board,
        charts=_charts(board, parsed),
        share_url=url_for(".index", **parsed.query_args(), _external=True),
    )


def _agent_page(parsed: ParsedFilters, errors: dict):
    """An agent's own conversations: totals, outcomes, rumours and weeks."""
    filters = parsed.filters
    mine = raw_figures(filters, agent_id=current_user.id).get((), Figures())
    by_rumour = raw_figures(filters, ("rumour",), agent_id=current_user.id)
    by_week = raw_figures(filters, (), "week", agent_id=current_user.id)
    claims = dict(
        db.session.execute(
            select(Rumour.id, Rumour.claim).where(Rumour.id.in_([k[0] for k in by_rumour]))
        ).all()
    )
    weeks = reports.series(filters, "week", by_week)
    charts = SimpleNamespace(
        outcomes=_outcome_items(mine),
        rumours=[
            _bar(claims[k[0]], v.encounters)
            for k, v in sorted(by_rumour.items(), key=lambda kv: -kv[1].encounters)
        ],
        trend=_trend_points(weeks),
    )
    return render_template(
        "dashboard/agent.html", parsed=parsed, errors=errors, totals=mine, charts=charts,
        args=request.args,
    ), (400 if errors else 200)


def _filter_choices() -> FilterChoices:
    """The filter form's options: a member only sees their own organisations."""
    mine = organisation_ids(current_user) if current_user.role is Role.MEMBER else None
    return filter_choices(mine)


def _link(parsed: ParsedFilters, **changes) -> str:
    """This view with some filters changed (None removes one)."""
    args = parsed.query_args()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(".index") + "?" + urlencode(args)


def _outcome_items(figures: Figures) -> list:
    return [
        SimpleNamespace(key=k, label=label(k), value=figures.outcomes[k]) for k in OUTCOME_KEYS
    ]


def _trend_points(weeks) -> list:
    return [
        SimpleNamespace(
            label=format_date(monday, "d MMM"),
            title=_("week of %(day)s", day=format_date(monday, "d MMM yyyy")),
            value=value.encounters,
        )
        for monday, value in weeks
    ]


def _percent(part: float | None) -> str | None:
    return None if part is None else f"{round(part * 100)} %"


def _bar(label_text, value: int | None, href: str | None = None, note: str | None = None):
    """One bar of a `bars` chart."""
    return SimpleNamespace(label=label_text, value=value, href=href, note=note)


def _charts(board: reports.Dashboard, parsed: ParsedFilters) -> SimpleNamespace:
    """Dashboard figures shaped for the chart macros (labels, values, links)."""
    totals = board.totals
    training = board.training
    return SimpleNamespace(
        outcomes=_outcome_items(totals),
        settings=[
            _bar(label(k), totals.settings[k])
            for k in sorted(SETTING_KEYS, key=lambda k: -totals.settings[k])
        ],
        districts=[
            SimpleNamespace(
                slug=d.slug, label=d.name, value=f.encounters, href=_link(parsed, district=d.slug)
            )
            for d, f in board.districts
        ],
        rumours=[
            _bar(
                r.rumour.claim,
                r.figures.encounters,
                href=_link(parsed, rumour=r.rumour.slug),
                note=_("%(share)s open or doubting", share=_percent(r.figures.opened_share)),
            )
            for r in board.rumours
        ],
        trend=_trend_points(board.trend),
        campaigns=[
            SimpleNamespace(
                campaign=p.campaign,
                href=_link(parsed, campaign=p.campaign.slug, **{"from": None, "to": None}),
                items=[
                    SimpleNamespace(label=label(key), value=value, target=target)
                    for key, value, target in p.items()
                ],
            )
            for p in board.campaigns
        ],
        agents=[_bar(label(k), v) for k, v in board.network.agents_by_status.items()],
        funnel=[
            _bar(_("signed up"), training.signed_up),
            _bar(_("attended the basic training"), training.trained),
            _bar(_("certified"), training.certified),
            _bar(_("active in the last %(days)s days", days=reports.ACTIVE_DAYS), training.active),
        ],
        percent=_percent,
        rising_minimum=reports.RISING_MINIMUM,
    )
