"""Storage backends of the transparency log behind one small contract (:mod:`.base`)."""

from __future__ import annotations

from liturgia.tlog.storage.base import Assigned, LogStorage, TreeState
from liturgia.tlog.storage.memory import MemoryStorage
from liturgia.tlog.storage.sqlite import SqliteStorage

__all__ = ["Assigned", "LogStorage", "MemoryStorage", "SqliteStorage", "TreeState"]
