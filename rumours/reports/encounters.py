"""Read-only encounter queries: the form's choices, the agent's list, the coordinators'
review list with its data-quality flags (the burst flag stored with each conversation,
the crowd flag computed in SQL)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, any_, bindparam, case, column, false, func, literal, or_, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    PEOPLE_FLOOR,
    REVIEW_CANDIDATE,
    SETTING_CODES,
    AgentProfile,
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Outcome,
    Rumour,
    RumourStatus,
    Setting,
    User,
    campaign_rumours,
    setting_stats_month,
)
from ..summaries import BURST_COUNT, BURST_WINDOW
from .geography import active_districts, active_neighbourhoods

PAGE_SIZE = 50
# The review's totals are counted exactly up to here; past it the page says "more than"
# (counting every one of ten million conversations took a second on each view; counting
# ten thousand with their flags, 10 to 40 ms on the million).
COUNT_LIMIT = 1_000
# A backlog of conversations that may need a look up to this size is read first, by id
# (see review_page); a larger one is left to the database's plans.
BACKLOG_READ = 2_000
# "Many in a few minutes": BURST_COUNT encounters by one agent within BURST_WINDOW
# either side of one are more than a person can hold (summaries.bursts keeps the flag).
# "Far above the usual for the setting": above this many times the setting's mean,
# and at least PEOPLE_FLOOR (models: the review's partial index holds it).
PEOPLE_FACTOR = 4


def flag_rules() -> dict[str, str]:
    """Why each flag is raised, in the reader's language (shown beside the flag)."""
    return {
        "burst": _(
            "%(count)d or more conversations by the same agent within %(minutes)d minutes "
            "of each other: more than one person can hold.",
            count=BURST_COUNT,
            minutes=int(BURST_WINDOW.total_seconds() // 60),
        ),
        "crowd": _(
            "More than %(factor)d times the usual number of people for this setting, "
            "and at least %(floor)d.",
            factor=PEOPLE_FACTOR,
            floor=PEOPLE_FLOOR,
        ),
    }


@dataclass(frozen=True)
class RumourChoice:
    slug: str
    claim: str
    recent: bool
    focus: bool


@dataclass(frozen=True)
class FormChoices:
    districts: list[District]
    neighbourhoods: list[Neighbourhood]
    campaigns: list[Campaign]
    rumours: list[RumourChoice]
    default_district: str | None
    default_campaign: str | None


def current_campaigns(today: date) -> list[Campaign]:
    """Campaigns running today, the most recently started first."""
    return list(
        db.session.scalars(
            db.select(Campaign)
            .where(Campaign.starts_on <= today, Campaign.ends_on >= today)
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
    )


def form_choices(agent: User, today: date | None = None) -> FormChoices:
    """What the phone form offers: the agent's recent and the campaign's focus rumours first."""
    today = today or datetime.now(UTC).date()
    campaigns = current_campaigns(today)
    current = campaigns[0] if campaigns else None
    recent_ids = list(
        db.session.scalars(
            db.select(EncounterRumour.rumour_id)
            .join(Encounter)
            .where(Encounter.agent_id == agent.id)
            .group_by(EncounterRumour.rumour_id)
            .order_by(func.max(Encounter.occurred_at).desc())
            .limit(3)
        )
    )
    focus_ids = set()
    if current is not None:
        focus_ids = set(
            db.session.scalars(
                db.select(campaign_rumours.c.rumour_id).where(
                    campaign_rumours.c.campaign_id == current.id
                )
            )
        )
    rumours = list(
        db.session.scalars(
            db.select(Rumour).where(Rumour.status == RumourStatus.PUBLISHED).order_by(Rumour.claim)
        )
    )
    rank = {rid: i for i, rid in enumerate(recent_ids)}

    language = str(get_locale() or "")

    def order(r: Rumour):
        return (r.id not in rank, rank.get(r.id, 0), r.id not in focus_ids, r.claim_in(language))

    profile = db.session.get(AgentProfile, agent.id)
    district = (
        db.session.get(District, profile.district_id) if profile and profile.district_id else None
    )
    if district is not None and district.retired:
        district = None
    return FormChoices(
        districts=sorted(active_districts(), key=lambda d: d.name),
        neighbourhoods=sorted(active_neighbourhoods(), key=lambda n: (n.district_id, n.name)),
        campaigns=campaigns,
        rumours=[
            RumourChoice(r.slug, r.claim_in(language), r.id in rank, r.id in focus_ids)
            for r in sorted(rumours, key=order)
        ],
        default_district=district.slug if district else None,
        default_campaign=current.slug if current else None,
    )


@dataclass(frozen=True)
class ReviewChoices:
    districts: list[District]
    rumours: list[RumourChoice]


def review_choices() -> ReviewChoices:
    """The review's filters: the districts and the published rumours, by name (not the
    phone form's order, whose look-up of the user's recent rumours read every
    conversation the demo coordinator had logged: 8 to 12 ms of each view)."""
    language = str(get_locale() or "")
    rumours = db.session.scalars(
        db.select(Rumour).where(Rumour.status == RumourStatus.PUBLISHED)
    ).all()
    return ReviewChoices(
        districts=sorted(active_districts(), key=lambda d: d.name),
        rumours=sorted(
            (RumourChoice(r.slug, r.claim_in(language), False, False) for r in rumours),
            key=lambda choice: choice.claim,
        ),
    )


def _with_details(query):
    return query.options(
        selectinload(Encounter.rumour_links).selectinload(EncounterRumour.rumour),
        selectinload(Encounter.district),
        selectinload(Encounter.neighbourhood),
        selectinload(Encounter.campaign),
    )


def own_encounters_page(agent: User, page: int = 1) -> tuple[list[Encounter], bool]:
    """One page of the agent's own encounters, newest first, and whether more follow."""
    rows = list(
        db.session.scalars(
            _with_details(
                db.select(Encounter)
                .where(Encounter.agent_id == agent.id)
                .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE + 1)
            )
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


# ---------------------------------------------------------------------------
# Coordinators' review
# ---------------------------------------------------------------------------


@dataclass
class ReviewFilters:
    campaign: str | None = None
    district: str | None = None
    setting: str | None = None
    outcome: str | None = None
    rumour: str | None = None
    agent: str | None = None  # the agent's pseudonym, never the name in a URL
    start: date | None = None
    end: date | None = None
    flagged: bool = False


@dataclass
class ReviewRow:
    encounter: Encounter
    pseudonym: str | None
    burst: bool
    crowd: bool

    @property
    def flags(self) -> list[str]:
        return [name for name, on in (("burst", self.burst), ("crowd", self.crowd)) if on]

    @property
    def needs_review(self) -> bool:
        """Flagged, and no coordinator has checked or excluded it yet."""
        e = self.encounter
        return bool(self.flags) and e.checked_at is None and e.excluded_at is None


@dataclass
class ReviewPage:
    rows: list[ReviewRow]
    # Exact up to COUNT_LIMIT; past it, COUNT_LIMIT + 1 ("more than COUNT_LIMIT").
    total: int
    flagged: int
    page: int
    has_next: bool
    count_limit: int
    settings: list[Setting] = field(default_factory=lambda: list(Setting))
    outcomes: list[Outcome] = field(default_factory=lambda: list(Outcome))


def usual_crowds() -> dict[Setting, float]:
    """The mean number of people reached per setting, over the conversations that count
    in the statistics (an excluded entry does not set what is usual): from a summary
    table, a row per month, district and setting, not from every conversation (half a
    second at ten million)."""
    t = setting_stats_month.c
    by_code = {code: Setting(value) for value, code in SETTING_CODES.items()}
    rows = db.session.execute(
        db.select(t.setting_id, func.sum(t.people), func.sum(t.encounters)).group_by(
            t.setting_id
        )
    ).all()
    return {by_code[code]: people / count for code, people, count in rows if count}


def _flag_columns():
    """SQL expressions for the two flags of the outer Encounter row."""
    # Stored with each conversation (summaries.bursts); an erased agent's keep it but
    # name no one, and flag nothing.
    burst = and_(Encounter.agent_id.is_not(None), Encounter.burst)
    # The usual crowd per setting, then a CASE in the main query.
    means = usual_crowds()
    if not means:
        return burst, false()
    threshold = case(
        *((Encounter.setting == s, float(m) * PEOPLE_FACTOR) for s, m in means.items()),
        else_=float(PEOPLE_FLOOR),
    )
    crowd = and_(Encounter.people_reached >= PEOPLE_FLOOR, Encounter.people_reached > threshold)
    return burst, crowd


def _backlog() -> list[int] | None:
    """The ids of the conversations that may need a look (REVIEW_CANDIDATE), newest
    first, read from the partial index alone; None when there are more than
    BACKLOG_READ."""
    ids = db.session.scalars(
        db.select(Encounter.id)
        .where(text(REVIEW_CANDIDATE))
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
        .limit(BACKLOG_READ + 1)
    ).all()
    return None if len(ids) > BACKLOG_READ else list(ids)


def _among(ids: list[int]):
    """SQL: the conversation is one of `ids`, sent as one value (an array; on SQLite a
    JSON list), not one parameter per id: a statement with two thousand parameters took
    longer to send and plan than to run."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Encounter.id == any_(bindparam("backlog", ids, type_=ARRAY(Integer)))
    listed = db.select(column("value", Integer)).select_from(func.json_each(json.dumps(ids)))
    return Encounter.id.in_(listed)


def _count(conditions) -> int:
    """How many conversations match, counted up to COUNT_LIMIT + 1 and no further."""
    matching = (
        db.select(literal(1)).select_from(Encounter).where(*conditions).limit(COUNT_LIMIT + 1)
    )
    return db.session.scalar(db.select(func.count()).select_from(matching.subquery()))


def _id_of(model, slug: str) -> int | None:
    return db.session.scalar(db.select(model.id).where(model.slug == slug))


def _filtered(filters: ReviewFilters):
    conditions = []
    # Each id looked up first, as for the agent below: the counts and the page then read
    # that campaign's, district's or rumour's conversations by their index.
    if filters.campaign:
        campaign_id = _id_of(Campaign, filters.campaign)
        conditions.append(false() if campaign_id is None else Encounter.campaign_id == campaign_id)
    if filters.district:
        district_id = _id_of(District, filters.district)
        conditions.append(false() if district_id is None else Encounter.district_id == district_id)
    if filters.setting in {s.value for s in Setting}:
        conditions.append(Encounter.setting == Setting(filters.setting))
    if filters.outcome in {o.value for o in Outcome}:
        conditions.append(Encounter.outcome == Outcome(filters.outcome))
    if filters.rumour:
        rumour_id = _id_of(Rumour, filters.rumour)
        conditions.append(
            false() if rumour_id is None
            else Encounter.rumour_links.any(EncounterRumour.rumour_id == rumour_id)
        )
    if filters.agent:
        # The agent looked up first: PostgreSQL then reads that agent's conversations by
        # their index. (With the look-up inside the query, a pseudonym that matched no one
        # made it walk every conversation by time for the page: 1.7 s for a million.)
        agent_id = db.session.scalar(
            db.select(AgentProfile.user_id).where(AgentProfile.pseudonym == filters.agent)
        )
        conditions.append(false() if agent_id is None else Encounter.agent_id == agent_id)
    if filters.start:
        conditions.append(
            Encounter.occurred_at >= datetime.combine(filters.start, datetime.min.time(), UTC)
        )
    if filters.end:
        conditions.append(
            Encounter.occurred_at
            < datetime.combine(filters.end + timedelta(days=1), datetime.min.time(), UTC)
        )
    return conditions


def review_page(filters: ReviewFilters, page: int = 1) -> ReviewPage:
    """Coordinators: all encounters matching the filters with their flags, newest first."""
    burst, crowd = _flag_columns()
    # A flag counts until a coordinator checked the entry or excluded it. The candidates'
    # terms as the partial index has them: both databases can read only the
    # conversations that may need a look.
    pending = and_(text(REVIEW_CANDIDATE), or_(burst, crowd))
    backlog = _backlog()
    if backlog is not None:
        # A backlog a coordinator can work through: the pending are among these ids, and
        # each count and the page look them up by id. (Left to its estimates, PostgreSQL
        # took the few left after a review for a quarter of the rows, as if a flag and
        # a check were unrelated, and read every row to find them: 241 to 733 ms a count
        # on the million.)
        pending = and_(_among(backlog), pending)
    conditions = _filtered(filters)
    if filters.flagged:
        conditions.append(pending)
    # One bounded read gives both counts while the matching are within the limit (an
    # agent, a week); past it, the pending ones are counted on their own, up to it.
    first = (
        db.select(case((pending, 1), else_=0).label("pending"))
        .select_from(Encounter)
        .where(*conditions)
        .limit(COUNT_LIMIT + 1)
        .subquery()
    )
    total, flagged = db.session.execute(
        db.select(func.count(), func.coalesce(func.sum(first.c.pending), 0))
    ).one()
    if total > COUNT_LIMIT:
        flagged = total if filters.flagged else _count([*conditions, pending])
    rows = db.session.execute(
        _with_details(
            db.select(Encounter, AgentProfile.pseudonym, burst, crowd)
            .outerjoin(AgentProfile, AgentProfile.user_id == Encounter.agent_id)
            .where(*conditions)
            .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    ).all()
    return ReviewPage(
        rows=[ReviewRow(e, p, bool(b), bool(c)) for e, p, b, c in rows[:PAGE_SIZE]],
        total=total,
        flagged=flagged,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        count_limit=COUNT_LIMIT,
    )


def all_campaigns() -> list[Campaign]:
    """Every campaign, the latest first (for filters)."""
    return list(db.session.scalars(db.select(Campaign).order_by(Campaign.starts_on.desc())))
