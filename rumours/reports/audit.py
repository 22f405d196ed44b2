"""Read-only views of the audit log: the whole log, newest first, and one rumour's history."""

from ..extensions import db
from ..models import AuditEntry, Rumour


def audit_page(page: int, per_page: int = 50):
    """Coordinators: a page of the audit log, newest entries first."""
    return db.paginate(
        db.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def rumour_history(rumour: Rumour, limit: int = 50) -> list[AuditEntry]:
    """Coordinators: the newest changes to a rumour and to its rebuttals."""
    rebuttal_ids = [r.id for r in rumour.rebuttals]
    return db.session.scalars(
        db.select(AuditEntry)
        .where(
            ((AuditEntry.entity_type == "rumour") & (AuditEntry.entity_id == rumour.id))
            | ((AuditEntry.entity_type == "rebuttal") & AuditEntry.entity_id.in_(rebuttal_ids))
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
