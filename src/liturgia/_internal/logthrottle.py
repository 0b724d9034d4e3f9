"""Rate-limited logging of repeated errors: one line, then a count per interval.

A storage that fails (a full disk, a database that refuses connections) fails every request
the same way; logging each one writes thousands of identical lines a second (29,433 in 40 s
were seen on a full disk, filling it further). :class:`ThrottledLog` logs the first message of
a kind, counts the others of that kind for ``interval`` seconds, and logs the next one after
that with the count of those it left out, so a sustained failure costs one line per interval.
:meth:`ThrottledLog.flush` logs the pending count once the interval is over (call it after
each success, so that the count of a trouble that ended is said).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["ThrottledLog"]


class ThrottledLog:
    """Logs the first message of each kind per ``interval`` seconds and counts the rest.

    Thread-safe.

    Args:
        logger: where the lines go.
        interval: seconds during which further messages of one kind are only counted.
        clock: monotonic seconds (injectable for tests).

    Raises:
        ValueError: ``interval`` is negative.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval < 0:
            raise ValueError(f"interval must not be negative, not {interval}")
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._kinds: dict[str, tuple[float, int]] = {}  # kind -> (window start, left out)

    def log(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless a message of ``kind`` was logged less than an
        interval ago; return whether it was logged.

        A logged message that follows left-out ones says how many were left out.
        """
        now = self._clock()
        with self._lock:
            start, left_out = self._kinds.get(kind, (None, 0))
            if start is not None and now - start < self._interval:
                self._kinds[kind] = (start, left_out + 1)
                return False
            self._kinds[kind] = (now, 0)
        if left_out:
            message += " (and %d more like it in the %.0f s before, not logged)"
            args = (*args, left_out, now - (start or now))
        self._logger.log(level, message, *args)
        return True

    def flush(self, kind: str | None = None) -> None:
        """Once the interval of ``kind`` (default: every kind) is over, log how many of its
        messages were left out, and forget the kind, so that its next message is logged at once.

        Within the interval nothing is logged: a failure that comes and goes (a nearly full
        disk where some writes still fit) costs at most two lines an interval, not two a
        flip. Cheap when nothing is pending: call it after every success.
        """
        if not self._kinds:  # the common case: no lock taken
            return
        now = self._clock()
        with self._lock:
            kinds = sorted(self._kinds) if kind is None else [kind] if kind in self._kinds else []
            over = [name for name in kinds if now - self._kinds[name][0] >= self._interval]
            pending = [(name, self._kinds.pop(name)) for name in over]
        for name, (start, left_out) in pending:
            if left_out:
                self._logger.warning(
                    "%d more %s messages in the last %.0f s, not logged",
                    left_out,
                    name,
                    now - start,
                )
