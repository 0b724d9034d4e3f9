"""A thread-safe LRU of byte strings bounded by their total size (for caches of final values)."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["ByteLRU"]


class ByteLRU:
    """Least-recently-used byte strings, at most ``max_bytes`` of them (keys not counted).

    Meant for values that never change once known (a full tile, an entry's signed timestamp):
    a hit is always a correct answer. Reads take no lock (one dict lookup is atomic under the
    GIL); writes and evictions do.

    Args:
        max_bytes: most bytes of values held; 0 caches nothing.

    Raises:
        ValueError: ``max_bytes`` is negative.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"cache size must not be negative, not {max_bytes}")
        self._max = max_bytes
        self._size = 0
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """The number of values held."""
        return len(self._data)

    @property
    def size(self) -> int:
        """Bytes of values held."""
        return self._size

    def get(self, key: Hashable) -> bytes | None:
        """Return the value under ``key`` (now the most recent), or ``None``."""
        value = self._data.get(key)
        if value is not None:
            with contextlib.suppress(KeyError):  # evicted meanwhile: the value is still right
                self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: bytes) -> None:
        """Remember ``value`` under ``key``, evicting the least recent ones over the bound."""
        if len(value) > self._max:
            return
        with self._lock:
            old = self._data.pop(key, None)
            self._size += len(value) - (0 if old is None else len(old))
            self._data[key] = value
            while self._size > self._max:
                _, dropped = self._data.popitem(last=False)
                self._size -= len(dropped)
