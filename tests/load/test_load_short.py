"""The short staged load profile against a real ``liturgia serve`` (issue 16 item 1).

Runs ``benchmarks/load_bench.py --profile short`` in its own process (Locust patches the
standard library with gevent, which must not leak into the test process): the seed's staged
profile (ramp to 50 users, hold 100, spike 200, ramp down) with the user counts divided by 4 and
the stages shortened to about 50 s, so Locust and the server share this machine's 2 cores. It
starts ``liturgia serve --workers 2`` over SQLite on a free loopback port; the users read the
log's info, entries by index and UUID (with their inclusion proofs), consistency proofs, and
release records, and submit hashedrekord entries with real P-256 signatures, stage events and
release records (with the project's token).

Asserted from the collected statistics, as the seed plan sets them: p95 below 500 ms and a
failure ratio below 1 % over the whole run; every kind of request was made, in every stage;
every acknowledged submission is read back at the index its 201 gave, and the tree grew by at
least the acknowledged and at most the sent submissions; Locust's CSV files hold the same counts
as the JSON result; the server's request-duration histogram (``/metrics``) saw the run.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "benchmarks" / "load_bench.py"
KINDS = {
    "GET /api/v1/log",
    "GET /api/v1/log/entries?logIndex=[index]",
    "GET /api/v1/log/entries/[uuid]",
    "GET /api/v1/log/proof?firstSize=[m]&lastSize=[n]",
    "POST /api/v1/log/entries",
    # Release records (the server keeps them): reads, and writes with the project's token.
    "GET /api/v1/projects",
    "GET /api/v1/projects/loadtest/releases",
    "GET /api/v1/projects/loadtest/releases/[version]",
    "POST /api/v1/projects/loadtest/runs/[run]/events",
    "PUT /api/v1/projects/loadtest/releases/[new version]",
}


@pytest.mark.slow
def test_short_staged_profile_meets_the_seed_thresholds(tmp_path: Path) -> None:
    out = tmp_path / "load"
    run = subprocess.run(
        [sys.executable, str(BENCH), "--profile", "short", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-3000:]}"
    result = json.loads((out / "load.json").read_text())
    overall = result["overall"]
    assert result["passed"] is True and result["broken"] == []
    assert overall["p95_ms"] < 500, overall
    assert overall["failure_ratio"] < 0.01, overall
    assert overall["requests"] > 500
    assert set(result["requests"]) >= KINDS, sorted(result["requests"])
    assert all(result["requests"][kind]["requests"] > 0 for kind in KINDS)
    # The cockpit's pages are in the mix too (load_bench.OPTIONAL_READS), each answered 200.
    pages = {kind: row for kind, row in result["requests"].items() if kind.startswith("GET /")}
    pages = {kind: row for kind, row in pages.items() if not kind.startswith("GET /api/")}
    assert set(pages) <= {
        "GET /", "GET /projects/loadtest", "GET /projects/loadtest/releases/1.0.0",
        "GET /projects/loadtest/quality", "GET /log?q=0",
    }, sorted(pages)  # fmt: skip
    assert sum(row["requests"] for row in pages.values()) > 20, pages
    assert all(row["failures"] == 0 for row in pages.values()), pages
    stages = {row["name"]: row for row in result["stages"]}
    assert list(stages) == [
        "ramp-50", "hold-50", "ramp-100", "hold-100", "spike-200", "hold-200", "ramp-down"
    ]  # fmt: skip
    assert [stages[name]["users"] for name in ("hold-50", "hold-100", "hold-200")] == [13, 25, 50]
    assert all(row["requests"] > 0 for row in result["stages"]), result["stages"]
    assert stages["hold-200"]["writes"] > 0
    writes = result["writes"]
    assert writes["acknowledged"] == result["requests"]["POST /api/v1/log/entries"]["requests"]
    grown = writes["tree_size_after"] - writes["tree_size_before"]
    assert 0 < writes["acknowledged"] <= grown <= writes["sent"], writes
    assert writes["read_back"] == writes["acknowledged"]  # each at the index its 201 gave
    # Locust's own CSV: one row per request kind, with the same counts as the JSON.
    with (out / "load_stats.csv").open(newline="") as handle:
        rows = {f"{row['Type']} {row['Name']}".strip(): row for row in csv.DictReader(handle)}
    for kind in KINDS:
        assert int(rows[kind]["Request Count"]) == result["requests"][kind]["requests"]
        assert int(rows[kind]["Failure Count"]) == result["requests"][kind]["failures"]
    assert int(rows["Aggregated"]["Request Count"]) == overall["requests"]
    assert "95%" in rows["Aggregated"]
    assert set(result["csv"]) >= {"load_stats.csv", "load_stats_history.csv"}
    # The server's own request-duration histogram (/metrics), over the run's requests.
    histograms = result["server"]["histograms"]
    sent = {"GET": 0, "POST": 0, "PUT": 0}
    for kind, figures in result["requests"].items():
        sent[kind.split()[0]] += figures["requests"]
    assert histograms["reads"]["count"] == sent["GET"]
    assert histograms["writes"]["count"] == sent["POST"] + sent["PUT"]
    assert histograms["reads"]["p95_ms"] is not None and histograms["writes"]["p95_ms"] > 0
    assert "client-side p95 per stage" in run.stdout and "writes/s sustained" in run.stdout
