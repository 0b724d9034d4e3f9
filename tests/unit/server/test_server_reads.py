"""The hot reads answered before the framework give the FastAPI routes' exact answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord
from tests.unit.server.test_server_app import TestClient

from liturgia.cli import main
from liturgia.errors import ConfigError
from liturgia.server import create_app
from liturgia.server.reads import ReadSettings
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

HOST = "log.example"
TREE_ID = 99
OFFSET = 10


@pytest.fixture
def log(tmp_path: Path) -> Iterator[RekorLog]:
    storage = SqliteStorage(tmp_path / "log.db")
    settings = ReadSettings(node_cache=64, tile_levels_bytes=0, set_cache_bytes=200)
    key = ec.generate_private_key(ec.SECP256R1())
    with RekorLog(
        storage, key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET, **settings.log_options()
    ) as running:
        signer = ec.generate_private_key(ec.SECP256R1())
        for n in range(5):
            running.submit(hashedrekord(signer, b"read %d" % n))
        yield running
    storage.close()


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


def test_fast_reads_answer_as_the_framework_does(portal: BlockingPortal, log: RekorLog) -> None:
    fast_app = create_app(log, read_threads=2)
    framework_app = create_app(log)
    framework_app.read_asgi = None  # type: ignore[attr-defined]
    fast, framework = TestClient(portal, fast_app), TestClient(portal, framework_app)
    entry = log.entry(OFFSET + 2)
    assert entry is not None
    uuid = rekor.entry_id(entry.body)
    paths = [
        f"/api/v1/log/entries?logIndex={OFFSET}",
        f"/api/v1/log/entries?logIndex={OFFSET + 4}",
        f"/api/v1/log/entries?logIndex={OFFSET + 5}",  # 404
        "/api/v1/log/entries?logIndex=3",  # below the offset: 404
        f"/api/v1/log/entries/{uuid}",
        f"/api/v1/log/entries/{uuid.upper()}",
        f"/api/v1/log/entries/{TREE_ID:016x}{uuid}",
        f"/api/v1/log/entries/{'0' * 16}{uuid}",  # another tree: 400
        f"/api/v1/log/entries/{'ab' * 32}",  # 404
        "/api/v1/log/entries/retrieve",  # 405, left to the framework
        "/api/v1/log",
        "/api/v1/log/proof?firstSize=2&lastSize=5",
        "/api/v1/log/proof?lastSize=4",
        "/api/v1/log/proof?firstSize=3&lastSize=2",  # 400
        "/api/v1/log/proof?firstSize=1&lastSize=6",  # beyond the tree: 400
        "/api/v1/log/proof?firstSize=0&lastSize=2",  # left to the framework's validation
        "/api/v1/log/proof?lastSize=2&lastSize=3",
        "/checkpoint",
        "/tile/0/000.p/5",
        "/tile/0/000.p/6",  # 404
        "/tile/0/000",  # 404: not full
        "/tile/entries/000.p/3",
        "/tile/nonsense",
    ]
    statuses = []
    for path in paths:
        one, other = fast.get(path), framework.get(path)
        assert (one.status_code, one.content) == (other.status_code, other.content), path
        for header in ("content-type", "cache-control", "content-encoding", "location", "allow"):
            assert one.headers.get(header) == other.headers.get(header), (path, header)
        statuses.append(one.status_code)
    assert statuses == [
        200, 200, 404, 404, 200, 200, 200, 400, 404, 405, 200, 200, 200, 400, 400, 400, 200,
        200, 200, 404, 404, 200, 404,
    ]  # fmt: skip
    # The SET of an entry is signed once and kept (bounded): the same bytes on every read.
    first = fast.get(f"/api/v1/log/entries?logIndex={OFFSET + 1}").json()
    again = fast.get(f"/api/v1/log/entries?logIndex={OFFSET + 1}").json()
    assert first == again
    with pytest.raises(ValueError, match="read_threads must be positive"):
        create_app(log, read_threads=0)
    fast.close()
    framework.close()


def test_read_settings_split_one_budget(capsys: pytest.CaptureFixture[str]) -> None:
    default = ReadSettings.with_budget(threads=8, cache_mib=64)
    assert default.tile_cache_bytes == ReadSettings().tile_cache_bytes == 32 << 20
    assert default.tile_levels_bytes == ReadSettings().tile_levels_bytes == 16 << 20
    assert default.set_cache_bytes == ReadSettings().set_cache_bytes == 4 << 20
    assert default.node_cache == 65_536 == ReadSettings().node_cache
    small = ReadSettings.with_budget(threads=1, cache_mib=1)
    assert (small.tile_cache_bytes, small.node_cache) == (1 << 19, 1024)
    with pytest.raises(ConfigError, match="--read-threads must be between 1 and 256, not 0"):
        ReadSettings.with_budget(threads=0, cache_mib=64)
    with pytest.raises(ConfigError, match="--read-cache-mib must be between 1 and 65536, not 0"):
        ReadSettings.with_budget(threads=8, cache_mib=0)
    assert main(["serve", "--read-cache-mib", "0", "--port", "1"]) == 2
    assert "--read-cache-mib must be between" in capsys.readouterr().err
