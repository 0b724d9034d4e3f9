"""The reproducible clock: ``SOURCE_DATE_EPOCH`` when set, else the real time.

Implements the reproducible-builds.org SOURCE_DATE_EPOCH specification: a decimal count of
seconds since the Unix epoch, UTC; an invalid value is an error rather than silently ignored.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from liturgia.errors import ConfigError

__all__ = ["now", "source_date_epoch"]


def source_date_epoch() -> int | None:
    """Return ``SOURCE_DATE_EPOCH`` as an int, or ``None`` when it is unset or empty.

    Raises:
        ConfigError: the variable is set but not a non-negative decimal integer.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ConfigError(f"SOURCE_DATE_EPOCH: {raw!r} is not a whole number of seconds")
    return int(raw)


def now() -> datetime:
    """Return the current time (UTC, whole seconds), or ``SOURCE_DATE_EPOCH`` when set."""
    epoch = source_date_epoch()
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)
