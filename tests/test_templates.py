"""Templates: read from the source, the rules every template keeps."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# `_` is gettext in every template; assigning it (`{% set _ = d.update(...) %}`) shadows
# it for the rest of the scope, and the next `_("...")` calls a None: a 500.
ASSIGNS_GETTEXT = re.compile(r"{%-?\s*(?:set|for)\s+(?:[\w\s,]*,\s*)?_\s*(?:=|,|in\b|%})")


def test_no_template_assigns_the_gettext_name():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ASSIGNS_GETTEXT.search(line)
    ]
    assert offenders == [], f"these lines assign `_` and shadow gettext: {offenders}"


def test_the_check_sees_an_assignment():
    assert ASSIGNS_GETTEXT.search('{% set _ = args.update({"page": 2}) %}')
    assert ASSIGNS_GETTEXT.search("{% for _ in range(3) %}")
    assert not ASSIGNS_GETTEXT.search('{% set args = dict(args, page=2) %}{{ _("Next") }}')
