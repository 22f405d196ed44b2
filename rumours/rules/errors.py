"""The one error a rule raises when it refuses a change. Views turn it into a form
re-rendered with its messages (rumours.web.binding) or a JSON answer (rumours.web.errors)."""

from flask_babel import gettext as _


class DomainError(ValueError):
    """A rule refused the change: `message` says why, `fields` maps the form fields (or API
    keys) to fix to their messages. A single field name stands for {field: [message]}."""

    # Unprocessable Content: the request was understood, its content is refused.
    status = 422

    def __init__(self, message: str, fields: dict[str, list[str]] | str | None = None):
        super().__init__(message)
        self.message = message
        if isinstance(fields, str):
            fields = {fields: [message]}
        self.fields = {name: list(messages) for name, messages in (fields or {}).items()}

    @property
    def field(self) -> str | None:
        """The first field the error names, or None when it is about the whole change."""
        return next(iter(self.fields), None)


class NotAllowed(DomainError):
    """The actor may not do this, whatever the content (403)."""

    status = 403


class FieldErrors:
    """Messages gathered field by field, so one answer names every field to fix."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise DomainError(_("Some fields need attention."), self.fields)
