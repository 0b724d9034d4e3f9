"""Fixtures of the chaos experiments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.serve import Serve


@pytest.fixture
def started() -> Iterator[list[Serve]]:
    """The servers a test started (append each): SIGKILLed at teardown, whatever happened."""
    processes: list[Serve] = []
    yield processes
    for process in processes:
        process.kill()
