"""Fuzz: the load and chaos summaries the release gate reads (issue 16 item 5, "k6/Locust
results").

The gate's ``load`` check reads k6 ``--summary-export`` JSON, Locust's ``--csv`` stats and
``--json`` stats; its ``chaos`` check reads ``liturgia chaos report``'s JSON twin. Over byte
edits of a real seed of each and over JSON values put anywhere in it, a reader gives figures
or raises ReportError naming the file (a failed gate row): never another exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia.release.gates._xml import ReportError
from liturgia.release.gates.resilience import (
    _chaos_figures,
    _k6,
    _locust_csv,
    _locust_json,
)
from tests.fuzz.mutations import EDITS, JSON, mutate, replace_somewhere
from tests.fuzz.profile import fuzz

PATH = Path("reports/summary")
K6 = {
    "metrics": {
        "http_req_duration": {"avg": 80.1, "med": 70.0, "p(90)": 150.2, "p(95)": 210.5},
        "http_req_failed": {"passes": 3, "fails": 997, "value": 0.003},
        "http_reqs": {"count": 1000, "rate": 99.9},
    }
}
#: As `locust --csv` writes *_stats.csv (Locust 2.47, a 3 s run; see test_gate_policy).
LOCUST_CSV = (
    b"Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    b"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,"
    b"75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
    b"GET,/busy,11,11,19,23.7,8.6,43.4,2.0,5.49,5.49,19,31,41,41,42,43,43,43,43,43,43\n"
    b"GET,/ok,215,0,25,24.2,5.3,44.8,2.0,107.3,0.0,25,31,34,36,40,41,42,42,45,45,45\n"
    b",Aggregated,226,11,24,24.1,5.3,44.8,2.0,112.8,5.49,24,31,34,36,40,41,42,43,45,45,45\n"
)
#: As `locust --json-file` writes it (the same run's shape).
LOCUST_JSON = [
    {"name": "/ok", "method": "GET", "num_requests": 143, "num_none_requests": 0,
     "num_failures": 0, "total_response_time": 2133.2, "max_response_time": 39.1,
     "min_response_time": 11.8, "total_content_length": 286,
     "response_times": {"16": 12, "14": 27, "13": 47, "15": 17, "17": 12, "19": 2, "12": 15,
                        "20": 1, "18": 3, "21": 1, "24": 1, "29": 1, "22": 1, "25": 1,
                        "38": 1, "39": 1},
     "num_reqs_per_sec": {"1796491781": 58}, "num_fail_per_sec": {}},
]  # fmt: skip
CHAOS = {
    "experiments": [
        {"experiment": "kill9-sqlite", "fault": "SIGKILL", "duration_s": 46.7, "load": "16",
         "availability": 0.7062, "time_to_recover_s": 1.24, "acknowledged": 660, "lost": 0},
        {"experiment": "network-partition", "fault": "down", "duration_s": 3.0, "load": "4",
         "availability": 0.0, "time_to_recover_s": 0.51, "acknowledged": 572, "lost": 0},
    ],
    "overall": {"uptime": 0.8287, "mttr_s": 0.66, "lost": 0, "acknowledged": 10763},
}  # fmt: skip


def _json_reader(reader: Callable[[Any, Path], Any]) -> Callable[[bytes], Any]:
    """The gate's JSON readers take a parsed document: parse as the gate does first."""

    def read(data: bytes) -> Any:
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, RecursionError, ValueError) as exc:
            raise ReportError(f"{PATH}: not JSON: {exc}") from exc
        return reader(document, PATH)

    return read


READERS: dict[str, tuple[bytes, Callable[[bytes], Any]]] = {
    "k6": (json.dumps(K6).encode(), _json_reader(_k6)),
    "locust-csv": (LOCUST_CSV, lambda data: _locust_csv(data, PATH)),
    "locust-json": (json.dumps(LOCUST_JSON).encode(), _json_reader(_locust_json)),
    "chaos": (json.dumps(CHAOS).encode(), _json_reader(_chaos_figures)),
}


def _check(kind: str, data: bytes) -> None:
    try:
        figures = READERS[kind][1](data)
    except ReportError as exc:
        assert str(PATH) in str(exc), exc
        return
    assert all(math.isfinite(value) for value in figures[:2]), figures


@pytest.mark.parametrize("kind", sorted(READERS))
def test_seeds_read(kind: str) -> None:
    seed, read = READERS[kind]
    assert read(seed) == {
        "k6": (210.5, 0.003, 1000),
        "locust-csv": (41.0, 11 / 226, 226),
        "locust-json": (20.0, 0.0, 143),
        "chaos": (0.8287, 0, ["kill9-sqlite: availability 70.62 %, 0 lost",
                              "network-partition: availability 0.00 %, 0 lost"]),
    }[kind]  # fmt: skip


@fuzz()
@given(kind=st.sampled_from(sorted(READERS)), edits=EDITS)
def test_summary_byte_mutations(kind: str, edits: list[tuple[int, int, bytes]]) -> None:
    _check(kind, mutate(READERS[kind][0], edits))


@fuzz()
@given(
    kind=st.sampled_from(["k6", "locust-json", "chaos"]),
    where=st.lists(st.integers(0, 30), max_size=4),
    value=JSON,
)
def test_summary_value_mutations(kind: str, where: list[int], value: object) -> None:
    document = replace_somewhere(json.loads(READERS[kind][0]), where, value)
    _check(kind, json.dumps(document).encode())


# Regressions: what these targets found, each raised another exception than ReportError.
@pytest.mark.parametrize(
    ("kind", "data", "words"),
    [
        # _csv.Error: new-line character seen in unquoted field
        ("locust-csv", LOCUST_CSV.replace(b"/busy", b"/b\rusy"), None),
        # AttributeError: 'NoneType' object has no attribute 'get'
        ("k6", b'{"metrics": null}', "metrics is null, not an object"),
        # AttributeError: 'list' object has no attribute 'get'
        ("k6", json.dumps({"metrics": {**K6["metrics"], "http_reqs": []}}).encode(),
         "metrics.http_reqs is [], not an object"),
        # TypeError: argument of type 'NoneType' is not iterable
        ("k6", json.dumps({"metrics": {**K6["metrics"], "http_req_failed": None}}).encode(),
         "metrics.http_req_failed is null, not an object"),
        # ValueError: int("x") of a Rate's count
        ("k6", json.dumps({"metrics": {**K6["metrics"], "http_req_failed": {"passes": "x"}}})
         .encode(), 'http_req_failed.passes is "x", not a count'),
        # OverflowError: int(inf) of a request count written as 1e999
        ("locust-json", json.dumps(LOCUST_JSON).replace('"num_requests": 143',
         '"num_requests": 1e999').encode(), "Locust --json entry"),
    ],
)  # fmt: skip
def test_found_summaries(kind: str, data: bytes, words: str | None) -> None:
    try:
        READERS[kind][1](data)
    except ReportError as exc:
        assert words is None or words in str(exc), exc
