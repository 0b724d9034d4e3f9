"""Backends of the log storage contract. Adding PostgreSQL is one more entry in BACKENDS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liturgia.tlog.storage import LogStorage, MemoryStorage
from liturgia.tlog.storage.sqlite import SqliteStorage


@dataclass
class Backend:
    """Opens a log storage and reopens it as a restarted process would."""

    name: str
    open: Callable[[], LogStorage]
    reopen: Callable[[LogStorage], LogStorage]


def _memory(tmp_path: Path) -> Backend:
    # Nothing outlives the object: a "restart" keeps the same object, unclosed.
    return Backend(name="memory", open=MemoryStorage, reopen=lambda storage: storage)


def _sqlite(tmp_path: Path) -> Backend:
    path = tmp_path / "log.db"

    def reopen(storage: LogStorage) -> LogStorage:
        storage.close()
        return SqliteStorage(path)

    return Backend(name="sqlite", open=lambda: SqliteStorage(path), reopen=reopen)


BACKENDS: dict[str, Callable[[Path], Backend]] = {"memory": _memory, "sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each storage backend in turn."""
    factory: Callable[[Path], Backend] = BACKENDS[request.param]
    return factory(tmp_path)


@pytest.fixture
def storage(backend: Backend) -> Iterator[LogStorage]:
    """A fresh, empty storage of each backend, closed afterwards."""
    opened = backend.open()
    yield opened
    opened.close()
