"""Encounter writes and rules (the HTML form and the API share them)."""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime


def encounter_content_hash(
    occurred_at: datetime | str,
    district: str,
    neighbourhood: str | None,
    setting: str,
    rumours: Iterable[str],
    people_reached: int,
    outcome: str,
    notes: str | None,
    campaign: str | None,
) -> str:
    """SHA-256 of an encounter's content in a canonical form: what a replay of the
    same client_uuid must match. Time is compared in UTC to the second."""
    if isinstance(occurred_at, datetime):
        occurred_at = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    canonical = "\x1f".join(
        (
            occurred_at,
            district,
            neighbourhood or "",
            setting,
            ",".join(sorted(rumours)),
            str(people_reached),
            outcome,
            (notes or "").strip(),
            campaign or "",
        )
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
