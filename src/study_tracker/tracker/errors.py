"""Domain errors of the tracker. ``web/errors.py`` and the CLI map them to HTTP codes and exits."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class TrackerError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP code it maps to."""

    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class NotFound(TrackerError):
    status = 404


class Conflict(TrackerError):
    status = 409


class InvalidInput(TrackerError):
    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class ConfigFileError(TrackerError):
    """A hand-edited ``config.json`` that cannot be used; names the file and the field."""


_FRIENDLY = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "date_from_datetime_parsing": "must be a date like 2026-01-31",
    "date_parsing": "must be a date like 2026-01-31",
    "date_type": "must be a date like 2026-01-31",
    "missing": "is required",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "extra_forbidden": "is not a known field",
}


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Plain sentences naming each field a pydantic validation refused."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
        field = ".".join(p for p in (prefix, loc) if p)
        message = _FRIENDLY.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
        if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = str(err["msg"]).replace("Input should be", "must be")
        out.append(FieldError(field or "body", message))
    return out


def invalid(exc: ValidationError, prefix: str = "") -> InvalidInput:
    errors = field_errors(exc, prefix)
    return InvalidInput("; ".join(str(e) for e in errors), errors)
