"""Release webhooks of a real ``liturgia serve``: signed events to a real receiver.

A small HTTP server in the test receives the POSTs; a second webhook points at a closed port
and must not keep the first from hearing anything. Each event is sent once, its signature
verifies under the shared key, and a webhook without a key is a usage error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from liturgia.cli import main
from liturgia.release.cockpit import CockpitSender
from liturgia.release.record import ReleaseRecord
from liturgia.server.webhooks import signature
from tests.serving import HOST, Server, free_port, make_token

SECRET = "webhook key for the test"


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        del args


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer((HOST, 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _record(decision: str, version: str, run: str) -> ReleaseRecord:
    return ReleaseRecord.model_validate(
        {"project": "vertice", "version": version, "run": run, "decision": decision,
         "gates": [], "sbom": {"components": 1}, "findings": {"by_severity": {}},
         "tests": {}, "artifacts": []}
    )  # fmt: skip


def test_release_events_reach_the_webhook_signed(
    tmp_path: Path, servers: list[Server], receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITURGIA_WEBHOOK_SECRET", SECRET)
    closed = f"http://{HOST}:{free_port()}/hook"
    db = tmp_path / "log.db"
    servers.append(Server(db, tmp_path, "--webhook", closed, "--webhook", receiver))
    url = servers[-1].url
    token = make_token(db, "vertice")
    first = CockpitSender(url, token, "vertice")
    first.stage_started("version")
    first.stage_finished("version", "1.0.0")
    assert first.finish(_record("GO", "1.0.0", first.run)).complete
    second = CockpitSender(url, token, "vertice")
    second.stage_started("version")
    report = second.finish(_record("NO-GO", "1.1.0", second.run))
    assert report.complete
    # Sending the same record again notifies nothing more.
    again = CockpitSender(url, token, "vertice")
    assert again.finish(_record("GO", "1.0.0", first.run)).complete

    deadline = time.monotonic() + 30
    while len(_Receiver.received) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # anything extra would have arrived by now
    events = []
    for headers, body in _Receiver.received:
        assert headers["X-Liturgia-Signature"] == signature(SECRET.encode(), body)
        events.append(json.loads(body))
    assert sorted((e["event"], e["version"], e["run"]) for e in events) == sorted(
        [
            ("release.started", None, first.run),
            ("release.passed", "1.0.0", first.run),
            ("release.started", None, second.run),
            ("release.failed", "1.1.0", second.run),
        ]
    )


def test_a_webhook_needs_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LITURGIA_WEBHOOK_SECRET", raising=False)
    code = main(["serve", "--db", f"sqlite://{tmp_path / 'x.db'}", "--port", str(free_port()),
                 "--webhook", "http://127.0.0.1:9/hook"])  # fmt: skip
    assert code == 2
    assert "--webhook needs a signing key in LITURGIA_WEBHOOK_SECRET" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
