"""The city's calendar: statistics count days as the city lives them, not in UTC."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .city import city


def city_timezone() -> ZoneInfo:
    """The network's time zone (the same one pages display dates in)."""
    return city().zone


def local_day(moment: datetime) -> date:
    """The city's calendar day of an aware timestamp."""
    return moment.astimezone(city_timezone()).date()


def city_today() -> date:
    """Today in the city."""
    return datetime.now(city_timezone()).date()
