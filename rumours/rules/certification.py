"""When an agent is certified and when a certification lapses: the rule every layer uses."""

from datetime import datetime, timedelta

from ..models import AgentStatus, TrainingKind
from .city import city

# Sessions that certify an agent who attends them; a refresher only renews.
CERTIFYING_KINDS = (TrainingKind.BASIC,)
# Sessions whose attendance restarts the lapse period.
RENEWING_KINDS = (TrainingKind.BASIC, TrainingKind.REFRESHER)


def lapse_period() -> timedelta:
    """How long a certification holds without a renewing training."""
    return timedelta(days=city().certification_lapse_days)


def lapses_on(certified_at: datetime, last_renewal: datetime | None) -> datetime:
    """When a certification lapses: the lapse period after it or its latest renewal."""
    base = max(certified_at, last_renewal) if last_renewal else certified_at
    return base + lapse_period()


def attendance_certifies(
    status: AgentStatus, certified_at: datetime | None, kind: TrainingKind
) -> bool:
    """Whether attending a session of this kind certifies an agent in training: the basic
    training always does, and after a lapse a renewing one does too."""
    if status is not AgentStatus.IN_TRAINING:
        return False
    renewing = certified_at is not None and kind in RENEWING_KINDS
    return kind in CERTIFYING_KINDS or renewing
