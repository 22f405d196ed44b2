"""Domain writes, one module per area; callers own the transaction (add and flush here,
commit in the view or command)."""

from ..extensions import db
from ..models import AuditEntry
from .encounters import encounter_content_hash

__all__ = ["encounter_content_hash", "record_audit"]


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
