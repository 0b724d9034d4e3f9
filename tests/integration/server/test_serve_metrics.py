"""``/metrics`` of a real ``liturgia serve --workers 2``, scraped by a real Prometheus.

Requests land on both workers; every scrape, whichever worker answers it, counts all of them
(prometheus-client's multiprocess mode). Debian's ``prometheus`` (installed with apt when
missing) scrapes the server on loopback, and its query API returns the same counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from prometheus_client.parser import text_string_to_metric_families

from liturgia.cli import main
from liturgia.release.cockpit import CockpitSender
from liturgia.release.record import ReleaseRecord
from tests.rekor_requests import hashedrekord
from tests.serving import HOST, Server, free_port, make_token

REQUESTS = 40


def _healthz_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "liturgia_http_request_duration_seconds_count"
        and sample.labels.get("route") == "/healthz"
    )


def _prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600", "prometheus"],
            check=True,
            capture_output=True,
        )
        found = shutil.which("prometheus")
    if found is None:
        pytest.fail("Debian's prometheus did not install (apt-get install prometheus)")
    return found


def test_metrics_add_up_across_workers_and_prometheus_scrapes_them(
    tmp_path: Path, servers: list[Server]
) -> None:
    servers.append(Server(tmp_path / "log.db", tmp_path, "--workers", "2"))
    server = servers[-1]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(REQUESTS):
            # A new connection each time, so that both workers get requests.
            answer = httpx.get(f"{server.url}/healthz", timeout=30)
            assert answer.status_code == 200
        for _ in range(6):
            scraped = client.get("/metrics", headers={"Connection": "close"})
            assert scraped.status_code == 200
            assert _healthz_count(scraped.text) == REQUESTS
        assert "liturgia_log_tree_size 0.0" in scraped.text

    # A real Prometheus scrapes it and answers a query over the samples.
    binary = _prometheus_binary()
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: liturgia\n    static_configs:\n"
        f"      - targets: ['{HOST}:{server.port}']\n"
    )
    subprocess.run(
        [binary.replace("prometheus", "promtool"), "check", "config", str(config)],
        check=True, capture_output=True,
    )  # fmt: skip
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address={HOST}:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        query = 'sum(liturgia_http_request_duration_seconds_count{route="/healthz"})'
        deadline = time.monotonic() + 60
        value = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(
                    f"http://{HOST}:{port}/api/v1/query", params={"query": query}, timeout=5
                ).json()
                result = answer.get("data", {}).get("result", [])
                if result:
                    value = float(result[0]["value"][1])
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert value == REQUESTS
        up = httpx.get(
            f"http://{HOST}:{port}/api/v1/query", params={"query": "liturgia_log_tree_size"},
            timeout=5,
        ).json()  # fmt: skip
        assert up["data"]["result"][0]["value"][1] == "0"
        _every_panel_has_data(tmp_path, server, f"http://{HOST}:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _every_panel_has_data(tmp_path: Path, server: Server, prometheus_url: str) -> None:
    """Export the Grafana dashboard with the CLI; each panel's query returns data."""
    db = server.db
    token = make_token(db, "vertice")
    sender = CockpitSender(server.url, token, "vertice")
    record = ReleaseRecord.model_validate(
        {"project": "vertice", "version": "1.0.0", "decision": "NO-GO", "run": sender.run,
         "gates": [{"name": "tests", "passed": False, "summary": "10 tests, 1 failures"}],
         "sbom": {"components": 3}, "findings": {"by_severity": {"HIGH": 1}},
         "tests": {"summary": "10 tests, 1 failures, 0 errors", "coverage": "88.00% line"},
         "artifacts": []}
    )  # fmt: skip
    assert sender.finish(record).complete
    entry = hashedrekord(ec.generate_private_key(ec.SECP256R1()), b"for the append rate")
    assert httpx.post(f"{server.url}/api/v1/log/entries", json=entry, timeout=30).status_code == 201
    exported = tmp_path / "grafana.json"
    assert main(["dashboard", "export", "--grafana", str(exported)]) == 0
    dashboard = json.loads(exported.read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(queries) == len(dashboard["panels"]) == 9
    missing = set(queries)
    deadline = time.monotonic() + 90
    while missing and time.monotonic() < deadline:
        for query in sorted(missing):
            answer = httpx.get(
                f"{prometheus_url}/api/v1/query", params={"query": query}, timeout=5
            ).json()
            assert answer["status"] == "success", (query, answer)
            if answer["data"]["result"]:
                missing.discard(query)
        time.sleep(1)
    assert not missing, missing
