"""The campaign dashboard: the network's reach for coordinators, an organisation's for
its members, and an agent's own figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..charts import (
    Bar,
    BarChart,
    DistrictMap,
    Goal,
    MapDistrict,
    OutcomeMix,
    Point,
    Progress,
    Segment,
    TrendLine,
    bar_chart,
    district_map,
    outcome_mix,
    progress,
    trend_line,
)
from ..extensions import db
from ..models import Campaign, Role, Rumour
from ..permissions import organisation_ids, statistics_scope
from ..reports import dashboard as reports
from ..reports.emerging import emerging, public_report_rows, public_reports_by_rumour
from ..reports.filters import (
    FilterChoices,
    FilterError,
    ParsedFilters,
    filter_choices,
    parse_filters,
)
from ..reports.geography import shapes
from ..reports.people import ACTIVE_DAYS
from ..reports.stats import OUTCOME_KEYS, SETTING_KEYS, Figures, raw_figures
from ..rules.city import city
from ..rules.labels import label
from ..rules.localtime import city_today
from ..web.i18n import claim, current_locale
from ..web.templating import percent

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
    coordinator = current_user.role is Role.COORDINATOR
    public = public_reports_by_rumour(parsed.filters) if coordinator else None
    return render_template(
        "dashboard/index.html",
        parsed=parsed,
        errors={},
        choices=choices,
        args=request.args,
        board=board,
        charts=_charts(board, parsed, public),
        share_url=url_for(".index", **parsed.query_args(), _external=True),
        emerging=emerging() if coordinator else None,
        public_reports=(
            public_report_rows(public, parsed.filters, board.heard) if public is not None else None
        ),
    )


def _agent_page(parsed: ParsedFilters, errors: dict):
    """An agent's own conversations: totals, outcomes, rumours and weeks."""
    filters = parsed.filters
    mine = raw_figures(filters, agent_id=current_user.id).get((), Figures())
    by_rumour = raw_figures(filters, ("rumour",), agent_id=current_user.id)
    by_week = raw_figures(filters, (), "week", agent_id=current_user.id)
    claims = {
        rumour.id: claim(rumour)
        for rumour in db.session.scalars(
            select(Rumour).where(Rumour.id.in_([k[0] for k in by_rumour]))
        )
    }
    charts = AgentCharts(
        outcomes=_outcome_mix(mine),
        rumours=bar_chart(
            Bar(claims[k[0]], v.encounters)
            for k, v in sorted(by_rumour.items(), key=lambda kv: -kv[1].encounters)
        ),
        trend=_trend(reports.series(filters, "week", by_week)),
    )
    return render_template(
        "dashboard/agent.html", parsed=parsed, errors=errors, totals=mine, charts=charts,
        args=request.args,
    ), (400 if errors else 200)


def _filter_choices() -> FilterChoices:
    """The filter form's options: a member only sees their own organisations."""
    mine = organisation_ids(current_user) if current_user.role is Role.MEMBER else None
    return filter_choices(mine, current_locale())


class _Links:
    """Links to this view with some filters changed (None removes one). The page's address
    and query are worked out once and each distinct link once: a page links a hundred
    places (every district and neighbourhood on the maps, every rumour and campaign)."""

    def __init__(self, parsed: ParsedFilters):
        self.base = url_for(".index") + "?"
        self.args = parsed.query_args()
        self.made: dict[tuple, str] = {}

    def __call__(self, **changes) -> str:
        key = tuple(changes.items())
        link = self.made.get(key)
        if link is None:
            args = dict(self.args)
            for name, value in changes.items():
                if value is None:
                    args.pop(name, None)
                else:
                    args[name] = value
            link = self.made[key] = self.base + urlencode(args)
        return link


def _outcome_mix(figures: Figures) -> OutcomeMix:
    """How conversations ended, one segment per outcome in the model's order."""
    return outcome_mix(
        Segment(key=k, label=label(k), value=figures.outcomes[k]) for k in OUTCOME_KEYS
    )


