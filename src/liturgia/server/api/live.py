"""Live stage updates of a project's release runs, over a WebSocket.

``WS /api/v1/projects/{project}/live?run=RUN&after=N``: the server sends each stage event of
the project's latest run that the client has not seen (sequence number above ``after`` in run
``run``) as one JSON text message ``{"run": RUN, "event": {...}, "version": V}``, in order,
and follows the project to its next run (``version`` is the run's release once its record is
stored, else ``null``). Events are read from the database every :data:`POLL_SECONDS`, so every
``--workers`` process sees every event, whichever process stored it.

A client may send ``{"after": N}`` to be sent again what follows ``N``; any other message is
answered with ``{"code": 400, "message": ...}`` naming the field, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from liturgia.errors import StorageError
from liturgia.release.record import PROJECT_PATTERN, RUN_PATTERN
from liturgia.server.context import AppContext
from liturgia.server.records import RecordStore

__all__ = ["POLL_SECONDS", "router"]

_LOG = logging.getLogger(__name__)
#: How often a stream looks for new events, in seconds.
POLL_SECONDS = 0.2
_MESSAGE_BYTES = 1024


def _problem(raw: str) -> tuple[int | None, str]:
    """Parse a client message: ``(after, "")`` or ``(None, problem naming the field)``."""
    if len(raw) > _MESSAGE_BYTES:
        return None, f"message of {len(raw)} characters is over the {_MESSAGE_BYTES} limit"
    try:
        document: Any = json.loads(raw)
    except ValueError:
        return None, "message is not JSON"
    if not isinstance(document, dict) or set(document) != {"after"}:
        return None, 'message must be {"after": N} and nothing else'
    after = document["after"]
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= 10_000:
        return None, "field 'after': must be an integer from 0 to 10000"
    return after, ""


def router(context: AppContext, store: RecordStore) -> APIRouter:
    """Build the live stream's WebSocket route over ``store``."""
    import re  # noqa: PLC0415 - the patterns only

    project_ok = re.compile(PROJECT_PATTERN).fullmatch
    run_ok = re.compile(RUN_PATTERN).fullmatch
    routes = APIRouter()

    @routes.websocket("/api/v1/projects/{project}/live")
    async def live(websocket: WebSocket, project: str) -> None:
        run = websocket.query_params.get("run", "")
        after_text = websocket.query_params.get("after", "0")
        if (
            not project_ok(project)
            or (run and not run_ok(run))
            or not (
                after_text.isascii() and after_text.isdigit()  # int() refuses "²" (issue 16)
            )
        ):
            await websocket.close(code=1008, reason="bad project, run or after")
            return
        await websocket.accept()
        state: dict[str, Any] = {"run": run, "after": int(after_text[:6])}

        async def listen() -> None:
            while True:
                raw = await websocket.receive_text()
                after, problem = _problem(raw)
                if after is None:
                    await websocket.send_json({"code": 400, "message": problem})
                else:
                    state["after"] = after

        async def stream() -> None:
            while True:
                try:
                    latest = await anyio.to_thread.run_sync(partial(store.latest_run, project))
                except StorageError as exc:  # a busy or failing database: try at the next poll
                    _LOG.warning("live stream of %s: %s", project, exc)
                    latest = None
                if latest is not None:
                    if latest["run"] != state["run"]:
                        state["run"], state["after"] = latest["run"], 0
                    for event in latest["events"]:
                        if event["seq"] > int(state["after"]):
                            await websocket.send_json(
                                {"run": latest["run"], "event": event, "version": latest["version"]}
                            )
                            state["after"] = event["seq"]
                await asyncio.sleep(POLL_SECONDS)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(listen)
                group.start_soon(stream)
        except* (WebSocketDisconnect, anyio.ClosedResourceError, RuntimeError):
            pass
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close()

    return routes
