"""The dashboard: server-rendered pages over the release records and the log (Jinja2).

=============================================  ===========================================
``GET /``                                      projects, each with its latest release
``GET /projects/{project}``                    the project's release timeline (version,
                                               date, Go/No-Go, findings, coverage) and its
                                               latest run's stages, live over a WebSocket
``GET /projects/{project}/releases/{version}``  one release: every gate with its evidence,
                                               the SBOM change, findings with links to their
                                               advisories, artifacts with digests and links
                                               to their log entries, the release notes
``GET /projects/{project}/quality``            charts across releases: coverage, test pass
                                               rate, findings by severity, load p95 and
                                               error rate, chaos availability (Chart.js,
                                               served by the package), with the same data
                                               as a table
``GET /log``                                   the log: tree size, latest checkpoint, an
                                               entry looked up by index, UUID or digest
=============================================  ===========================================

Every page also answers ``?format=json`` with the data it shows (the JSON twins under
``/api/v1/...`` are documented in ``/openapi.json``). Pages need no JavaScript (the stages
of a run in progress update live when it is on, :mod:`liturgia.server.api.live`), load
nothing from another site, and escape every value (:mod:`liturgia.server.rendering`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from liturgia.release.record import PROJECT_PATTERN, SEVERITIES, VERSION_PATTERN
from liturgia.server.auth import read_guard
from liturgia.server.context import AppContext
from liturgia.server.errors import ApiError, records_errors
from liturgia.server.records import RecordStore
from liturgia.server.rendering import render

__all__ = ["router"]

_T = TypeVar("_T")
_FORMAT = Query(default="html", alias="format", pattern="^(html|json)$")
_HEX = re.compile(r"[0-9a-fA-F]+")
_COVERAGE = re.compile(r"(\d+(?:\.\d+)?)%")
#: Releases shown on a project's page, newest first (older ones: the JSON API's ``limit``).
_TIMELINE_ROWS = 100


def _coverage(record: dict[str, Any]) -> str:
    found = _COVERAGE.search(record.get("tests", {}).get("coverage", ""))
    return f"{found[1]}%" if found else ""


def _findings_total(record: dict[str, Any]) -> int:
    return sum(record.get("findings", {}).get("by_severity", {}).values())


_TESTS = re.compile(r"(\d+) tests?, (\d+) failures?(?:, (\d+) errors?)?")


def _quality(item: dict[str, Any]) -> dict[str, Any]:
    """One release's figures for the quality charts (``None`` where the record has none).

    ``item`` is a row of :meth:`RecordStore.quality`: coverage, test pass rate and findings
    come from (the parts it holds of) its record, the load p95 (ms), error rate and chaos
    availability (percent) from the figures stored beside it.
    """
    record, received = item["record"], item["receivedAt"]
    coverage = _COVERAGE.search(record.get("tests", {}).get("coverage", ""))
    tests = _TESTS.search(record.get("tests", {}).get("summary", ""))
    pass_rate = None
    if tests and int(tests[1]):
        failed = int(tests[2]) + int(tests[3] or 0)
        pass_rate = round((int(tests[1]) - failed) / int(tests[1]) * 100, 2)
    counts = record.get("findings", {}).get("by_severity", {})
    return {
        "version": record["version"],
        "received": received,
        "decision": record["decision"],
        "coverage": float(coverage[1]) if coverage else None,
        "testPassRate": pass_rate,
        "findings": {severity: int(counts.get(severity, 0)) for severity in SEVERITIES},
        "loadP95Ms": item["loadP95Ms"],
        "errorRate": item["errorRatePercent"],
        "chaosAvailability": item["chaosAvailabilityPercent"],
    }


def _advisory_url(finding_id: str) -> str:
    """Where an advisory is described (OSV covers GHSA, PYSEC, CVE, GO... ids)."""
    return f"https://osv.dev/vulnerability/{finding_id}"


def router(context: AppContext, store: RecordStore) -> APIRouter:
    """Build the dashboard's pages over ``store`` and ``context.log``."""
    routes = APIRouter(include_in_schema=False, dependencies=[Depends(read_guard(context))])

    async def call(func: Callable[[], _T]) -> _T:
        with records_errors():
            return await anyio.to_thread.run_sync(func)

    @routes.get("/")
    async def projects_page(output: str = _FORMAT) -> Response:
        projects = await call(store.projects)
        if output == "json":
            return JSONResponse(projects)
        return render("projects.html", projects=projects)

    @routes.get("/projects/{project}")
    async def project_page(
        project: str = Path(pattern=PROJECT_PATTERN), output: str = _FORMAT
    ) -> Response:
        releases = await call(partial(store.releases, project, _TIMELINE_ROWS))
        run = await call(partial(store.latest_run, project))
        if not releases and run is None:
            raise ApiError(404, f"no release of project {project}")
        if output == "json":
            return JSONResponse({"project": project, "releases": releases, "latestRun": run})
        rows = [
            {
                "version": item["record"]["version"],
                "received": item["receivedAt"],
                "decision": item["record"]["decision"],
                "dry_run": item["record"].get("dry_run", False),
                "findings": _findings_total(item["record"]),
                "coverage": _coverage(item["record"]),
                "tests": item["record"].get("tests", {}).get("summary", ""),
                "rolled_back": item.get("rollback") is not None,
            }
            for item in releases
        ]
        return render("project.html", project=project, rows=rows, run=run)

    @routes.get("/projects/{project}/releases/{version}")
    async def release_page(
        project: str = Path(pattern=PROJECT_PATTERN),
        version: str = Path(pattern=VERSION_PATTERN),
        output: str = _FORMAT,
    ) -> Response:
        found = await call(partial(store.release, project, version))
        if found is None:
            raise ApiError(404, f"no release {version} of project {project}")
        if output == "json":
            return JSONResponse(found)
        record = found["record"]
        findings = sorted(
            record.get("findings", {}).get("items", []),
            key=lambda f: (SEVERITIES.index(f["severity"]), f["id"]),
        )
        return render(
            "release.html",
            project=project,
            record=record,
            received=found["receivedAt"],
            events=found["events"],
            rollback=found.get("rollback"),
            findings=[{**f, "url": _advisory_url(f["id"])} for f in findings],
            severities=SEVERITIES,
            coverage=_coverage(record),
        )

    @routes.get("/projects/{project}/quality")
    async def quality_page(
        project: str = Path(pattern=PROJECT_PATTERN), output: str = _FORMAT
    ) -> Response:
        releases = await call(partial(store.quality, project, _TIMELINE_ROWS))
        if not releases:
            raise ApiError(404, f"no release of project {project}")
        series = [_quality(item) for item in reversed(releases)]
        if output == "json":
            return JSONResponse({"project": project, "releases": series})
        return render("quality.html", project=project, series=series, severities=SEVERITIES)

    @routes.get("/log")
    async def log_page(
        output: str = _FORMAT,
        lookup: str = Query(default="", alias="q", max_length=200),
    ) -> Response:
        info = await context.read(context.log.info)
        entry, problem = None, ""
        query = lookup.strip()
        if query:
            entry, problem = await _lookup(context, query)
        if output == "json":
            return JSONResponse({"log": info, "query": query, "entry": entry, "problem": problem})
        return render("log.html", info=info, query=query, entry=entry, problem=problem)

    return routes


async def _lookup(context: AppContext, query: str) -> tuple[dict[str, Any] | None, str]:
    """Find an entry by log index, UUID / entry ID, or artifact SHA-256: ``(entry, problem)``."""
    log = context.log
    found: Any = None
    try:
        # isdigit() is true of "²" too, which int() refuses: ASCII digits only (issue 16).
        if query.isascii() and query.isdigit() and len(query) <= 15:
            found = await context.read(partial(log.entry, int(query)))
        elif _HEX.fullmatch(query) and len(query) in (64, 80):
            found = await context.read(partial(log.entry_by_id, query.lower()))
            if found is None and len(query) == 64:  # an artifact digest
                ids = await context.call(
                    partial(log.search, artifact_hash=f"sha256:{query.lower()}", public_key=None)
                )
                if ids:
                    found = await context.read(partial(log.entry_by_id, ids[0]))
        else:
            return None, "give a log index, a 64-hex UUID, an 80-hex entry ID or a SHA-256"
    except ApiError as exc:
        return None, exc.message
    if found is None:
        return None, f"no entry for {query}"
    document: dict[str, Any] = found.to_api_json(tree_id=log.tree_id)
    ((entry_id, value),) = document.items()
    return {"id": entry_id, **value}, ""
