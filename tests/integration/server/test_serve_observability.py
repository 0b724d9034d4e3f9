"""A real ``liturgia serve`` writes JSON log lines with request IDs and answers its probes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from .conftest import Server


@pytest.mark.parametrize("workers", ["1", "2"])
def test_json_access_lines_and_probes(tmp_path: Path, servers: list[Server], workers: str) -> None:
    servers.append(
        Server(tmp_path / "log.db", tmp_path, "--log-level", "info", "--workers", workers)
    )
    server = servers[-1]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        ready = client.get("/readyz", headers={"X-Request-ID": "probe-1"})
        assert ready.status_code == 200
        assert ready.json()["tree"] == "verified"
        assert ready.headers["x-request-id"] == "probe-1"
        assert "frame-ancestors 'none'" in ready.headers["content-security-policy"]
        assert client.get("/healthz", headers={"X-Request-ID": "probe-2"}).status_code == 200
    assert server.stop() == 0
    lines = server.stderr.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    access = {
        record["request_id"]: record
        for record in records
        if record["logger"] == "liturgia.server.access"
    }
    assert access["probe-1"]["path"] == "/readyz" and access["probe-1"]["status"] == 200
    assert access["probe-2"]["path"] == "/healthz" and access["probe-2"]["method"] == "GET"
    assert all(set(r) >= {"time", "level", "logger", "message", "request_id"} for r in records)
    # Every line is JSON but the CLI's own start and stop lines.
    others = [line for line in lines if not line.startswith("{")]
    assert all(line.startswith("liturgia: ") for line in others), others
