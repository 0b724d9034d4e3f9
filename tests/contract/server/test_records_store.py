"""The cockpit's record store, one suite over SQLite and PostgreSQL (real databases).

Migrations are versioned and applied once; tokens are stored hashed and checked by their
secret; events and records are stored once however often they are sent, and a different
content under the same name is a conflict that stores nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.contract.tlog.pgcluster import new_schema, pg_url, throwaway_cluster

from liturgia.errors import InputError, StorageError
from liturgia.release.record import ReleaseRecord, RollbackMark, StageEvent
from liturgia.server.records import MIGRATIONS, RecordConflictError, RecordStore, open_records

RUN = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[str]:
    with throwaway_cluster(max_connections=20) as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'log.db'}"
    return pg_url(new_schema(request.getfixturevalue("pg_cluster")))


@pytest.fixture
def store(db_url: str) -> Iterator[RecordStore]:
    opened = open_records(db_url, clock=lambda: 1_764_900_000.0)
    yield opened
    opened.close()


def record(**changes: object) -> ReleaseRecord:
    document: dict[str, object] = {
        "project": "vertice",
        "version": "1.2.0",
        "run": RUN,
        "decision": "GO",
        "gates": [{"name": "tests", "passed": True, "summary": "5 tests, 0 failures"}],
        "sbom": {"components": 222},
        "findings": {"by_severity": {"HIGH": 0}},
        "tests": {"summary": "5 tests", "passed": True, "coverage": "100.00%"},
        "artifacts": [{"name": "a.whl", "sha256": "ab" * 32, "log_index": 3}],
    }
    return ReleaseRecord.model_validate({**document, **changes})


def event(seq: int, **changes: object) -> StageEvent:
    document = {"seq": seq, "kind": "stage-started", "stage": "build", "at": "2026-12-05T07:00:00Z"}
    return StageEvent.model_validate({**document, **changes})


def test_migrations_are_versioned_and_applied_once(db_url: str, store: RecordStore) -> None:
    assert store.schema_version() == len(MIGRATIONS) == 4
    assert store.migrate() == 4  # again: nothing to do
    again = open_records(db_url)
    assert again.schema_version() == 4
    again.close()


def test_an_older_schema_is_migrated_in_order(tmp_path: Path) -> None:
    """A database at version 1 gets version 2's table and 3's columns; its records stay."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE cockpit_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO cockpit_migrations VALUES (1, 'then')")
        conn.execute(
            "INSERT INTO cockpit_releases VALUES ('old', '0.1.0', 'GO', 0, 't', NULL, 'd', '{}')"
        )
    conn.close()
    store = open_records(f"sqlite://{path}")
    assert store.schema_version() == 4
    assert store.release("old", "0.1.0") == {
        "receivedAt": "t", "record": {}, "events": [], "rollback": None
    }  # fmt: skip
    assert store.metrics_rows() == [
        {"project": "old", "decision": "GO", "count": 1, "failures": {}}
    ]
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'log.db'}"
    open_records(url).close()
    with sqlite3.connect(tmp_path / "log.db") as conn:
        conn.execute("INSERT INTO cockpit_migrations VALUES (99, 'later')")
    conn.close()
    with pytest.raises(StorageError, match="schema version 99 is newer than this liturgia's 4"):
        open_records(url)


