"""Campaign writes: create, edit, end early, and delete one nobody logged a conversation in.
Callers own the transaction."""

from datetime import date

from flask_babel import gettext as _

from ..extensions import db
from ..models import Campaign, Encounter, Organisation, Rumour, User
from ..rules.errors import DomainError
from ..rules.inputs import check_dates
from . import free_slug, record_audit

TARGETS = (
    "target_encounters",
    "target_people_reached",
    "target_agents_trained",
    "target_trainings",
)
FIELDS = ("name", "description", "starts_on", "ends_on", *TARGETS)
# Ids of the linked records, given as `rumour_ids=[...]` and `organisation_ids=[...]`.
LINKS = ("rumour_ids", "organisation_ids")
# Addresses under /campaigns/ that a campaign's slug must not take.
RESERVED_SLUGS = {"new"}
SLUG_LENGTH = 72  # leaves room for "-NN" within the column's 80 characters


def _load(model, ids, field: str) -> list:
    wanted = {int(i) for i in ids}
    if not wanted:
        return []
    found = list(db.session.scalars(db.select(model).where(model.id.in_(wanted))))
    if len(found) != len(wanted):
        raise DomainError(_("Some of the chosen entries no longer exist."), field)
    return found


def _check(name: str, starts_on: date, ends_on: date, targets: dict) -> None:
    if not (name or "").strip():
        raise DomainError(_("Give the campaign a name."), "name")
    if starts_on is None or ends_on is None:
        raise DomainError(_("Give the first and the last day."), "starts_on")
    check_dates(starts_on=starts_on, ends_on=ends_on)
    if ends_on < starts_on:
        raise DomainError(_("The campaign cannot end before it starts."), "ends_on")
    for key, value in targets.items():
        if value is not None and value < 0:
            raise DomainError(_("A target cannot be negative."), key)


def _apply(campaign: Campaign, fields: dict) -> list[str]:
    """Set the given fields on the campaign; returns the names of those that changed."""
    unknown = set(fields) - set(FIELDS) - set(LINKS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {', '.join(sorted(unknown))}")
    values = {key: getattr(campaign, key) for key in FIELDS} | {
        key: value for key, value in fields.items() if key in FIELDS
    }
    values["name"] = (values["name"] or "").strip()
    values["description"] = (values["description"] or "").strip()
    _check(values["name"], values["starts_on"], values["ends_on"], {k: values[k] for k in TARGETS})
    changed = [key for key in FIELDS if getattr(campaign, key) != values[key]]
    for key in changed:
        setattr(campaign, key, values[key])
    if "rumour_ids" in fields:
        rumours = _load(Rumour, fields["rumour_ids"], "rumours")
        if {r.id for r in rumours} != {r.id for r in campaign.rumours}:
            campaign.rumours = rumours
            changed.append("rumours")
    if "organisation_ids" in fields:
        organisations = _load(Organisation, fields["organisation_ids"], "organisations")
        if {o.id for o in organisations} != {o.id for o in campaign.organisations}:
            campaign.organisations = organisations
            changed.append("organisations")
    return changed


def create_campaign(*, actor: User, **fields) -> Campaign:
    """Coordinators: start a campaign (name, period, description, targets, `rumour_ids`,
    `organisation_ids`); its slug comes from the name."""
    campaign = Campaign(description="", rumours=[], organisations=[])
    _apply(campaign, {"description": "", **fields})
    campaign.slug = free_slug(
        Campaign,
        campaign.name,
        fallback="campaign",
        reserved=RESERVED_SLUGS,
        max_length=SLUG_LENGTH,
    )
    db.session.add(campaign)
    db.session.flush()
    record_audit(
        "campaign.create",
        "campaign",
        campaign.id,
        actor=actor,
        details={"slug": campaign.slug, "name": campaign.name},
    )
    return campaign


def update_campaign(campaign: Campaign, *, actor: User, **fields) -> list[str]:
    """Coordinators: change a campaign; the slug (its address) stays. Returns what changed."""
    changed = _apply(campaign, fields)
    db.session.flush()
    record_audit(
        "campaign.update", "campaign", campaign.id, actor=actor, details={"changed": changed}
    )
    return changed


def end_campaign(campaign: Campaign, *, actor: User, today: date) -> None:
    """Coordinators: a running campaign ends today instead of on its planned last day."""
    if campaign.starts_on > today:
        raise DomainError(_("This campaign has not started: delete it instead."), "campaign")
    if campaign.ends_on <= today:
        raise DomainError(_("This campaign has already ended."), "campaign")
    planned = campaign.ends_on
    campaign.ends_on = today
    record_audit(
        "campaign.end",
        "campaign",
        campaign.id,
        actor=actor,
        details={"planned_end": planned.isoformat(), "ended_on": today.isoformat()},
    )


def conversations_in(campaign: Campaign) -> int:
    return db.session.scalar(
        db.select(db.func.count(Encounter.id)).where(Encounter.campaign_id == campaign.id)
    )


def delete_campaign(campaign: Campaign, *, actor: User) -> None:
    """Coordinators: remove a campaign no conversation was logged in (one made by mistake);
    one with conversations is ended instead, so its figures stay."""
    count = conversations_in(campaign)
    if count:
        raise DomainError(
            _(
                "%(num)d conversations were logged in this campaign: end it instead, "
                "so its figures stay.",
                num=count,
            ),
            "campaign",
        )
    record_audit(
        "campaign.delete",
        "campaign",
        campaign.id,
        actor=actor,
        details={"slug": campaign.slug, "name": campaign.name},
    )
    campaign.rumours = []
    campaign.organisations = []
    db.session.delete(campaign)
