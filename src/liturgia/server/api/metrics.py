"""``GET /metrics``: Prometheus exposition (text format 0.0.4) of :mod:`liturgia.server.metrics`."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from liturgia.server.auth import read_guard
from liturgia.server.context import AppContext
from liturgia.server.metrics import exposition

__all__ = ["router"]


def router(context: AppContext) -> APIRouter:
    """Build ``GET /metrics`` over the log and the records of ``context``."""
    routes = APIRouter(tags=["metrics"], dependencies=[Depends(read_guard(context))])

    @routes.get(
        "/metrics",
        operation_id="getMetrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        """Request latency, log size and appends, releases and their quality (Prometheus text)."""
        body, content_type = await context.call(partial(exposition, context.log, context.records))
        return Response(body, media_type=content_type)

    return routes
