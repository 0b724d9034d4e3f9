"""The tree ID and index offset are stored with the log: a restart keeps what it signed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord

from liturgia.errors import ConfigError, InputError, StorageError
from liturgia.server import instance
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

HOST = "log.example"


def _url(tmp_path: Path, name: str = "log.db") -> str:
    return f"sqlite://{tmp_path / name}"


def _submit(log: RekorLog, artifact: bytes) -> rekor.LogEntry:
    """Submit a new hashedrekord entry for ``artifact``, signed by a new P-256 key."""
    entry, created = log.submit(hashedrekord(ec.generate_private_key(ec.SECP256R1()), artifact))
    assert created
    return entry


def _verify(entry: rekor.LogEntry, tmp_path: Path, tree_id: int) -> None:
    """The entry's SET and inclusion proof verify under the log key and origin."""
    key = instance.load_or_create_log_key(tmp_path / "log.db.key.pem")
    rekor.verify_log_entry(entry, key.public_key(), key_name=HOST, origin=f"{HOST} - {tree_id}")


def _settings(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, value FROM settings").fetchall())
    finally:
        conn.close()


def test_a_new_log_stores_its_settings(tmp_path: Path) -> None:
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    try:
        key = instance.load_or_create_log_key(tmp_path / "log.db.key.pem")
        assert (log.tree_id, log.index_offset) == (instance.tree_id_for(key), 0)
        assert storage.read_setting("tree_id") == str(instance.tree_id_for(key))
        assert storage.read_setting("index_offset") == "0"
    finally:
        log.close()
        storage.close()
    log, storage = instance.open_log(
        _url(tmp_path, "other.db"), host=HOST, tree_id=4242, index_offset=1000
    )
    log.close()
    storage.close()
    assert _settings(tmp_path / "other.db") == {
        "tree_id": "4242",
        "index_offset": "1000",
        "log_host": HOST,
    }


def test_a_restart_without_options_keeps_offset_and_tree_id(tmp_path: Path) -> None:
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242, index_offset=1000)
    try:
        entries = [_submit(log, b"artifact %d" % n) for n in range(4)]
    finally:
        log.close()
        storage.close()
    assert [e.log_index for e in entries] == [1000, 1001, 1002, 1003]
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    try:
        assert (log.tree_id, log.index_offset) == (4242, 1000)
        assert log.origin == f"{HOST} - 4242"
        for before in entries:
            after = log.entry(before.log_index)
            assert after is not None
            assert (after.log_index, after.body) == (before.log_index, before.body)
            assert after.inclusion_proof is not None
            assert after.inclusion_proof.log_index == before.log_index - 1000
            _verify(after, tmp_path, 4242)
        # Nothing is served under the tree-local index as if it were global.
        assert log.entry(0) is None
        # New entries continue the global numbering.
        fifth = _submit(log, b"artifact 4")
        assert fifth.log_index == 1004
        _verify(fifth, tmp_path, 4242)
    finally:
        log.close()
        storage.close()
    # Giving the stored values explicitly is fine too.
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242, index_offset=1000)
    assert log.info()["treeSize"] == 5
    log.close()
    storage.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"index_offset": 0}, "this log was created with --index-offset 1000, not 0"),
        ({"index_offset": 7}, "this log was created with --index-offset 1000, not 7"),
        ({"tree_id": 99}, "this log was created with --tree-id 4242, not 99"),
        ({"tree_id": 99, "index_offset": 0}, "this log was created with --tree-id 4242, not 99"),
    ],
)
def test_other_explicit_values_are_refused(
    tmp_path: Path, options: dict[str, int], message: str
) -> None:
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242, index_offset=1000)
    _submit(log, b"signed once")
    log.close()
    storage.close()
    db = tmp_path / "log.db"
    with pytest.raises(ConfigError) as caught:
        instance.open_log(_url(tmp_path), host=HOST, **options)
    assert str(caught.value) == f"{db}: {message}"
    assert caught.value.exit_code == 2
    # Nothing was changed, and the log was closed: it opens again with what it was created with.
    assert _settings(db) == {"tree_id": "4242", "index_offset": "1000", "log_host": HOST}
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    assert (log.tree_id, log.index_offset, log.info()["treeSize"]) == (4242, 1000, 1)
    log.close()
    storage.close()


def test_a_default_is_stored_too(tmp_path: Path) -> None:
    """A log created without --index-offset has offset 0: a later 1000 is refused."""
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    tree_id = log.tree_id
    log.close()
    storage.close()
    with pytest.raises(ConfigError, match="created with --index-offset 0, not 1000"):
        instance.open_log(_url(tmp_path), host=HOST, index_offset=1000)
    with pytest.raises(ConfigError, match=f"created with --tree-id {tree_id}, not 5"):
        instance.open_log(_url(tmp_path), host=HOST, tree_id=5)


