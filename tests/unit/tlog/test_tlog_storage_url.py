"""open_storage: the --db URL of the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.errors import ConfigError
from liturgia.tlog.storage import SqliteStorage, open_storage, postgres_options


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


def test_postgres_pool_options_are_split_off_the_url() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/log?options=-c%20search_path%3Dt_1&pool_size=3"
    dsn, options = postgres_options(url + "&pool_timeout=0.5")
    # libpq gets the rest unchanged in meaning (a space stays %20: libpq reads "+" as "+").
    assert dsn == "postgresql://postgres@127.0.0.1:5432/log?options=-c%20search_path=t_1"
    assert options == {"pool_size": 3, "pool_timeout": 0.5}
    assert postgres_options("postgresql://h/log?sslmode=require") == (
        "postgresql://h/log?sslmode=require",
        {},
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pool_size=0", "pool_size must be an integer >= 1"),
        ("pool_size=2.5", "pool_size must be an integer >= 1"),
        ("pool_timeout=-1", "pool_timeout must be seconds >= 0"),
        ("pool_timeout=inf", "pool_timeout must be seconds >= 0"),
        ("pool_timeout=soon", "pool_timeout must be seconds >= 0"),
    ],
)
def test_bad_postgres_pool_options(query: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"'postgresql://u:\*\*\*@h/log\?.*': " + message):
        open_storage(f"postgresql://u:secret@h/log?{query}")
