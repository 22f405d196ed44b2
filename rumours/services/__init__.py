"""Domain writes, one module per area; callers own the transaction (add and flush here,
commit in the view or command)."""

from collections.abc import Collection

from ..extensions import db
from ..models import AuditEntry
from ..rules.encounters import encounter_content_hash
from ..rules.slugs import unique_slug

__all__ = ["encounter_content_hash", "free_slug", "record_audit"]


def free_slug(
    model,
    text: str,
    *,
    fallback: str,
    reserved: Collection[str] = (),
    exclude_id: int | None = None,
    max_length: int = 70,
) -> str:
    """A slug for a new or renamed `model` row that no other row of it uses."""

    def taken(slug: str) -> bool:
        query = db.select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        return db.session.execute(query).first() is not None

    return unique_slug(
        text, fallback=fallback, taken=taken, reserved=reserved, max_length=max_length
    )


def record_audit(
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    *,
    actor=None,
    details: dict | None = None,
):
    """Append an entry to the audit log (who did what to which record); caller commits."""
    entry = AuditEntry(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=getattr(actor, "id", None),
        details=details or {},
    )
    db.session.add(entry)
    return entry
