"""Health probes: ``GET /healthz`` (the process answers) and ``GET /readyz`` (it can serve).

=====================================  ====================================================
``GET /healthz``                       200 ``{"status": "ok"}`` while the process serves
                                       requests at all (a liveness probe)
``GET /readyz``                        200 ``{"status": "ready", "treeSize": N, ...}`` when
                                       the storage answers and its newest tree verifies
                                       against its signed checkpoint; else 503 with Rekor's
                                       ``Error`` object naming what failed
=====================================  ====================================================

The stored tree and entries are verified in full before the application exists
(:meth:`~liturgia.tlog.log.RekorLog.start`); readiness reads the newest stored tree, which
verifies a checkpoint another process signed before adopting it, so a storage that went away
or a tree that no longer matches its checkpoint turns the probe to 503.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from liturgia.server.context import AppContext

__all__ = ["Alive", "Ready", "router"]


class Alive(BaseModel):
    """The liveness answer."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["ok"]


class Ready(BaseModel):
    """The readiness answer: what was checked and the verified tree's size."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    status: Literal["ready"]
    storage: Literal["reachable"]
    tree: Literal["verified"]
    tree_size: int = Field(alias="treeSize", ge=0)


def router(context: AppContext) -> APIRouter:
    """Build ``/healthz`` and ``/readyz`` over ``context.log``."""
    routes = APIRouter(tags=["health"])

    @routes.get("/healthz", operation_id="getHealth", summary="Liveness", response_model=Alive)
    async def healthz() -> Alive:
        """Answer while the process serves requests (liveness)."""
        return Alive(status="ok")

    @routes.get(
        "/readyz",
        operation_id="getReadiness",
        summary="Readiness",
        response_model=Ready,
        response_model_by_alias=True,
    )
    async def readyz() -> Ready:
        """Answer 200 when the storage is reachable and its newest tree verifies, else 503."""
        info = await context.read(context.log.info)  # 503 (ApiError) when storage fails
        size: int = info["treeSize"]
        return Ready(status="ready", storage="reachable", tree="verified", tree_size=size)

    return routes
