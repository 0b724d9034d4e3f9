"""A cockpit server killed in the middle of a release loses no acknowledged event.

A real ``liturgia serve`` takes a release's first events from the real sender; it is killed
with SIGKILL (no clean stop) and started again on the same port and database while the
release goes on; the sender retries what the dead server did not answer. Every event the
server acknowledged before the kill is there after it, the later ones arrive, and none is
stored twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from liturgia.release.cockpit import CockpitSender
from tests import serving
from tests.serving import Server, make_token


def _stored(url: str, sender: CockpitSender) -> list[int]:
    answer = httpx.get(f"{url}/api/v1/projects/vertice/runs/{sender.run}/events", timeout=30)
    return [event["seq"] for event in answer.json()]


def test_no_acknowledged_event_is_lost_across_a_kill(
    tmp_path: Path, servers: list[Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "log.db"
    servers.append(Server(db, tmp_path))
    first = servers[-1]
    url = first.url
    sender = CockpitSender(url, make_token(db, "vertice"), "vertice")
    for stage in ("version", "build"):
        sender.stage_started(stage)
        sender.stage_finished(stage, f"{stage} done")
    deadline = time.monotonic() + 30
    while _stored(url, sender) != [1, 2, 3, 4] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stored(url, sender) == [1, 2, 3, 4]  # acknowledged

    first.process.kill()  # SIGKILL: no clean stop
    first.process.wait(timeout=30)
    sender.stage_started("test")  # sent while nothing listens: retried with backoff
    monkeypatch.setattr(serving, "free_port", lambda: first.port)  # the same address again
    servers.append(Server(db, tmp_path))
    sender.stage_finished("test", "2 commands, 0 failed")
    report = sender.finish(None)
    assert report.complete, report.problems
    assert _stored(url, sender) == [1, 2, 3, 4, 5, 6]


def test_a_server_back_within_the_gates_deadline_passes_the_cockpit_row(
    tmp_path: Path, servers: list[Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down when the events are sent, started again while the gate waits: the gate's row
    passes (every event taken, none twice), and the record follows at the end."""
    db = tmp_path / "log.db"
    servers.append(Server(db, tmp_path))
    first = servers[-1]
    url = first.url
    sender = CockpitSender(url, make_token(db, "vertice"), "vertice")
    assert first.stop() == 0
    for stage in ("version", "build"):
        sender.stage_started(stage)
        sender.stage_finished(stage, f"{stage} done")
    sender.stage_started("gate")
    monkeypatch.setattr(serving, "free_port", lambda: first.port)
    servers.append(Server(db, tmp_path))
    row = sender.gate_check(deadline=60, required=True)
    assert (row.name, row.passed, row.blocking) == ("cockpit", True, True)
    assert row.summary == f"{url} took every event so far (5)"
    assert row.evidence == ("[server].required = true: blocking",)
    assert not sender.gate_failed
    sender.stage_finished("gate", "GO")
    assert sender.finish(None, deadline=60).complete
    assert _stored(url, sender) == [1, 2, 3, 4, 5, 6]
