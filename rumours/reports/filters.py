"""The filters every statistic takes (dashboard, `/api/v1/stats`, exports), parsed
from a query string with a clear message for each bad value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal_column, union_all

from ..extensions import db
from ..models import Campaign, District, Organisation, Rumour, RumourClaim, RumourStatus
from ..rules.inputs import date_problem

# Longest period a view may ask for: ten years keeps every query bounded.
MAX_PERIOD_DAYS = 3660
FILTER_KEYS = ("campaign", "from", "to", "district", "organisation", "rumour")


class FilterError(ValueError):
    """Bad filter values: `fields` maps each query parameter to its messages."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(str(m) for ms in fields.values() for m in ms))
        self.fields = fields


@dataclass(frozen=True)
class StatsFilter:
    """One view of the statistics: a period (inclusive, city days) and optional
    campaign, district, organisation and rumour ids."""

    start: date
    end: date
    campaign_id: int | None = None
    district_id: int | None = None
    organisation_id: int | None = None
    rumour_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> StatsFilter:
        """The period of the same length just before this one (whole months stay
        whole months, so a quarter compares with the quarter before)."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            start = add_months(self.start, -months)
            return replace(self, start=start, end=self.start - timedelta(days=1))
        return replace(
            self,
            start=self.start - timedelta(days=self.days),
            end=self.start - timedelta(days=1),
        )

    def dimension_ids(self) -> dict[str, int]:
        """The dimensions this view is limited to, e.g. {"district": 3}."""
        ids = {
            "campaign": self.campaign_id,
            "district": self.district_id,
            "organisation": self.organisation_id,
            "rumour": self.rumour_id,
        }
        return {name: value for name, value in ids.items() if value is not None}


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def default_period(today: date) -> tuple[date, date]:
    """The last three calendar months, this one included: recent enough to act on, long
    enough to compare with the three months before."""
    return add_months(today, -2), month_end(today)


@dataclass(frozen=True)
class ParsedFilters:
    """A validated filter with the objects it names (for headings and links)."""

    filters: StatsFilter
    campaign: Campaign | None = None
    district: District | None = None
    organisation: Organisation | None = None
    rumour: Rumour | None = None

    def query_args(self) -> dict[str, str]:
        """The query string that reproduces this view (for shareable links)."""
        args = {"from": self.filters.start.isoformat(), "to": self.filters.end.isoformat()}
        for key in ("campaign", "district", "organisation", "rumour"):
            obj = getattr(self, key)
            if obj is not None:
                args[key] = obj.slug
        return args


def _parse_date(value: str, errors: dict, key: str, message) -> date | None:
    """The ISO day in `value`; a message under `key` when it is none or out of the window."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors[key] = [message]
        return None
    if problem := date_problem(day):
        errors[key] = [problem]
        return None
    return day


def parse_filters(args: Mapping[str, str], *, today: date) -> ParsedFilters:
    """Read `campaign`, `from`, `to`, `district`, `organisation` and `rumour` (slugs and
    ISO dates) from a query string. Without dates the period is the campaign's, or the
    last three months. Raises FilterError naming each bad parameter."""
    errors: dict[str, list[str]] = {}

    def lookup(key: str, model):
        slug = (args.get(key) or "").strip()
        if not slug:
            return None
        found = db.session.scalar(db.select(model).where(model.slug == slug))
        if found is None:
            errors[key] = [_l("Nothing called “%(slug)s” here.", slug=slug[:80])]
        return found

    campaign = lookup("campaign", Campaign)
    district = lookup("district", District)
    organisation = lookup("organisation", Organisation)
    rumour = lookup("rumour", Rumour)

    start_text, end_text = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    start = end = None
    if start_text:
        start = _parse_date(
            start_text, errors, "from", _l("Give the first day as a date (YYYY-MM-DD).")
        )
    if end_text:
        end = _parse_date(end_text, errors, "to", _l("Give the last day as a date (YYYY-MM-DD)."))
    if campaign is not None:
        start = start or campaign.starts_on
        end = end or campaign.ends_on
    default_start, default_end = default_period(today)
    if start is None and end is None:
        start, end = default_start, default_end
    elif start is None:
        start = add_months(end, -2)
    elif end is None:
        end = max(start, default_end)
    if "from" not in errors and "to" not in errors:
        if end < start:
            errors["to"] = [_l("The period ends before it starts.")]
        elif (end - start).days >= MAX_PERIOD_DAYS:
            errors["to"] = [_l("Choose a period of at most ten years.")]
    if errors:
        raise FilterError(errors)
    return ParsedFilters(
        filters=StatsFilter(
            start=start,
            end=end,
            campaign_id=campaign.id if campaign else None,
            district_id=district.id if district else None,
            organisation_id=organisation.id if organisation else None,
            rumour_id=rumour.id if rumour else None,
        ),
        campaign=campaign,
        district=district,
        organisation=organisation,
        rumour=rumour,
    )


