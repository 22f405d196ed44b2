"""Reference data: Barcelona's districts and neighbourhoods, the demo organisations."""

from __future__ import annotations

from ..extensions import db
from ..models import District, Neighbourhood, Organisation, OrganisationType
from .common import get_or_create, update_fields


def seed_districts(entries: list[dict]) -> None:
    """Barcelona's 10 districts and 73 neighbourhoods (seeds/districts.yaml)."""
    for d in entries:
        values = {"code": str(d["code"]), "name": d["name"], "position": int(d["code"])}
        district, _ = get_or_create(District, slug=d["slug"], defaults=values)
        update_fields(district, values)
        db.session.flush()
        for n in d["neighbourhoods"]:
            values = {
                "code": str(n["code"]),
                "name": n["name"],
                "district_id": district.id,
                "position": int(n["code"]),
            }
            neighbourhood, _ = get_or_create(Neighbourhood, slug=n["slug"], defaults=values)
            update_fields(neighbourhood, values)
    db.session.flush()


def seed_organisations(entries: list[dict]) -> None:
    """The fictional demo organisations (seeds/organisations.yaml)."""
    districts = {d.slug: d.id for d in db.session.scalars(db.select(District))}
    for o in entries:
        values = {
            "name": o["name"],
            "type": OrganisationType(o["type"]),
            "district_id": districts[o["district"]],
            "contact_name": o.get("contact_name"),
            "contact_email": o.get("contact_email"),
            "joined_on": o.get("joined_on"),
            "active": o.get("active", True),
        }
        organisation, _ = get_or_create(Organisation, slug=o["slug"], defaults=values)
        update_fields(organisation, values)
    db.session.flush()