def _drop_settings(path: Path) -> None:
    """Make the log look like one stored before the settings table existed."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TABLE settings")
        conn.commit()
    finally:
        conn.close()


def test_an_older_log_takes_the_values_given(tmp_path: Path) -> None:
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242, index_offset=1000)
    first = _submit(log, b"before settings")
    log.close()
    storage.close()
    _drop_settings(tmp_path / "log.db")
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242, index_offset=1000)
    try:
        again = log.entry(1000)
        assert again is not None and again.body == first.body
        _verify(again, tmp_path, 4242)
    finally:
        log.close()
        storage.close()
    assert _settings(tmp_path / "log.db") == {
        "tree_id": "4242",
        "index_offset": "1000",
        "log_host": HOST,
    }
    # From now on the flags may be left out.
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    assert (log.tree_id, log.index_offset) == (4242, 1000)
    log.close()
    storage.close()


def test_an_older_log_takes_the_defaults(tmp_path: Path) -> None:
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    tree_id = log.tree_id
    _submit(log, b"before settings")
    log.close()
    storage.close()
    _drop_settings(tmp_path / "log.db")
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    assert (log.tree_id, log.index_offset) == (tree_id, 0)
    log.close()
    storage.close()
    assert _settings(tmp_path / "log.db") == {
        "tree_id": str(tree_id),
        "index_offset": "0",
        "log_host": HOST,
    }


def test_an_older_log_refused_for_its_tree_id_stores_nothing(tmp_path: Path) -> None:
    """An older log made with --tree-id, started without it: refused, and nothing is stored,
    so that starting it with the right --tree-id still works."""
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242)
    _submit(log, b"before settings")
    log.close()
    storage.close()
    _drop_settings(tmp_path / "log.db")
    with pytest.raises(StorageError, match="refusing to serve the stored log"):
        instance.open_log(_url(tmp_path), host=HOST)
    assert _settings(tmp_path / "log.db") == {}
    log, storage = instance.open_log(_url(tmp_path), host=HOST, tree_id=4242)
    assert (log.tree_id, log.index_offset, log.info()["treeSize"]) == (4242, 0, 1)
    log.close()
    storage.close()
    assert _settings(tmp_path / "log.db") == {
        "tree_id": "4242",
        "index_offset": "0",
        "log_host": HOST,
    }


def test_bad_values_are_refused_and_not_stored(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"index offset -1 is not in 0\.\.2\*\*52"):
        instance.open_log(_url(tmp_path), host=HOST, index_offset=-1)
    with pytest.raises(
        InputError, match=r"index offset 9223372036854775807 is not in 0\.\.2\*\*52"
    ):
        instance.open_log(_url(tmp_path), host=HOST, index_offset=(1 << 63) - 1)
    with pytest.raises(InputError, match="tree ID 0 is not a positive int64"):
        instance.open_log(_url(tmp_path), host=HOST, tree_id=0)
    assert _settings(tmp_path / "log.db") == {}


def test_a_corrupt_stored_setting_is_a_storage_error(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    storage.claim_setting("index_offset", "a thousand")
    storage.close()
    with pytest.raises(StorageError, match=r"log\.db: stored setting index_offset is not an "):
        instance.open_log(_url(tmp_path), host=HOST)


@pytest.mark.parametrize("older", [False, True], ids=["new-log", "older-log"])
def test_a_setting_claimed_by_another_process_first_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, older: bool
) -> None:
    """Two processes start one log at once with different offsets: the later claim loses.

    Played in one process: the other process's claim lands between this one's read of the
    settings and its own claim (before the start of a new log, after the verification of an
    older one's stored tree).
    """
    db = tmp_path / "log.db"
    if older:
        log, storage = instance.open_log(_url(tmp_path), host=HOST)
        _submit(log, b"before settings")
        log.close()
        storage.close()
        _drop_settings(db)
    read_setting = SqliteStorage.read_setting

    def read_then_race(self: SqliteStorage, name: str) -> str | None:
        value = read_setting(self, name)
        if name == "index_offset":
            other = SqliteStorage(db)
            other.claim_setting("index_offset", "7")
            other.close()
        return value

    monkeypatch.setattr(SqliteStorage, "read_setting", read_then_race)
    with pytest.raises(ConfigError, match=r"created with --index-offset 7, not 1000"):
        instance.open_log(_url(tmp_path), host=HOST, index_offset=1000)
    monkeypatch.undo()
    # The loser closed its log and storage: the log opens again, with the winner's offset.
    log, storage = instance.open_log(_url(tmp_path), host=HOST)
    assert log.index_offset == 7
    assert log.info()["treeSize"] == (1 if older else 0)
    log.close()
    storage.close()


def test_postgres_urls_are_named_without_password() -> None:
    assert instance._db_label("postgresql://u:pw@db.example/rekor") == (
        "postgresql://u:***@db.example/rekor"
    )
    assert instance._db_label("postgresql://db.example/rekor") == "postgresql://db.example/rekor"
    assert instance._db_label("sqlite:///var/log.db?synchronous=NORMAL") == "/var/log.db"
