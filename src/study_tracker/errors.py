"""The one error hierarchy: every error a user can cause, with its HTTP status and field errors.

Services raise these; exactly two places translate them: ``web/errors.py`` (an HTML page or JSON,
with ``status``) and ``cli/errors.py`` (a red line and an exit code). Nothing else catches a
``StudyError`` to turn it into a status or an exit.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class StudyError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP code it maps to.

    ``message`` is a plain sentence; ``errors`` name the fields at fault (may be empty).
    """

    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class NotFound(StudyError):
    status = 404


class Conflict(StudyError):
    status = 409


class InvalidInput(StudyError):
    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class PayloadTooLarge(InvalidInput):
    """An upload or a body over its size cap."""

    status = 413


class NotSignedIn(StudyError):
    """The server is reachable off this computer and the request carries no valid session or token."""

    status = 401


class Forbidden(StudyError):
    """Refused whatever the input: the request is not allowed from where it came."""

    status = 403


class UnknownHost(StudyError):
    """The request's ``Host`` header names a host this server does not answer to (400)."""


class CrossSiteRequest(Forbidden):
    """A change sent by a page of another site (a forged form or fetch), not by the app's own pages."""


class Unavailable(StudyError):
    """The request is fine but the app cannot serve it now (an index being built, a busy database)."""

    status = 503


class DatabaseBusy(Unavailable):
    """Another request or program held the database's write lock longer than the busy timeout."""


class DatabaseUnavailable(Unavailable):
    """The database cannot be opened or read: damaged, unreadable, or a server that cannot be reached.

    The message names the file (or server) and what to do; for a damaged SQLite file, the newest
    good backup and the ``study restore`` command that puts it back.
    """


class CorruptDatabase(DatabaseUnavailable):
    """The SQLite file is not a database, is truncated, or fails SQLite's integrity check."""


class StorageError(StudyError):
    """Nothing could be written where the data lives: the disk is full or the folder is read-only.

    507 (Insufficient Storage): the request was fine and nothing of it was stored.
    """

    status = 507


class DiskFull(StorageError):
    pass


class ReadOnlyData(StorageError):
    pass


# errno values that mean "no room left" and "you may not write here"
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def storage_error(exc: OSError, path: object, doing: str = "write") -> StudyError:
    """What an ``OSError`` met while reading or writing the user's data means, as a sentence that
    names the path; an error that is neither "full" nor "read-only" keeps its own words (503)."""
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_ROOM:
        return DiskFull(
            f"cannot {doing} {path}: {reason}; free some disk space and try again (nothing was saved)"
        )
    if exc.errno in _NOT_WRITABLE:
        why = (
            "the file system is read-only"
            if exc.errno == errno.EROFS
            else f"{reason}: read-only to this user"
        )
        return ReadOnlyData(
            f"cannot {doing} {path}: {why}; study-tracker needs to write its data folder: make it "
            "writable, or point STUDY_DATA_DIR at a writable copy (nothing was saved)"
        )
    return Unavailable(f"cannot {doing} {path}: {reason}")


class ConfigFileError(StudyError):
    """A hand-edited ``config.json`` that cannot be used; names the file and the field."""


class RoadmapError(InvalidInput):
    """A roadmap file or form value that cannot be used; names the field (``file``, ``link``...)."""

    @classmethod
    def field(cls, field: str, message: str) -> RoadmapError:
        return cls(f"{field}: {message}", [FieldError(field, message)])


# --- the knowledge engine (it serves any corpus, so it knows nothing of the tracker but these) ---


class KnowledgeError(StudyError):
    """A problem of the knowledge engine the user can act on; ``str(error)`` is a plain sentence."""

    status = 500


class IndexNotBuilt(KnowledgeError, Unavailable):
    """No index has been written yet in the knowledge folder."""

    status = 503


class EncoderNotReady(KnowledgeError, Unavailable):
    """The ONNX query encoder is not exported yet and this process may not export it (the server)."""

    status = 503


class IndexMismatch(KnowledgeError, Unavailable):
    """The index on disk was built with another embedding model or chunker version."""

    status = 503


class ModelNotFound(KnowledgeError, Unavailable):
    """The embedding model folder is missing or incomplete."""

    status = 503


class DeviceUnavailable(KnowledgeError, Unavailable):
    """The embedding device setting asks for a GPU that the installed backend cannot use."""

    status = 503


class SourceNotFound(KnowledgeError, NotFound):
    """A path named for ingest or removal does not exist or was never ingested."""

    status = 404


class IngestBusy(KnowledgeError, Conflict):
    """Another ingest holds the knowledge folder's lock."""

    status = 409


class InvalidQuery(KnowledgeError, InvalidInput):
    """A search request has a bad mode, k or filter (the message names the field)."""

    status = 422


class RedditCollectError(KnowledgeError):
    """Collecting from Reddit failed: bad arguments, missing or refused app credentials, an unknown
    subreddit, or Reddit errors that outlasted the retries; the message is meant for the user.

    502 because the usual cause is the remote site; bad arguments never come from the web app.
    """

    status = 502


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


def field_path(loc: tuple[int | str, ...] | list[int | str], *, brackets: bool = False) -> str:
    """A field's dotted path; with ``brackets``, list positions read ``completions[3].day``."""
    out = ""
    for part in loc:
        if part == "__root__":
            continue
        if brackets and isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def field_errors(exc: ValidationError, prefix: str = "", *, brackets: bool = False) -> list[FieldError]:
    """Plain sentences naming each field a pydantic validation refused."""
    out = []
    for err in exc.errors():
        loc = field_path(err["loc"], brackets=brackets)
        field = ".".join(p for p in (prefix, loc) if p)
        message = _FRIENDLY.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
        if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = str(err["msg"]).replace("Input should be", "must be")
        out.append(FieldError(field or "body", message))
    return out


def invalid(exc: ValidationError, prefix: str = "", *, brackets: bool = False) -> InvalidInput:
    errors = field_errors(exc, prefix, brackets=brackets)
    return InvalidInput("; ".join(str(e) for e in errors), errors)
