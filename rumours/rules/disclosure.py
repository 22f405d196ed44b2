"""Which published figures need small-count suppression, and why: the one table every
statistics export (XLSX, CSV, JSON, Data Package) and `/api/v1/stats` follow.

Small-count suppression protects people who could be recognised from a count: the
people agents talked to (a conversation, the people in it and how it ended). Counts of
the network's own size and work (organisations, agents, trainings, hours) are not
about those people: the network publishes who its members are, and an organisation
knows its own agents, so those figures are shown as they are. No figure of the exports
breaks agents down by a personal attribute; one that does would be suppressed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Disclosure:
    """Whether a figure is suppressed when small, and why: `note` is the plain sentence
    the exports' notes print, with the figures' titles in `%(figures)s`."""

    suppressed: bool
    note: object  # a lazy string


_PEOPLE_TALKED_TO = Disclosure(
    True,
    _l(
        "Suppressed when small: %(figures)s. These count the people agents talked to, "
        "who must never be recognisable from a count; a second count is hidden too "
        "wherever a hidden one could be worked out from a total or from another table."
    ),
)
_NETWORK_SIZE = Disclosure(
    False,
    _l(
        "Never suppressed: %(figures)s. These count the network's own members and "
        "work, not the people agents talked to."
    ),
)
_REPORTERS = Disclosure(
    True,
    _l(
        "Suppressed when small: %(figures)s. These count people who told the network "
        "a rumour they heard; a second count is hidden too wherever a hidden one could "
        "be worked out from a total. What they wrote never leaves the app."
    ),
)

# By figure name: a column of the month and district tables, or an indicator of the
# summary (they share names). Every figure an export publishes is listed here.
FIGURES: dict[str, Disclosure] = {
    "conversations": _PEOPLE_TALKED_TO,
    "people_reached": _PEOPLE_TALKED_TO,
    "outcome_open": _PEOPLE_TALKED_TO,
    "outcome_doubt_sown": _PEOPLE_TALKED_TO,
    "outcome_unchanged": _PEOPLE_TALKED_TO,
    "outcome_hostile": _PEOPLE_TALKED_TO,
    "organisations": _NETWORK_SIZE,
    "agents": _NETWORK_SIZE,
    "agents_certified_now": _NETWORK_SIZE,
    "agents_certified_in_period": _NETWORK_SIZE,
    "agents_certified": _NETWORK_SIZE,
    "agents_trained": _NETWORK_SIZE,
    "trainings_held": _NETWORK_SIZE,
    "training_hours": _NETWORK_SIZE,
    "training_attendances": _NETWORK_SIZE,
    "reports": _REPORTERS,
}


def is_suppressed(name: str) -> bool:
    """True when the figure `name` is hidden when small; KeyError for an unlisted one, so
    a new figure cannot leave the app before someone decides."""
    return FIGURES[name].suppressed


def disclosure_notes(titles: dict[str, str]) -> list[str]:
    """The exports' notes in plain words: which figures are suppressed when small and
    why, and which never are (`titles`: figure name -> title, in the report's order)."""
    notes = []
    for kind in (_PEOPLE_TALKED_TO, _REPORTERS, _NETWORK_SIZE):
        named = [title for name, title in titles.items() if FIGURES.get(name) is kind]
        if named:
            notes.append(str(kind.note) % {"figures": ", ".join(named)})
    return notes
