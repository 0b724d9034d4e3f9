"""A real ``liturgia serve`` child process on a free loopback port, for the server tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import HOST, START_TIMEOUT, Server, free_port

__all__ = ["HOST", "START_TIMEOUT", "Server", "free_port"]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
