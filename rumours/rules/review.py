"""When a rebuttal is due for review: the rule the catalogue, the pages and the API share."""

from datetime import UTC, date, datetime, timedelta

from ..models import Rebuttal

# How long a published rebuttal stays fresh before it is due for review.
DEFAULT_REVIEW_PERIOD = timedelta(days=365)
# A rebuttal whose newest source is older than this is due for review too.
SOURCE_MAX_AGE = timedelta(days=2 * 365)


def review_due(rebuttal: Rebuttal, today: date | None = None) -> bool:
    """True when the review date has passed or the newest source is over two years old."""
    today = today or datetime.now(UTC).date()
    if rebuttal.review_due_on is not None and rebuttal.review_due_on < today:
        return True
    dates = [s.published_on for s in rebuttal.sources if s.published_on]
    return bool(dates) and max(dates) < today - SOURCE_MAX_AGE
