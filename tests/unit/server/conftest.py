"""The in-process app fixtures of :mod:`test_server_app`, shared by the other server tests,
and the cockpit's record store on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.server.test_server_app import log, log_key, portal, signer

from liturgia.server.records import RecordStore, open_records

__all__ = ["log", "log_key", "portal", "records", "signer"]


@pytest.fixture
def records(tmp_path: Path) -> Iterator[RecordStore]:
    """A record store in a fresh SQLite file."""
    opened = open_records(f"sqlite://{tmp_path / 'records.db'}")
    yield opened
    opened.close()
