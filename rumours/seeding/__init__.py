"""Idempotent loaders for the Barcelona demo (seeds/) and the bulk encounter generator.

Everything is keyed by natural keys (slugs, e-mails, UUIDs), so running the demo seed
again updates nothing and duplicates nothing. The demo's data lives in seeds/*.yaml;
random choices come from a fixed seed and the date of the first run, stored in
site_settings.

    common      seeds/ reading, get_or_create, the demo's fixed names
    places      districts, neighbourhoods, organisations
    catalogue   rumours, rebuttals, sources (takes the parsed rumours.yaml)
    trainings   the demo plan (anchor date) and its training calendar
    people      demo accounts and agents across the lifecycle
    campaigns   campaigns with their rumours and organisations
    generator   synthetic encounters with realistic patterns
    bulk        fast loading of millions of generated encounters
    demo        the whole demo, in order
"""

from .bulk import add_synthetic_encounters
from .common import DEMO_PASSWORD, SeedRefused
from .demo import seed_demo

__all__ = ["DEMO_PASSWORD", "SeedRefused", "add_synthetic_encounters", "seed_demo"]
