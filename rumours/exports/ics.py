"""Training sessions as iCalendar (RFC 5545), built with the icalendar package."""

from datetime import UTC, datetime

from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..models import TrainingSession, TrainingStatus

PRODID = "-//Anti-Rumours Network//Rumours//EN"


def calendar_for(sessions: list[TrainingSession], *, name: str, url_for_session) -> bytes:
    """An iCalendar file with one VEVENT per session; UIDs are stable so re-imports update."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for session in sessions:
        event = Event()
        event.add("uid", f"{session.uid}@rumours")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(UTC))
        event.add("dtend", session.ends_at.astimezone(UTC))
        event.add("summary", session.title)
        event.add("location", session.venue)
        description = session.description or ""
        if session.trainer:
            description = (description + "\n\n" if description else "") + (
                _("Trainer: %(name)s", name=session.trainer)
            )
        event.add("description", description)
        event.add("url", url_for_session(session))
        event.add(
            "status", "CANCELLED" if session.status is TrainingStatus.CANCELLED else "CONFIRMED"
        )
        calendar.add_component(event)
    return calendar.to_ical()
