"""Export and import: every setting and log entry as one JSON document (``/api/export``,
``/api/import``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import RootModel

from study_tracker.content.curriculum import GROUPS
from study_tracker.errors import Conflict
from study_tracker.tracker import backups, service, transfer
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, ImportBodyDep, SessionDep, SettingsDep, import_limit

router = APIRouter()


class ImportCounts(RootModel[dict[str, int]]):
    """Rows imported per table (``groups``, ``completions``, ``roadmap items``...)."""


@router.get(
    "/api/export",
    tags=["transfer"],
    response_class=JSONResponse,
    responses={200: {"model": transfer.Export, "description": "The export document."}},
)
def export(session: SessionDep, clock: ClockDep) -> JSONResponse:
    """Every setting and log entry as one document, for ``/api/import`` or ``study import``."""
    # The document as the service builds it (``study export`` writes the same one), not
    # re-serialized through the model, which would write its times another way.
    return JSONResponse(transfer.export_data(session, now=clock.now))


@router.post(
    "/api/import",
    tags=["transfer"],
    responses=errors.responses(409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Export"}}},
        }
    },
)
def import_(
    session: SessionDep, settings: SettingsDep, clock: ClockDep, body: ImportBodyDep, replace: bool = False
) -> ImportCounts:
    """Replace all settings and history with an export document.

    The document is checked whole first, with the API's own rules (422 naming the field, e.g.
    ``completions[3].day``; 413 over ``STUDY_IMPORT_MAX_MB``); nothing is written unless it passes.
    Refused with 409 unless ``replace=true`` when the database already holds history; a backup of
    the current data is written before anything is replaced.
    """
    document = transfer.parse_export(body, source="body", max_bytes=import_limit(settings))
    if not replace and transfer.has_history(session):
        raise Conflict("the database already holds history: pass replace=true to overwrite it")
    backups.backup_before(settings, session, kind="import")
    counts = transfer.import_data(session, document)
    for group in GROUPS:
        service.reschedule(session, group=group, zone=clock.zone)
    transfer.sync_config_files(session, settings.data_dir)
    return ImportCounts(counts)
