"""Every interface language is complete: each message the source asks for (extracted
afresh from the code and templates, as `make messages` does) has a translation that is
not fuzzy, no catalogue keeps obsolete entries, and placeholders match the source."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from config import Config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "rumours" / "translations"
OTHER_LANGUAGES = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")
METHODS = [("rumours/**.py", "python"), ("templates/**.html", "jinja2")]


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


@pytest.fixture(scope="module")
def source_messages() -> dict[tuple[str, str | None], str | None]:
    """(msgid, context) -> msgid_plural (or None) for every message in the code and templates
    (a context tells apart one English word meaning two things: "Settings")."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "_lp": ((1, "c"), 2)}
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT, METHODS, keywords=keywords, options_map={"templates/**.html": {}}
    ):
        if isinstance(message, tuple):
            found[(message[0], context)] = message[1]
        else:
            found[(message, context)] = None
    assert len(found) > 500, "extraction found too little: is babel.cfg's mapping right?"
    return found


def catalogue(language: str):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalogue for {language}: run `make messages` and translate"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_source_message_is_translated(language, source_messages):
    entries = catalogue(language)
    missing = []
    for msgid, context in source_messages:
        entry = entries.get(msgid, context=context)
        strings = entry.string if entry else None
        if isinstance(strings, tuple | list):
            untranslated = not all(strings)
        else:
            untranslated = not strings
        if entry is None or untranslated:
            missing.append(msgid)
    assert missing == [], f"{len(missing)} messages lack a {language} translation: {missing[:10]}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_no_fuzzy_or_obsolete_entries(language):
    entries = catalogue(language)
    fuzzy = [m.id for m in entries if m.id and m.fuzzy]
    assert fuzzy == [], f"fuzzy entries in {language}: {fuzzy[:10]}"
    assert list(entries.obsolete) == [], f"obsolete entries in {language}: run make messages"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_placeholders_match_the_source(language):
    broken = []
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple | list):
            wanted = [placeholders(message.id[0]), placeholders(message.id[1])]
            for form in message.string:
                if placeholders(form) not in wanted:
                    broken.append(message.id[0])
        elif placeholders(message.string) != placeholders(message.id):
            broken.append(message.id)
    assert broken == [], f"placeholders differ in {language}: {broken[:10]}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_catalogue_compiles_and_formats(language):
    """What `make` compiles loads, and every python-format translation formats."""
    entries = catalogue(language)
    write_mo(BytesIO(), entries)
    for message in entries:
        if not message.id or not message.python_format:
            continue
        forms = message.string if isinstance(message.string, tuple | list) else [message.string]
        for form in forms:
            names = re.findall(r"%\((\w+)\)", form)
            if names:
                form % {name: 1 for name in names}
