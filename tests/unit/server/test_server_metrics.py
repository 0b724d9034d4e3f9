"""``/metrics`` in process: request latency by route template, appends, release metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal
from cryptography.hazmat.primitives.asymmetric import ec
from prometheus_client.parser import text_string_to_metric_families
from tests.contract.server.test_records_store import record
from tests.rekor_requests import hashedrekord
from tests.unit.server.test_server_app import TestClient

from liturgia.server import create_app
from liturgia.server.hardening import route_template
from liturgia.server.records import RecordStore
from liturgia.tlog.log import RekorLog


@pytest.fixture
def client(portal: BlockingPortal, log: RekorLog, records: RecordStore) -> Iterator[TestClient]:
    test_client = TestClient(portal, create_app(log, records=records))
    yield test_client
    test_client.close()


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str) -> float:
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "liturgia_http_request_duration_seconds_count" and ("route", route) in labels
    )


def test_metrics_count_requests_appends_and_releases(
    client: TestClient, records: RecordStore, signer: ec.EllipticCurvePrivateKey
) -> None:
    before = _samples(client)
    for _ in range(3):
        client.get("/healthz")
    client.get("/projects/nobody")
    assert client.post("/api/v1/log/entries", json=hashedrekord(signer, b"m")).status_code == 201
    client.get("/api/v1/log/entries/" + "0" * 64)
    client.get("/no/such/path")
    records.put_record(record())
    failed_gate = {"name": "tests", "passed": False, "summary": "5 tests, 2 failures"}
    records.put_record(
        record(
            version="1.3.0",
            decision="NO-GO",
            gates=[failed_gate],
            tests={"summary": "5 tests, 2 failures, 0 errors", "coverage": "80.00% line"},
            findings={"by_severity": {"HIGH": 2, "LOW": 1}},
        )
    )
    after = _samples(client)
    assert _count(after, "/healthz") - _count(before, "/healthz") == 3
    assert _count(after, "/projects/{project}") - _count(before, "/projects/{project}") == 1
    assert _count(after, "/api/v1/log/entries/{entryUUID}") >= 1  # a bare read
    assert _count(after, "unmatched") >= 1
    appended = ("liturgia_log_appends_total", ())
    assert after[appended] - before.get(appended, 0.0) == 1
    assert after[("liturgia_log_tree_size", ())] == 1
    assert after[("liturgia_releases_total", (("decision", "GO"), ("project", "vertice")))] == 1
    assert after[("liturgia_releases_total", (("decision", "NO-GO"), ("project", "vertice")))] == 1
    assert (
        after[("liturgia_gate_failures_total", (("check", "tests"), ("project", "vertice")))] == 1
    )
    last = (("project", "vertice"),)
    assert after[("liturgia_release_coverage_ratio", last)] == pytest.approx(0.8)
    assert after[("liturgia_release_tests_pass_ratio", last)] == pytest.approx(0.6)
    high = (("project", "vertice"), ("severity", "HIGH"))
    assert after[("liturgia_release_findings", high)] == 2


def test_route_templates_are_bounded() -> None:
    assert route_template({"path": "/api/v1/log"}) == "/api/v1/log"
    assert route_template({"path": "/tile/0/x001"}) == "/tile/{path}"
    assert route_template({"path": "/anything/a/client/invents"}) == "unmatched"