def _trend(weeks: list[tuple[date, Figures]]) -> TrendLine:
    """A column per week, labelled by its Monday."""
    locale = current_locale()
    points = []
    for monday, value in weeks:
        label, title = _week_labels(locale, monday)
        points.append(Point(label=label, title=title, value=value.encounters))
    return trend_line(points)


@lru_cache(maxsize=4096)
def _week_labels(locale: str, monday: date) -> tuple[str, str]:
    """A week's label and title in the reader's `locale` (the current one), worked out once
    per week: a year's trend names 52 Mondays twice, and babel's dates are slow."""
    return (
        format_date(monday, "d MMM"),
        _("week of %(day)s", day=format_date(monday, "d MMM yyyy")),
    )


@dataclass(frozen=True)
class CampaignChart:
    """A campaign's card: its progress and a link to the dashboard filtered to it."""

    campaign: Campaign
    href: str
    progress: Progress


@dataclass(frozen=True)
class DashboardCharts:
    """The dashboard's figures as chart geometry, with labels and links."""

    outcomes: OutcomeMix
    settings: BarChart
    districts: DistrictMap
    neighbourhoods: DistrictMap
    rumours: BarChart
    trend: TrendLine
    campaigns: list[CampaignChart]
    agents: BarChart
    funnel: BarChart
    outcome_keys: tuple[str, ...] = OUTCOME_KEYS
    rising_minimum: int = reports.RISING_MINIMUM


@dataclass(frozen=True)
class AgentCharts:
    """An agent's own figures as chart geometry."""

    outcomes: OutcomeMix
    rumours: BarChart
    trend: TrendLine


def _rumour_note(count: reports.RumourCount, reported: int) -> str:
    opened = _("%(share)s open or doubting", share=percent(count.figures.opened_share))
    if not reported:
        return opened
    return opened + " · " + ngettext(
        "%(num)d reported by the public", "%(num)d reported by the public", reported
    )


def _charts(
    board: reports.Dashboard, parsed: ParsedFilters, public: dict[int, int] | None = None
) -> DashboardCharts:
    """Dashboard figures shaped for the chart macros (labels, values, links); `public`:
    the public's reports per rumour id, noted beside each rumour heard (coordinators)."""
    public = public or {}
    link = _Links(parsed)
    totals = board.totals
    training = board.training
    return DashboardCharts(
        outcomes=_outcome_mix(totals),
        settings=bar_chart(
            Bar(label(k), totals.settings[k])
            for k in sorted(SETTING_KEYS, key=lambda k: -totals.settings[k])
        ),
        districts=district_map(
            (
                MapDistrict(d.slug, d.name, f.encounters, href=link(district=d.slug))
                for d, f in board.districts
            ),
            shapes("district"),
            attribution=city().map_attribution,
        ),
        neighbourhoods=district_map(
            (
                MapDistrict(n.slug, n.name, count, href=link(district=n.district_slug))
                for n, count in board.neighbourhoods
                if count or not n.retired
            ),
            shapes("neighbourhood"),
            attribution=city().map_attribution,
            labels=False,
        ),
        rumours=bar_chart(
            Bar(
                claim(r.rumour),
                r.figures.encounters,
                href=link(rumour=r.rumour.slug),
                note=_rumour_note(r, public.get(r.rumour.id, 0)),
            )
            for r in board.rumours
        ),
        trend=_trend(board.trend),
        campaigns=[
            CampaignChart(
                campaign=p.campaign,
                href=link(campaign=p.campaign.slug, **{"from": None, "to": None}),
                progress=progress(
                    Goal(label(key), value, target) for key, value, target in p.items()
                ),
            )
            for p in board.campaigns
        ],
        agents=bar_chart(Bar(label(k), v) for k, v in board.network.agents_by_status.items()),
        funnel=bar_chart(
            [
                Bar(_("signed up"), training.signed_up),
                Bar(_("attended the basic training"), training.trained),
                Bar(_("certified"), training.certified),
                Bar(_("active in the last %(days)s days", days=ACTIVE_DAYS), training.active),
            ]
        ),
    )
