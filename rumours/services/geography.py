"""The city's districts and neighbourhoods: importing them from a GeoJSON file (plan,
then apply in the caller's transaction) and editing them by hand. Places are matched by
their code; a place missing from a new file is retired, never deleted, so every
conversation, agent, organisation and training that points at it keeps its history.
A rename keeps the slug: addresses, API clients and queued offline conversations use it."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from flask_babel import gettext as _

from ..extensions import db
from ..models import District, Neighbourhood, PendingImport, SiteSetting, utcnow
from ..reports.geography import VERSION_KEY, forget_version
from ..rules.errors import DomainError
from ..rules.geojson import GeographyError, Options, Place, read_places
from . import free_slug, record_audit

ADDED, UPDATED, UNCHANGED, RETIRED, REINSTATED = (
    "added", "updated", "unchanged", "retired", "reinstated"
)


@dataclass
class Change:
    """What an import does to one place."""

    action: str  # added | updated | unchanged | retired | reinstated
    code: str
    name: str
    old_name: str | None = None  # when renamed
    reshaped: bool = False
    parent: str | None = None  # a neighbourhood's district code
    moved: bool = False  # a neighbourhood now in another district
    geometry: str | None = None

    @property
    def renamed(self) -> bool:
        return self.old_name is not None


@dataclass
class Plan:
    """Every change an import would make, in the file's order, then the retirements."""

    level: str
    changes: list[Change] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in (ADDED, UPDATED, REINSTATED, UNCHANGED, RETIRED)}

    @property
    def shapes(self) -> list[tuple[str, str]]:
        """The file's shapes by code, for a preview."""
        return [(c.code, c.geometry) for c in self.changes if c.geometry]


def _model(level: str):
    return District if level == "district" else Neighbourhood


def plan_import(data: bytes | str, options: Options) -> Plan:
    """What importing the file would change; GeographyError (nothing changed) when the
    file or a parent code is wrong."""
    places = read_places(data, options)
    model = _model(options.level)
    existing = {row.code: row for row in db.session.scalars(db.select(model))}
    districts = {d.code: d for d in db.session.scalars(db.select(District))}
    problems = []
    plan = Plan(level=options.level)
    for place in places:
        if options.level == "neighbourhood" and place.parent not in districts:
            problems.append(
                _("Feature %(index)s (%(name)s): no district has the code “%(code)s”; import "
                  "the districts first.", index=place.index, name=place.name, code=place.parent)
            )
            continue
        plan.changes.append(_change(place, existing.get(place.code), districts))
    if problems:
        raise GeographyError(problems)
    in_file = {p.code for p in places}
    for code, row in existing.items():
        if code not in in_file and not row.retired:
            plan.changes.append(Change(RETIRED, code, row.name, parent=_parent_code(row)))
    return plan


def _parent_code(row) -> str | None:
    return row.district.code if isinstance(row, Neighbourhood) else None


def _change(place: Place, row, districts: dict[str, District]) -> Change:
    if row is None:
        return Change(ADDED, place.code, place.name, parent=place.parent, geometry=place.geometry)
    moved = place.parent is not None and row.district_id != districts[place.parent].id
    change = Change(
        UPDATED,
        place.code,
        place.name,
        old_name=row.name if row.name != place.name else None,
        reshaped=row.geometry != place.geometry,
        parent=place.parent,
        moved=moved,
        geometry=place.geometry,
    )
    if row.retired:
        change.action = REINSTATED
    elif not (change.renamed or change.reshaped or moved):
        change.action = UNCHANGED
    return change


def apply_plan(plan: Plan, *, actor=None, source: str = "") -> Plan:
    """Write the plan (adds, updates, retirements) and one audit entry; the caller commits
    once, so the whole import is one transaction."""
    model = _model(plan.level)
    rows = {row.code: row for row in db.session.scalars(db.select(model))}
    districts = {d.code: d for d in db.session.scalars(db.select(District))}
    for position, change in enumerate(plan.changes, start=1):
        row = rows.get(change.code)
        if change.action == RETIRED:
            row.retired = True
            continue
        if row is None:
            row = model(
                code=change.code,
                name=change.name,
                slug=free_slug(model, change.name, fallback=plan.level),
            )
            db.session.add(row)
        row.name, row.geometry, row.position, row.retired = (
            change.name, change.geometry, position, False
        )
        if plan.level == "neighbourhood":
            row.district_id = districts[change.parent].id
        db.session.flush()
    record_audit(
        "geography.import",
        plan.level,
        actor=actor,
        details={
            "source": source,
            **{a: [c.code for c in plan.changes if c.action == a] for a in plan.counts
               if a != UNCHANGED},
        },
    )
    bump_version()
    return plan


