"""schemathesis against a real ``liturgia serve``'s ``/openapi.json``: no 5xx, and every answer
matches the schema its operation documents.

Property-based requests (hypothesis, a small example budget to stay fast) to every operation
of the document, over HTTP to a server on loopback with records, a token-holding project and
one release stored; writes without the project's token get their documented 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from tests.serving import Server, make_token

from liturgia.release.record import ReleaseRecord


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("schemathesis")
    running = Server(home / "log.db", home)
    token = make_token(home / "log.db", "vertice")
    record = ReleaseRecord.model_validate(
        {"project": "vertice", "version": "1.0.0", "decision": "GO", "gates": [],
         "sbom": {"components": 1}, "findings": {"by_severity": {}}, "tests": {},
         "artifacts": []}
    )  # fmt: skip
    stored = httpx.put(
        f"{running.url}/api/v1/projects/vertice/releases/1.0.0",
        content=record.model_dump_json(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert stored.status_code == 201, stored.text
    yield running
    running.stop()


def test_no_5xx_and_answers_match_their_schema(server: Server) -> None:
    """Every operation of the document, each with its own generated requests.

    schemathesis's pytest plugin does not run under this pytest; its Python API does: one
    hypothesis test per operation, over the operation's request strategy.
    """
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    checked = []
    calls = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                checks=[not_a_server_error, response_schema_conformance]
            )
            calls.append(response.status_code)

        check()
        checked.append(operation.label)
    assert len(checked) >= 15, checked
    assert len(calls) >= 5 * len(checked)  # requests were made, and answered below 500
    assert max(calls) < 500


def test_the_document_lists_the_cockpit(server: Server, tmp_path: Path) -> None:
    del tmp_path
    paths = httpx.get(f"{server.url}/openapi.json", timeout=30).json()["paths"]
    assert "/api/v1/projects/{project}/releases/{version}" in paths
    assert "/metrics" in paths and "/readyz" in paths
