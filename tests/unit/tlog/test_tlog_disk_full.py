"""The log on a real full disk (a small tmpfs filled up): a write fails as ``StorageFullError``,
nothing acknowledged is lost, the log opens and serves reads on the full disk, and writes
resume once space returns. Found by trying the log under faults (issue 16): a restart on a
full disk refused to start at all, so monitors could not even read the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord
from tests.tmpfs import fill, free, small_tmpfs

from liturgia.errors import StorageError, StorageFullError
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

HOST = "log.example"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", "2m") as folder:
        yield folder


def _log(path: Path, key: ec.EllipticCurvePrivateKey) -> tuple[RekorLog, SqliteStorage]:
    storage = SqliteStorage(path)
    log = RekorLog(storage, key, host=HOST, tree_id=7, wait_timeout=10)
    log.start()
    return log, storage


def test_a_full_disk_fails_writes_as_full_and_keeps_reads(
    disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1())
    log, storage = _log(disk / "log.db", key)
    acked = [log.submit(hashedrekord(signer, b"before %d" % n))[0] for n in range(5)]
    filler = fill(disk)
    caplog.set_level(logging.WARNING)
    for number in range(200):  # a burst of writes on the full disk
        with pytest.raises(StorageError) as raised:
            log.submit(hashedrekord(signer, b"during %d" % number))
        chain: BaseException | None = raised.value
        while chain is not None and not isinstance(chain, StorageFullError):
            chain = chain.__cause__
        assert chain is not None, f"not a full disk: {raised.value!r}"
        assert "database or disk is full" in str(chain)
    # Reads keep working, and the failures were not logged one line each.
    assert log.info()["treeSize"] == 5
    lines = [r for r in caplog.records if r.name == "liturgia.tlog.sequencer"]
    assert 1 <= len(lines) <= 4, [r.getMessage() for r in lines]
    log.close()
    storage.close()

    # A restart on the full disk opens the log and serves what it acknowledged.
    log, storage = _log(disk / "log.db", key)
    try:
        for entry in acked:
            served = log.entry(entry.log_index)
            assert served is not None and served.body == entry.body
            rekor.verify_log_entry(served, key.public_key(), key_name=HOST, origin=log.origin)
        with pytest.raises(StorageError):
            log.submit(hashedrekord(signer, b"still full"))
        free(filler)
        after, created = log.submit(hashedrekord(signer, b"space again"))
        assert created and after.log_index >= 5
    finally:
        log.close()
        storage.close()
