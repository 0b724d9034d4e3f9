"""A ``liturgia serve --workers N`` worker's factory, in process over a real SQLite log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from liturgia.errors import ConfigError, StorageError
from liturgia.server import instance, worker


def _options(tmp_path: Path, **changes: object) -> worker.WorkerOptions:
    fields: dict[str, object] = {
        "db_url": f"sqlite://{tmp_path / 'log.db'}",
        "log_host": "log.example",
        "key_path": str(tmp_path / "log.key.pem"),
        "tree_id": 77,
        "index_offset": 5,
        "max_body_bytes": 4096,
    }
    fields.update(changes)
    return worker.WorkerOptions(**fields)  # type: ignore[arg-type]


def test_options_round_trip_through_the_environment(tmp_path: Path) -> None:
    options = _options(tmp_path)
    text = options.to_environment()
    assert json.loads(text)["db_url"] == options.db_url
    assert worker.WorkerOptions.from_environment(text) == options


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "LITURGIA_SERVE_WORKER is not set"),
        ("", "LITURGIA_SERVE_WORKER is not set"),
        ("{not json", "is not valid worker options"),
        ('{"db_url": "sqlite:///x", "surprise": 1}', "is not valid worker options"),
        ("[1, 2]", "is not valid worker options"),
    ],
)
def test_bad_options_are_config_errors(value: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        worker.WorkerOptions.from_environment(value)


def test_factory_serves_the_log_and_closes_it_on_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance.load_or_create_log_key(tmp_path / "log.key.pem")  # the parent creates it
    monkeypatch.setenv(worker.ENVIRONMENT_VARIABLE, _options(tmp_path).to_environment())
    app = worker.app_from_environment()

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
                info = (await client.get("/api/v1/log")).json()
                assert info["treeID"] == "77" and info["treeSize"] == 0
                too_big = await client.post("/api/v1/log/entries", content=b"x" * 5000)
                assert too_big.status_code == 413  # the worker's body limit is the option's
                key = await client.get("/api/v1/log/publicKey")
                assert key.text.startswith("-----BEGIN PUBLIC KEY-----")

    anyio.run(scenario)
    # The lifespan closed the log and its storage: a new log opens the same file at once.
    log, storage = instance.open_log(
        f"sqlite://{tmp_path / 'log.db'}",
        host="log.example",
        key_path=tmp_path / "log.key.pem",
        tree_id=77,
    )
    assert log.info()["treeSize"] == 0
    log.close()
    storage.close()


def test_factory_refuses_a_tree_that_does_not_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose log key did not sign the stored checkpoint does not serve it."""
    first = _options(tmp_path)
    instance.load_or_create_log_key(Path(first.key_path))
    log, storage = instance.open_log(
        first.db_url, host=first.log_host, key_path=Path(first.key_path), tree_id=77
    )
    log.close()
    storage.close()
    other_key = tmp_path / "other.key.pem"
    instance.load_or_create_log_key(other_key)
    monkeypatch.setenv(
        worker.ENVIRONMENT_VARIABLE, _options(tmp_path, key_path=str(other_key)).to_environment()
    )
    with pytest.raises(StorageError, match="refusing to serve the stored log"):
        worker.app_from_environment()


def test_a_worker_whose_parent_is_gone_does_not_start() -> None:
    """Run in a child: the death signal it asks for is its own, not the test runner's."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import os\n"
        "from liturgia.errors import ConfigError\n"
        "from liturgia.server import worker\n"
        "worker._stop_with_parent(os.getppid())\n"
        "try:\n"
        "    worker._stop_with_parent(os.getppid() + 1_000_000)\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "that started this worker is gone" in result.stdout


def _adjusted_after(start: int) -> int:
    """A fresh process at ``oom_score_adj`` ``start`` raises it; its value afterwards."""
    script = (
        "from pathlib import Path\n"
        f"Path('/proc/self/oom_score_adj').write_text('{start}')\n"
        "from liturgia.server.worker import _prefer_me_under_oom\n"
        "_prefer_me_under_oom()\n"
        "print(Path('/proc/self/oom_score_adj').read_text().strip())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    return int(done.stdout)


def test_a_worker_offers_itself_to_the_oom_killer_before_its_supervisor() -> None:
    """Raising one's own oom_score_adj needs no privilege; 1000 is the ceiling (proc(5))."""
    assert _adjusted_after(0) == 500
    assert _adjusted_after(700) == 1000
