"""The demo's plan (anchor date, fixed random state) and its training calendar
(seeds/trainings.yaml)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ..extensions import db
from ..models import District, SiteSetting, TrainingKind, TrainingSession
from .common import DEMO_NAMESPACE, at, get_or_create

ANCHOR_KEY = "demo_anchor"


@dataclass
class DemoPlan:
    """Deterministic choices for the demo, shared by the loaders."""

    anchor: date
    rng: random.Random
    basic_past: list[TrainingSession] = field(default_factory=list)
    basic_future: list[TrainingSession] = field(default_factory=list)
    other_past: list[TrainingSession] = field(default_factory=list)
    other_future: list[TrainingSession] = field(default_factory=list)


def demo_anchor() -> date:
    """The date of the first demo seed: later reruns rebuild the same data from it."""
    row = db.session.get(SiteSetting, ANCHOR_KEY)
    if row is None:
        row = SiteSetting(key=ANCHOR_KEY, value=datetime.now(UTC).date().isoformat())
        db.session.add(row)
    return date.fromisoformat(row.value)


def seed_trainings(plan: DemoPlan, calendar: dict) -> None:
    """A year of sessions around the anchor date, keyed by a deterministic UID.

    `calendar` is the parsed seeds/trainings.yaml.
    """
    districts = {d.slug: d.id for d in db.session.scalars(db.select(District))}
    venues = calendar["venues"]
    trainers = calendar["trainers"]
    start = plan.anchor - timedelta(days=calendar["window"]["before"])
    end = plan.anchor + timedelta(days=calendar["window"]["after"])
    now = at(plan.anchor, 12)
    for entry in calendar["kinds"]:
        kind = TrainingKind(entry["kind"])
        hours = entry["hours"]
        day = start + timedelta(days=entry["first"])
        index = 0
        while day <= end:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            venue = venues[index % len(venues)]
            uid = uuid.uuid5(DEMO_NAMESPACE, f"training-{kind.value}-{index}")
            starts = at(day, 17 if hours <= 3 else 10)
            values = {
                "kind": kind,
                "title": entry["title"],
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=hours),
                "venue": venue["name"],
                "district_id": districts.get(venue["district"]),
                "trainer": trainers[index % len(trainers)],
                "capacity": entry["capacity"],
                "language": "ca" if index % 3 else "es",
                "description": calendar["description"],
            }
            session, _ = get_or_create(TrainingSession, uid=uid, defaults=values)
            (
                plan.basic_past
                if kind is TrainingKind.BASIC and starts < now
                else plan.basic_future
                if kind is TrainingKind.BASIC
                else plan.other_past
                if starts < now
                else plan.other_future
            ).append(session)
            day += timedelta(days=entry["every"])
            index += 1
    db.session.flush()