def test_tokens_are_hashed_scoped_and_revocable(db_url: str, store: RecordStore) -> None:
    token_id, token = store.create_token("vertice")
    assert token.startswith(f"lit_{token_id}_") and len(token) > 50
    assert store.project_of(token) == "vertice"
    secret = token.split("_", 2)[2]  # the secret itself may hold "_"
    assert store.project_of(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.project_of(f"lit_{token_id}_") is None
    assert store.project_of("lit_0000000000000000_" + secret) is None
    assert store.project_of(token.removeprefix("lit_")) is None
    assert [t.project for t in store.tokens()] == ["vertice"]
    assert store.revoke_token(token_id) is True
    assert store.revoke_token(token_id) is False
    assert store.project_of(token) is None
    with pytest.raises(InputError, match="project name 'a b' must be"):
        store.create_token("a b")
    # Only a digest of the secret is stored.
    if db_url.startswith("sqlite://"):
        with sqlite3.connect(db_url[len("sqlite://") :]) as conn:
            dumped = "\n".join(conn.iterdump())
        conn.close()
        assert secret not in dumped


def test_events_and_records_are_stored_once(store: RecordStore) -> None:
    assert store.add_event("vertice", RUN, event(1)) is True
    assert store.add_event("vertice", RUN, event(1)) is False
    assert store.add_event("vertice", RUN, event(2, kind="stage-finished", summary="2 files"))
    with pytest.raises(RecordConflictError, match=r"event 1 of run .* other content"):
        store.add_event("vertice", RUN, event(1, stage="test"))
    assert [e["seq"] for e in store.events("vertice", RUN)] == [1, 2]
    assert [e["seq"] for e in store.events("vertice", RUN, after=1)] == [2]
    assert store.latest_run("nobody") is None
    running = store.latest_run("vertice")
    assert running is not None and (running["run"], running["version"]) == (RUN, None)

    assert store.put_record(record()) is True
    assert store.put_record(record()) is False
    with pytest.raises(RecordConflictError, match=r"a different record of vertice 1\.2\.0"):
        store.put_record(record(decision="NO-GO"))
    assert len(store.releases("vertice")) == 1
    finished = store.latest_run("vertice")
    assert finished is not None and finished["version"] == "1.2.0"
    assert [e["seq"] for e in finished["events"]] == [1, 2]
    found = store.release("vertice", "1.2.0")
    assert found is not None
    assert found["record"] == json.loads(record().canonical())
    assert "resilience" not in found["record"]  # a record without figures: no field
    assert [e["seq"] for e in found["events"]] == [1, 2]
    assert store.release("vertice", "9.9.9") is None
    assert store.projects() == [
        {
            "name": "vertice",
            "releases": 1,
            "latest": {"version": "1.2.0", "decision": "GO", "receivedAt": "2025-12-05T02:00:00Z"},
        }
    ]


def _raw(db_url: str) -> tuple[Any, str]:
    """A plain DB-API connection to ``db_url`` (autocommit) and its parameter mark, to lay out
    an older schema."""
    if db_url.startswith("sqlite://"):
        return sqlite3.connect(db_url[len("sqlite://") :], isolation_level=None), "?"
    import psycopg  # noqa: PLC0415 - PostgreSQL runs only

    return psycopg.connect(db_url, autocommit=True), "%s"


def test_version_3_stores_the_load_and_chaos_figures(db_url: str) -> None:
    """A database at version 2 holding a record gets the figure columns (NULL for that record);
    a record with figures stores them, and the quality rows read them back, newest first."""
    old = record(version="1.0.0")
    conn, mark = _raw(db_url)
    conn.execute("CREATE TABLE cockpit_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for version, statements in enumerate(MIGRATIONS[:2], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"INSERT INTO cockpit_migrations VALUES ({mark}, 'then')", (version,))  # noqa: S608
    marks = ", ".join([mark] * 8)
    conn.execute(
        f"INSERT INTO cockpit_releases VALUES ({marks})",  # noqa: S608 - marks only
        ("vertice", "1.0.0", "GO", 0, "2025-12-01T00:00:00Z", RUN, "d", old.canonical().decode()),
    )
    conn.close()
    store = open_records(db_url, clock=lambda: 1_764_900_000.0)
    assert store.schema_version() == 4
    figures = {"load_p95_ms": 210.5, "error_rate_percent": 0.3, "chaos_availability_percent": 99.75}
    assert store.put_record(record(run=None, resilience=figures)) is True
    assert store.put_record(record(run=None, resilience=figures)) is False  # stored once
    assert store.put_record(record(version="1.1.0", run=None, resilience={"load_p95_ms": 7}))
    rows = store.quality("vertice")
    assert [(r["record"]["version"], r["loadP95Ms"], r["errorRatePercent"],
             r["chaosAvailabilityPercent"]) for r in rows] == [
        ("1.2.0", 210.5, 0.3, 99.75),
        ("1.1.0", 7.0, None, None),
        ("1.0.0", None, None, None),
    ]  # fmt: skip
    # Only what the page reads of each record, taken out by the database.
    assert rows[0]["record"] == {
        "version": "1.2.0",
        "decision": "GO",
        "tests": {"coverage": "100.00%", "summary": "5 tests"},
        "findings": {"by_severity": {"HIGH": 0}},
    }
    assert store.release("vertice", "1.2.0")["record"]["resilience"] == figures  # type: ignore[index]
    assert store.quality("vertice", limit=1)[0]["record"]["version"] == "1.2.0"
    assert store.quality("nobody") == []
    store.close()


def test_a_release_is_marked_rolled_back_once_and_its_record_is_kept(store: RecordStore) -> None:
    mark = RollbackMark(
        project="vertice",
        version="1.2.0",
        rolled_back_at="2026-12-05T18:00:00Z",
        reason="logins fail",
        previous="1.1.0",
    )
    assert store.put_rollback(mark) is None  # no such release: nothing is stored
    assert store.put_record(record())
    before = store.release("vertice", "1.2.0")
    assert before is not None and before["rollback"] is None
    assert store.put_rollback(mark) is True
    assert store.put_rollback(mark) is False  # a repeat (an answer lost, sent again)
    with pytest.raises(RecordConflictError, match="already marked rolled back"):
        store.put_rollback(mark.model_copy(update={"reason": "another"}))
    after = store.release("vertice", "1.2.0")
    assert after is not None
    expected = {
        "rolledBackAt": "2026-12-05T18:00:00Z",
        "reason": "logins fail",
        "previous": "1.1.0",
    }
    assert after["rollback"] == expected
    assert after["record"] == before["record"]  # the record itself is never changed
    assert store.put_record(record(version="1.2.1"))
    listed = {item["record"]["version"]: item["rollback"] for item in store.releases("vertice")}
    assert listed == {"1.2.0": expected, "1.2.1": None}
