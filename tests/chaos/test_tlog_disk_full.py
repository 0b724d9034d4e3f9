"""Chaos experiment "disk full": the log's database on a small tmpfs that is filled up, once
with SQLite and once with PostgreSQL (a throwaway cluster whose data folder is on the tmpfs).

Hypothesis: when the disk fills during sustained writes, ``liturgia serve`` answers every
write with 507 and a JSON body naming the cause (never another 5xx), keeps answering reads,
logs the failures a few lines at a time (not one a request), still starts and serves reads
when restarted (SIGKILL) on the full disk, and takes writes again as soon as space returns;
no acknowledged entry is lost and nothing stored is torn.

Fault: a tmpfs (``mount -t tmpfs``, root; 16 MiB for SQLite, 96 MiB for PostgreSQL) holding
the database is filled with a file until ``ENOSPC``; the server is SIGKILLed and restarted
while it is full; the file is deleted (space returns).

Load: 4 writer threads submitting distinct signed hashedrekords back to back (a write that
got 507 or no answer is retried after 0.2 s; a 409 names the entry, fetched from its
``Location``), and one reader thread alternating ``GET /api/v1/log`` and entries by index.

Checker: every acknowledged entry (201, or the entry a 409 named) is read back by UUID at its
``logIndex`` with an inclusion proof, checkpoint and SET verifying under the log key; every
answer during the fault is a 201/409/507 (with its JSON body) for writes and a 200 for reads;
the final restart verifies the stored tree and bodies, and SQLite's ``integrity_check`` says
``ok`` (PostgreSQL: the cluster still answers); the server wrote few log lines while full.
Figures (availability: share of requests answered as the hypothesis says; time to recover:
from the space returning to the next 201) are printed and written to ``$LITURGIA_CHAOS_OUT``.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liturgia import sign
from tests.chaos.checker import log_public_key, lost_entries, stop_clients
from tests.chaos.load import Seen, refusal, start_load
from tests.chaos.results import record_result
from tests.chaos.serve import Serve, signed_bundles
from tests.contract.tlog.pgcluster import pg_url, throwaway_cluster
from tests.tmpfs import fill, free, small_tmpfs

WRITERS = 4
BEFORE_SECONDS = 3.0
FULL_SECONDS = 4.0
AFTER_SECONDS = 3.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """``(kind, --db URL, the tmpfs)``: SQLite's file, or a PostgreSQL cluster, on a tmpfs."""
    if request.param == "sqlite":
        with small_tmpfs(tmp_path / "disk", "16m") as folder:
            yield "sqlite", f"sqlite://{folder / 'log.db'}", folder
        return
    # Under a folder the postgres user can reach (pytest's are root's alone).
    reachable = Path(tempfile.mkdtemp(prefix="liturgia-disk-"))
    reachable.chmod(0o755)
    try:
        with (
            small_tmpfs(reachable / "disk", "96m") as folder,
            throwaway_cluster(max_connections=50, parent=folder, small_wal=True) as dsn,
        ):
            yield "postgresql", pg_url(dsn), folder
    finally:
        shutil.rmtree(reachable, ignore_errors=True)


def test_a_full_disk_refuses_writes_with_507_keeps_reads_and_loses_nothing(
    tmp_path: Path, database: tuple[str, str, Path], started: list[Serve]
) -> None:
    key_path = tmp_path / "log.key.pem"
    kind, db, disk = database
    bundles, signer = signed_bundles(tmp_path, 2000)
    proposals = [sign.proposed_entry(sign.parse_bundle(b), signer.public_key) for b in bundles]
    servers = started
    servers.append(Serve(db, key_path, tmp_path))
    seen = Seen(url=servers[0].url)
    stop = threading.Event()
    filler: Path | None = None
    try:
        threads = start_load(
            seen,
            proposals,
            stop,
            writers=WRITERS,
            write_refusal=refusal(507, message_starts="the log's storage is full ("),
            read_refusal=lambda _: False,
        )
        time.sleep(BEFORE_SECONDS)
        # The fault: the disk fills up while the writers write.
        full_at = time.monotonic()
        seen.phase = "full"
        filler = fill(disk)
        time.sleep(FULL_SECONDS / 2)
        # A restart on the full disk (SIGKILL): it must start and serve reads.
        servers[-1].kill()
        servers.append(Serve(db, key_path, tmp_path))
        seen.url = servers[-1].url
        restarted_at = time.monotonic()
        time.sleep(FULL_SECONDS / 2)
        log_while_full = servers[-1].stderr.read_text().splitlines()
        lines_while_full = len(log_while_full)
        # Space returns.
        free(filler)
        filler = None
        freed_at = time.monotonic()
        seen.phase = "after"
        time.sleep(AFTER_SECONDS)
        stop_clients(stop, threads)
    finally:
        stop.set()
        if filler is not None:
            free(filler)
        for server in servers:
            server.kill()

    # The checker: a last start verifies the stored tree and bodies; every ack is there.
    final = Serve(db, key_path, tmp_path)
    started.append(final)
    try:
        lost = len(lost_entries(final.url, seen.acked, log_public_key(key_path)))
    finally:
        final.stop()
    if kind == "sqlite":
        with sqlite3.connect(disk / "log.db") as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    during = seen.between(full_at, freed_at)
    writes_after = [when for when in seen.created if when >= freed_at]
    full_writes = seen.statuses["full: write 507"]
    reads = [ok for kind, ok, _ in during if kind == "read"]
    reads_restarted = [ok for kind, ok, _ in seen.between(restarted_at, freed_at) if kind == "read"]
    result = record_result(
        experiment=f"disk-full-{kind}",
        fault=(
            f"the {kind} database's tmpfs filled up, the server SIGKILLed and restarted on "
            "the full disk, then space freed"
        ),
        duration_s=freed_at - full_at,
        load=f"{WRITERS} writers back to back (retrying a 507 after 0.2 s) and 1 reader",
        availability=sum(ok for _, ok, _ in during) / len(during) if during else 0.0,
        time_to_recover_s=(min(writes_after) - freed_at) if writes_after else None,
        acknowledged=len(seen.acked),
        lost=lost,
        statuses=dict(seen.statuses),
        reads_during_fault=len(reads),
        reads_answered_during_fault=sum(reads),
        reads_answered_after_the_restart_on_the_full_disk=sum(reads_restarted),
        restart_on_the_full_disk_s=round(servers[1].started_in, 3),
        writes_refused_with_507=full_writes,
        server_log_lines_while_full=lines_while_full,
        causes=dict(seen.messages),
    )
    assert lost == 0, result
    assert full_writes > 0, f"the disk never filled: {result}"
    assert reads_restarted and all(reads_restarted), result  # the restart serves reads
    assert writes_after, f"writes did not resume: {result}"
    expected = {"write 201", "write 409", "write 507", "read 200"}
    bad = {s for s in seen.statuses if s.split(": ")[1] not in expected}
    assert bad <= {"full: write no answer", "full: read no answer"}, result  # the SIGKILL's gap
    # SQLite's SQLITE_FULL, ENOSPC, and PostgreSQL's other disk_full (53100) message: a short
    # write while extending a relation ("could not extend file ...: wrote only 4096 of 8192
    # bytes at block N", md.c, hint "Check free disk space.").
    full = ("database or disk is full", "No space left on device", "wrote only ")
    assert all(any(f in cause for f in full) for cause in seen.messages), result
    assert lines_while_full < 20, "\n".join(log_while_full)