def import_file(data: bytes | str, options: Options, *, actor=None, source: str = "") -> Plan:
    """Plan and apply in one go (the command line and the demo seed)."""
    return apply_plan(plan_import(data, options), actor=actor, source=source)


def bump_version() -> str:
    """Mark the geography as changed (maps are redrawn from the new shapes)."""
    version = uuid.uuid4().hex
    row = db.session.get(SiteSetting, VERSION_KEY)
    if row is None:
        db.session.add(SiteSetting(key=VERSION_KEY, value=version))
    else:
        row.value = version
    forget_version()
    return version


# --- By hand -------------------------------------------------------------------------


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give a name."), "name")
    if len(name) > 120:
        raise DomainError(_("At most 120 characters."), "name")
    return name


def _free_code(model, code: str | None, name: str) -> str:
    code = (code or "").strip() or free_slug(model, name, fallback="place", max_length=40)
    if len(code) > 40:
        raise DomainError(_("At most 40 characters."), "code")
    if db.session.execute(db.select(model.id).where(model.code == code)).first():
        raise DomainError(_("Another one already has this code."), "code")
    return code


def add_place(level: str, name: str, *, code: str | None = None, district: District | None = None,
              actor=None):
    """Coordinators: a new district (or neighbourhood of `district`) without a shape."""
    model = _model(level)
    name = _check_name(name)
    if level == "neighbourhood" and district is None:
        raise DomainError(_("Choose the district."), "district")
    last = db.session.scalar(db.select(db.func.max(model.position))) or 0
    row = model(
        code=_free_code(model, code, name),
        name=name,
        slug=free_slug(model, name, fallback=level),
        position=last + 1,
    )
    if district is not None:
        row.district_id = district.id
    db.session.add(row)
    db.session.flush()
    record_audit(f"{level}.add", level, row.id, actor=actor, details={"code": row.code,
                                                                     "name": name})
    bump_version()
    return row


def rename_place(row, name: str, *, actor=None):
    """Coordinators: a new name for a district or neighbourhood (its slug stays)."""
    name = _check_name(name)
    level = "district" if isinstance(row, District) else "neighbourhood"
    if name != row.name:
        record_audit(f"{level}.rename", level, row.id, actor=actor,
                     details={"code": row.code, "from": row.name, "to": name})
        row.name = name
        bump_version()
    return row


def set_retired(row, retired: bool, *, actor=None):
    """Coordinators: hide a place from every form (it stays in history and statistics),
    or bring it back."""
    level = "district" if isinstance(row, District) else "neighbourhood"
    if row.retired != retired:
        row.retired = retired
        record_audit(f"{level}.{'retire' if retired else 'reinstate'}", level, row.id,
                     actor=actor, details={"code": row.code, "name": row.name})
        bump_version()
    return row


# --- Upload, preview, confirm ----------------------------------------------------------

PENDING_KIND = "geography"
PENDING_LIFETIME = timedelta(days=1)


def stash_import(data: bytes, options: Options, *, actor) -> PendingImport:
    """Keep an uploaded file (already planned without error) until it is confirmed, so any
    app server can finish it; forget uploads older than a day."""
    db.session.execute(
        db.delete(PendingImport).where(PendingImport.created_at < utcnow() - PENDING_LIFETIME)
    )
    pending = PendingImport(
        token=secrets.token_urlsafe(32),
        kind=PENDING_KIND,
        created_by_id=getattr(actor, "id", None),
        payload=json.dumps({"text": data.decode("utf-8-sig"), "options": asdict(options)}),
    )
    db.session.add(pending)
    db.session.flush()
    return pending


def pending_import(token: str, *, actor) -> tuple[PendingImport, Options, str] | None:
    """The actor's stashed upload by its token (None when gone or someone else's)."""
    pending = db.session.execute(
        db.select(PendingImport).where(
            PendingImport.token == token,
            PendingImport.kind == PENDING_KIND,
            PendingImport.created_by_id == actor.id,
            PendingImport.created_at >= utcnow() - PENDING_LIFETIME,
        )
    ).scalar_one_or_none()
    if pending is None:
        return None
    payload = json.loads(pending.payload)
    return pending, Options(**payload["options"]), payload["text"]


def confirm_import(token: str, *, actor) -> Plan:
    """Apply a stashed upload, planned again against the database as it is now, and drop
    it; DomainError when it is gone, GeographyError when it no longer fits."""
    found = pending_import(token, actor=actor)
    if found is None:
        raise DomainError(_("This upload has expired or was already imported; upload it again."))
    pending, options, text = found
    plan = apply_plan(plan_import(text, options), actor=actor, source="upload")
    db.session.delete(pending)
    return plan
