"""The gate's cockpit row against a server that takes the connection and never answers.

A real loopback listener that accepts and stays silent (a hung server): the gate's wait ends
at its deadline, and the row fails saying the events are unsent and that no answer came yet.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from liturgia.release.cockpit import CockpitSender


@pytest.fixture
def silent() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a listener whose connections are never answered."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_hung_server_fails_the_row_with_no_answer_yet(silent: str) -> None:
    sender = CockpitSender(silent, "lit_0000000000000000_nothing", "vertice")
    sender.stage_started("version")
    sender.stage_finished("version", "0.2.0")
    row = sender.gate_check(deadline=0.5, required=False)
    assert (row.name, row.passed, row.blocking) == ("cockpit", False, False)
    assert row.summary == f"record not sent: {silent} took 0 of 2 events"
    assert row.evidence == (
        "2 event(s) still unsent, last error: none yet (the first attempt is still waiting "
        "for an answer)",
        "[server].required = false: advisory",
    )
    assert row.figure == "0 of 2 events taken"
    assert sender.gate_failed
