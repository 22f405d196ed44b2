"""Reference data: Barcelona's districts and neighbourhoods (the city's official shapes,
imported as any city imports its own), the demo organisations."""

from __future__ import annotations

import json

from ..extensions import db
from ..models import District, Neighbourhood, Organisation, OrganisationType, SiteSetting
from ..rules.geojson import Options
from ..rules.slugs import slugify
from ..services.geography import UNCHANGED, apply_plan, plan_import
from .common import SEEDS_DIR, get_or_create, update_fields

DISTRICTS_FILE = "barcelona-districts.geojson"
NEIGHBOURHOODS_FILE = "barcelona-neighbourhoods.geojson"
ATTRIBUTION_KEY = "city.map_attribution"
ATTRIBUTION = "Ajuntament de Barcelona / CartoBCN (CC BY 4.0)"


def _sorted_file(name: str, code: str) -> str:
    """The file with its features in the city's numbering (the order lists show)."""
    collection = json.loads((SEEDS_DIR / name).read_text(encoding="utf-8"))
    collection["features"].sort(key=lambda f: f["properties"][code])
    return json.dumps(collection)


def _align_codes(model, codes: dict[str, str]) -> None:
    """A demo seeded before codes were the city's own ("1", not "01") keeps its rows."""
    for row in db.session.scalars(db.select(model).where(model.slug.in_(codes))):
        update_fields(row, {"code": codes[row.slug]})
    db.session.flush()


def seed_districts() -> None:
    """Barcelona's 10 districts and 73 neighbourhoods from the official GeoJSON files
    (seeds/barcelona-*.geojson); an unchanged rerun writes nothing."""
    for model, name, code, options in (
        (District, DISTRICTS_FILE, "district_code",
         Options("district", "name", "district_code")),
        (Neighbourhood, NEIGHBOURHOODS_FILE, "code",
         Options("neighbourhood", "name", "code", "district_code")),
    ):
        text = _sorted_file(name, code)
        features = json.loads(text)["features"]
        _align_codes(model, {slugify(f["properties"]["name"], fallback=""): f["properties"][code]
                             for f in features})
        plan = plan_import(text, options)
        if any(c.action != UNCHANGED for c in plan.changes):
            apply_plan(plan, source=name)
    if db.session.get(SiteSetting, ATTRIBUTION_KEY) is None:
        db.session.add(SiteSetting(key=ATTRIBUTION_KEY, value=ATTRIBUTION))
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