@dataclass(frozen=True)
class Choice:
    """One option of a filter: the slug the URL carries and the name shown."""

    slug: str
    name: str


@dataclass(frozen=True)
class FilterChoices:
    """The options a filter form offers."""

    campaigns: list[Choice]
    districts: list[Choice]
    organisations: list[Choice]
    rumours: list[Choice]


def filter_choices(
    within_organisations: set[int] | None = None, language: str | None = None
) -> FilterChoices:
    """Campaigns, districts, organisations (only `within_organisations` when given: a
    member's own) and published rumours, each rumour's claim in `language` where it has
    been translated (the reader's), for the dashboard's and the exports' forms, in one
    statement (each list's order numbered in SQL)."""
    claim = func.coalesce(RumourClaim.claim, Rumour.claim)
    organisations = db.select(
        literal_column("'organisations'"),
        Organisation.slug,
        Organisation.name,
        func.row_number().over(order_by=Organisation.name),
    )
    if within_organisations is not None:
        organisations = organisations.where(Organisation.id.in_(within_organisations))
    statement = union_all(
        db.select(
            literal_column("'campaigns'"),
            Campaign.slug,
            Campaign.name,
            func.row_number().over(order_by=Campaign.starts_on.desc()),
        ),
        db.select(
            literal_column("'districts'"),
            District.slug,
            District.name,
            func.row_number().over(order_by=(District.position, District.code)),
        ),
        organisations,
        db.select(
            literal_column("'rumours'"),
            Rumour.slug,
            claim,
            func.row_number().over(order_by=claim),
        )
        .outerjoin(
            RumourClaim,
            and_(RumourClaim.rumour_id == Rumour.id, RumourClaim.language == language),
        )
        .where(Rumour.status == RumourStatus.PUBLISHED),
    )
    lists: dict[str, list] = {
        "campaigns": [], "districts": [], "organisations": [], "rumours": []
    }
    for kind, slug, name, position in db.session.execute(statement):
        lists[kind].append((position, Choice(slug, name)))
    return FilterChoices(
        **{kind: [choice for _p, choice in sorted(rows, key=lambda row: row[0])]
           for kind, rows in lists.items()}
    )


def _units(start: date, end: date, grain: str) -> tuple[date, date] | None:
    """The first and last start of whole `grain` units inside [start, end], if any."""
    if grain == "month":
        first = start if start.day == 1 else add_months(start, 1)
        last = add_months(end + timedelta(days=1), -1)  # the month that ends by `end`
        if (end + timedelta(days=1)).day != 1:
            last = add_months(end, -1)
    else:
        first = start + timedelta(days=(7 - start.weekday()) % 7)
        last = end - timedelta(days=(end.weekday() + 1) % 7) - timedelta(days=6)
    if last < first:
        return None
    return first, last


def _unit_end(first_of_last: date, grain: str) -> date:
    if grain == "month":
        return add_months(first_of_last, 1) - timedelta(days=1)
    return first_of_last + timedelta(days=6)


def split_period(start: date, end: date, grain: str | None):
    """[start, end] as whole `grain` units (one range of their starts, or none) and the
    day ranges left at either edge."""
    units = _units(start, end, grain) if grain else None
    if not units:
        return [], [(start, end)]
    first, last = units
    edges = [
        (a, b)
        for a, b in (
            (start, first - timedelta(days=1)),
            (_unit_end(last, grain) + timedelta(days=1), end),
        )
        if a <= b
    ]
    return [(first, last)], edges
