"""Release records and stage events over HTTP (``liturgia release --server`` writes, all read).

=====================================================  =====================================
``POST /api/v1/projects/{project}/runs/{run}/events``  store a :class:`StageEvent`: 201 new,
                                                       200 a repeat, 409 other content
``PUT /api/v1/projects/{project}/releases/{version}``  store a :class:`ReleaseRecord`: 201
                                                       new, 200 a repeat, 409 other content
``PUT .../releases/{version}/rollback``                mark it rolled back
                                                       (:class:`RollbackMark`): 201 new, 200
                                                       a repeat, 404 no such release, 409
                                                       another mark
``GET /api/v1/projects``                               every project and its latest release
``GET /api/v1/projects/{project}/releases``            a project's records, newest first
``GET /api/v1/projects/{project}/releases/{version}``  one record with its run's events
``GET /api/v1/projects/{project}/runs/{run}/events``   a run's events (``?after=N``)
=====================================================  =====================================

A new run's first event and a new record are announced to the webhooks
(:mod:`liturgia.server.webhooks`) after they are stored.

Writes need ``Authorization: Bearer <token>`` of the project named in the path
(``liturgia serve token create PROJECT``): 401 without a token or with an unknown or revoked
one (``WWW-Authenticate: Bearer``), 403 with another project's. The token is checked before
the body is read. Reads are public, unless the server is ``--private``: then they need any
valid token (:mod:`liturgia.server.auth`). A body must match the schema
(``extra="forbid"``): a 400 names the first wrong field, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from liturgia.release.record import (
    PROJECT_PATTERN,
    RUN_PATTERN,
    VERSION_PATTERN,
    ReleaseRecord,
    RollbackMark,
    StageEvent,
)
from liturgia.server.auth import read_guard, token_project
from liturgia.server.context import AppContext
from liturgia.server.errors import ApiError, records_errors
from liturgia.server.records import RecordConflictError, RecordStore
from liturgia.server.wire import read_json

__all__ = ["openapi_schemas", "router"]

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)
_R = TypeVar("_R", ReleaseRecord, RollbackMark)
_PROJECT = Path(pattern=PROJECT_PATTERN, max_length=100)


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": reference}}}
    }


def openapi_schemas() -> dict[str, Any]:
    """The request bodies' JSON schemas, for the OpenAPI document's ``components.schemas``."""
    schemas: dict[str, Any] = {}
    for model in (StageEvent, ReleaseRecord, RollbackMark):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _validated(model: type[_M], document: Any) -> _M:
    """Validate a request body; a 400 names the first wrong field.

    Raises:
        ApiError: 400.
    """
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise ApiError(400, f"field {where!r}: {first.get('msg', 'invalid')}") from exc


def router(context: AppContext, store: RecordStore) -> APIRouter:
    """Build the records' routes over ``store``."""
    routes = APIRouter(tags=["releases"])
    readable = [Depends(read_guard(context))]

    async def call(func: Callable[[], _T]) -> _T:
        """Run a store call in a worker thread; a conflict is 409, a storage failure 503."""
        with records_errors():
            try:
                return await anyio.to_thread.run_sync(func)
            except RecordConflictError as exc:
                raise ApiError(409, str(exc)) from exc

    async def authorize(request: Request, project: str) -> None:
        """Require a bearer token of ``project`` (401 none or unknown, 403 another project's)."""
        owner = await token_project(context, request, "write")
        if owner != project:
            raise ApiError(403, f"the token is not a token of project {project!r}")

    async def release_body(request: Request, model: type[_R], project: str, version: str) -> _R:
        """Authorize a write of ``project``, then read and validate a body about one of its
        releases: its ``project`` and ``version`` fields must be the path's (400 naming the
        field otherwise)."""
        await authorize(request, project)
        body = _validated(model, await read_json(request, context.max_body_bytes))
        for field, path_value in (("project", project), ("version", version)):
            if getattr(body, field) != path_value:
                raise ApiError(
                    400,
                    f"field {field!r}: {getattr(body, field)!r} is not the path's {path_value!r}",
                )
        return body

    @routes.post(
        "/api/v1/projects/{project}/runs/{run}/events",
        operation_id="addStageEvent",
        status_code=201,
        openapi_extra=_json_body(StageEvent),
        responses={200: {"description": "a repeat of a stored event"}, 401: {}, 403: {}, 409: {}},
    )
    async def add_event(
        request: Request,
        project: str = _PROJECT,
        run: str = Path(pattern=RUN_PATTERN),
    ) -> JSONResponse:
        """Store one stage event of a release run (idempotent by run and sequence number)."""
        await authorize(request, project)
        event = _validated(StageEvent, await read_json(request, context.max_body_bytes))
        created = await call(lambda: store.add_event(project, run, event))
        if created and context.webhooks and event.seq == 1 and event.kind == "stage-started":
            context.webhooks.notify(
                "release.started", project=project, run=run, version=None, decision=None
            )
        return JSONResponse({"stored": created}, status_code=201 if created else 200)

    @routes.put(
        "/api/v1/projects/{project}/releases/{version}",
        operation_id="putReleaseRecord",
        status_code=201,
        openapi_extra=_json_body(ReleaseRecord),
        responses={
            200: {"description": "a repeat of the stored record"},
            401: {},
            403: {},
            409: {},
        },
    )
    async def put_record(
        request: Request,
        project: str = _PROJECT,
        version: str = Path(pattern=VERSION_PATTERN),
    ) -> JSONResponse:
        """Store a release's final record (idempotent: the same record again is a 200)."""
        record = await release_body(request, ReleaseRecord, project, version)
        created = await call(lambda: store.put_record(record))
        if created and context.webhooks:
            context.webhooks.notify(
                "release.passed" if record.decision == "GO" else "release.failed",
                project=project,
                run=record.run,
                version=version,
                decision=record.decision,
            )
        return JSONResponse({"stored": created}, status_code=201 if created else 200)

    @routes.put(
        "/api/v1/projects/{project}/releases/{version}/rollback",
        operation_id="putRollback",
        status_code=201,
        openapi_extra=_json_body(RollbackMark),
        responses={
            200: {"description": "a repeat of the stored mark"},
            401: {},
            403: {},
            404: {},
            409: {},
        },
    )
    async def put_rollback(
        request: Request,
        project: str = _PROJECT,
        version: str = Path(pattern=VERSION_PATTERN),
    ) -> JSONResponse:
        """Mark a stored release rolled back (``liturgia rollback``); its record is unchanged."""
        mark = await release_body(request, RollbackMark, project, version)
        created = await call(lambda: store.put_rollback(mark))
        if created is None:
            raise ApiError(404, f"no release {version} of project {project}: send its record first")
        return JSONResponse({"stored": created}, status_code=201 if created else 200)

    @routes.get("/api/v1/projects", operation_id="listProjects", dependencies=readable)
    async def list_projects() -> JSONResponse:
        """Every project (with a token or a release) and its latest release."""
        return JSONResponse(await call(store.projects))

    @routes.get(
        "/api/v1/projects/{project}/releases", operation_id="listReleases", dependencies=readable
    )
    async def list_releases(
        project: str = _PROJECT, limit: int = Query(default=100, ge=1, le=1000)
    ) -> JSONResponse:
        """A project's release records, newest first."""
        return JSONResponse(await call(lambda: store.releases(project, limit)))

    @routes.get(
        "/api/v1/projects/{project}/releases/{version}",
        operation_id="getRelease",
        responses={404: {}},
        dependencies=readable,
    )
    async def get_release(
        project: str = _PROJECT, version: str = Path(pattern=VERSION_PATTERN)
    ) -> JSONResponse:
        """One release's record and the stage events of its run."""
        found = await call(lambda: store.release(project, version))
        if found is None:
            raise ApiError(404, f"no release {version} of project {project}")
        return JSONResponse(found)

    @routes.get(
        "/api/v1/projects/{project}/runs/{run}/events",
        operation_id="listStageEvents",
        dependencies=readable,
    )
    async def list_events(
        project: str = _PROJECT,
        run: str = Path(pattern=RUN_PATTERN),
        after: int = Query(default=0, ge=0, le=10_000),
    ) -> JSONResponse:
        """A release run's stage events after sequence number ``after``, in order."""
        return JSONResponse(await call(lambda: store.events(project, run, after)))

    return routes
