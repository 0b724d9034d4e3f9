"""The exported Grafana dashboard: deterministic, one panel per query, a Prometheus source."""

from __future__ import annotations

import json

import pytest

from liturgia.cli import main
from liturgia.server.grafana import PANEL_QUERIES, grafana_dashboard


def test_the_same_dashboard_every_time(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    first = grafana_dashboard()
    assert first == grafana_dashboard()
    document = json.loads(first)
    assert document["uid"] == "liturgia-cockpit"
    panels = document["panels"]
    assert [p["title"] for p in panels] == [q[0] for q in PANEL_QUERIES]
    assert [p["targets"][0]["expr"] for p in panels] == [q[2] for q in PANEL_QUERIES]
    assert {p["datasource"]["type"] for p in panels} == {"prometheus"}
    assert main(["dashboard", "export", "--grafana", "-"]) == 0
    assert capsysbinary.readouterr().out == first
