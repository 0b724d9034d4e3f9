"""open_storage: the --db URL of the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.errors import ConfigError
from liturgia.tlog.storage import SqliteStorage, open_storage


def test_sqlite_absolute_and_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = open_storage(f"sqlite://{tmp_path}/a/log.db")
    assert isinstance(absolute, SqliteStorage) and absolute.path == tmp_path / "a" / "log.db"
    absolute.close()
    monkeypatch.chdir(tmp_path)
    relative = open_storage("sqlite://rel.db?synchronous=normal")
    assert isinstance(relative, SqliteStorage) and relative.path == Path("rel.db")
    with relative._read("check") as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    relative.close()
    assert (tmp_path / "rel.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "has no file path"),
        ("sqlite://x.db?mode=ro", "unknown option 'mode'"),
        ("sqlite://x.db?synchronous=OFF", "synchronous must be FULL or NORMAL"),
        (
            "mysql://root:hunter2@db/log",
            r"'mysql://root:\*\*\*@db/log': unsupported scheme 'mysql'",
        ),
        ("log.db", "unsupported scheme ''"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_storage(url)
