"""The whole Barcelona demo: every loader in order, then a year of conversations."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..models import DEMO_KEY, Encounter, SiteSetting
from ..rules import city as city_rules
from ..rules.city import city
from .bulk import bulk_insert_encounters
from .campaigns import seed_campaigns
from .catalogue import seed_rumours, seed_translations
from .common import DEMO_NAMESPACE, SEEDS_DIR, SeedRefused, load_yaml
from .generator import generate_encounters, load_context
from .people import PasswordCache, seed_people
from .places import seed_districts, seed_organisations
from .trainings import DemoPlan, demo_anchor, seed_trainings

DEMO_ENCOUNTERS = 8000


def seed_demo_encounters(plan: DemoPlan) -> int:
    """A year of demo conversations before the anchor date, with deterministic UUIDs."""

    def uuid_for(i: int) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"encounter-{i}")

    last = uuid_for(DEMO_ENCOUNTERS - 1)
    if db.session.execute(db.select(Encounter.id).where(Encounter.client_uuid == last)).first():
        return 0
    rng = random.Random(2010)
    ctx = load_context(plan.anchor - timedelta(days=364), plan.anchor - timedelta(days=1), rng)
    return bulk_insert_encounters(
        generate_encounters(ctx, rng, DEMO_ENCOUNTERS, uuid_for), DEMO_ENCOUNTERS
    )


DEMO_CITY = {"city.city": "Barcelona", "city.network_name": "Barcelona Anti-Rumours Network"}


def seed_demo() -> None:
    """Load the Barcelona demo; safe to rerun (updates by natural key, never duplicates)."""
    if not current_app.config.get("DEMO_SEED_ALLOWED"):
        raise SeedRefused("The demo seed refuses to run under the production configuration.")
    plan = DemoPlan(anchor=demo_anchor(), rng=random.Random(2010))
    districts = load_yaml("districts.yaml")
    seed_districts()
    seed_organisations(load_yaml("organisations.yaml"))
    seed_rumours(load_yaml("rumours.yaml"))
    for language in list(city().languages):
        if (SEEDS_DIR / f"rumours.{language}.yaml").exists():
            seed_translations(language, load_yaml(f"rumours.{language}.yaml"))
    seed_trainings(plan, load_yaml("trainings.yaml"))
    seed_people(
        plan, PasswordCache(), load_yaml("accounts.yaml"), load_yaml("people.yaml"), districts
    )
    seed_campaigns(load_yaml("campaigns.yaml"))
    if db.session.get(SiteSetting, DEMO_KEY) is None:
        db.session.add(SiteSetting(key=DEMO_KEY, value="yes"))
    # The demo is one city among others: its name is a setting, kept if a coordinator
    # changed it.
    for key, value in DEMO_CITY.items():
        if db.session.get(SiteSetting, key) is None:
            db.session.add(SiteSetting(key=key, value=value))
    db.session.commit()
    city_rules.forget()
    seed_demo_encounters(plan)
    db.session.commit()
