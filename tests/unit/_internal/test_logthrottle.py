"""ThrottledLog: one line per kind and interval, then the count of those left out."""

from __future__ import annotations

import logging

import pytest

from liturgia._internal.logthrottle import ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_repeats_are_counted_and_summarised_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = ThrottledLog(logging.getLogger("t.throttle"), interval=10.0, clock=clock)
    caplog.set_level(logging.INFO, logger="t.throttle")
    logged = [throttle.log(logging.ERROR, "store", "storing %d failed", n) for n in range(1000)]
    assert logged == [True] + [False] * 999
    clock.now += 4
    assert throttle.log(logging.ERROR, "other", "another kind") is True  # kinds are apart
    clock.now += 6  # the interval is over: the next one is logged with the count
    assert throttle.log(logging.ERROR, "store", "storing %d failed", 1000) is True
    assert _messages(caplog) == [
        "storing 0 failed",
        "another kind",
        "storing 1000 failed (and 999 more like it in the 10 s before, not logged)",
    ]
    assert caplog.records[0].levelno == logging.ERROR


def test_flush_says_how_many_were_left_out_once_the_interval_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    throttle = ThrottledLog(logging.getLogger("t.flush"), interval=10.0, clock=clock)
    caplog.set_level(logging.INFO, logger="t.flush")
    throttle.flush()  # nothing pending: nothing logged
    for _ in range(3):
        throttle.log(logging.WARNING, "watch", "watch failed")
    clock.now += 2
    throttle.flush("watch")  # within the interval: a flip back to success logs nothing...
    assert throttle.log(logging.WARNING, "watch", "watch failed") is False  # ...nor re-arms
    throttle.log(logging.WARNING, "store", "store failed")
    clock.now += 9  # the interval of "watch" is over, not that of "store"
    throttle.flush()
    assert throttle.log(logging.WARNING, "watch", "watch failed") is True  # forgotten: at once
    assert throttle.log(logging.WARNING, "store", "store failed") is False  # still throttled
    clock.now += 10
    throttle.flush()
    assert _messages(caplog) == [
        "watch failed",
        "store failed",
        "3 more watch messages in the last 11 s, not logged",
        "watch failed",
        "1 more store messages in the last 19 s, not logged",
    ]


def test_interval_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="interval must not be negative, not -1"):
        ThrottledLog(logging.getLogger("t"), interval=-1)
