"""``liturgia serve`` start-up: key beside the database, tree ID, refusing a tampered tree."""

from __future__ import annotations

import argparse
import socket
import sqlite3
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from tests.rekor_requests import hashedrekord

from liturgia import cli
from liturgia.cli import serve
from liturgia.errors import ConfigError, InputError, NetworkError, StorageError
from liturgia.server import instance
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    return parser.parse_args(["serve", "--db", f"sqlite://{tmp_path / 'log.db'}", *extra])


def _submit(log: RekorLog, artifact: bytes) -> None:
    """Submit a hashedrekord entry for ``artifact``, signed by a new P-256 key."""
    log.submit(hashedrekord(ec.generate_private_key(ec.SECP256R1()), artifact))


def test_defaults_under_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = instance.default_db_url()
    assert url == f"sqlite://{tmp_path}/data/liturgia/tlog/log.db"
    assert instance.log_key_path_for_db(url) == tmp_path / "data/liturgia/tlog/log.db.key.pem"
    assert instance.log_key_path_for_db("postgresql://u:pw@db.example:5433/rekor") == (
        tmp_path / "data/liturgia/tlog/postgresql-db.example-5433-rekor.key.pem"
    )
    assert instance.log_key_path_for_db("postgres:///logs").name == (
        "postgresql-local-5432-logs.key.pem"
    )
    monkeypatch.delenv("XDG_DATA_HOME")
    assert instance.default_db_url().endswith("/.local/share/liturgia/tlog/log.db")
    with pytest.raises(ConfigError, match=r"'mysql://u:\*\*\*@h/d': unsupported scheme"):
        instance.log_key_path_for_db("mysql://u:secret@h/d")
    with pytest.raises(ConfigError, match="has no file path"):
        instance.log_key_path_for_db("sqlite://")


def test_key_created_once_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log.key.pem"
    key = instance.load_or_create_log_key(path)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert path.stat().st_mode & 0o777 == 0o600
    again = instance.load_or_create_log_key(path)
    assert rekor.log_id(again.public_key()) == rekor.log_id(key.public_key())
    tree_id = instance.tree_id_for(key)
    assert 0 < tree_id < 1 << 63 and tree_id == instance.tree_id_for(again)
    edwards = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(
        edwards.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert isinstance(instance.load_or_create_log_key(path), ed25519.Ed25519PrivateKey)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a key", "not an unencrypted PEM private key"),
        (
            ec.generate_private_key(ec.SECP384R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"pw"),
            ),
            "not an unencrypted PEM private key",
        ),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "must be ECDSA P-256 or Ed25519",
        ),
    ],
)
def test_bad_key_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "log.key.pem"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        instance.load_or_create_log_key(path)


def test_unreadable_key_file(tmp_path: Path) -> None:
    folder = tmp_path / "key-is-a-folder.pem"
    folder.mkdir()
    with pytest.raises(StorageError, match="cannot read the log key"):
        instance.load_or_create_log_key(folder)


def test_open_log_restarts_and_refuses_a_tampered_tree(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'log.db'}"
    log, storage = instance.open_log(url, host="127.0.0.1", index_offset=5)
    key_path = tmp_path / "log.db.key.pem"
    assert key_path.is_file()
    key = instance.load_or_create_log_key(key_path)
    assert log.tree_id == instance.tree_id_for(key)
    assert log.origin == f"127.0.0.1 - {log.tree_id}"
    for artifact in (b"one", b"two", b"three"):
        _submit(log, artifact)
    root = log.info()["rootHash"]
    log.close()
    storage.close()
    # A clean restart verifies and serves the same tree, with the same key and tree ID.
    log, storage = instance.open_log(url, host="127.0.0.1", index_offset=5)
    assert log.info()["rootHash"] == root and log.entry(7) is not None
    log.close()
    storage.close()
    # Another host name is another origin: the log says which one it was created with.
    with pytest.raises(
        ConfigError, match=r"this log was created with --log-host 127\.0\.0\.1, not elsewhere"
    ):
        instance.open_log(url, host="elsewhere.example")
    # Without --log-host it keeps its own, whatever address serve listens on (a tester found
    # that moving to --host 0.0.0.0 refused the log).
    log, storage = instance.open_log(url, host=None, default_host="0.0.0.0")  # noqa: S104
    assert (log.host, log.origin.split(" - ")[0]) == ("127.0.0.1", "127.0.0.1")
    log.close()
    storage.close()
    # A flipped byte in a stored leaf hash: the tree no longer matches its checkpoint.
    with sqlite3.connect(tmp_path / "log.db") as conn:
        (hashes_row,) = conn.execute("SELECT hashes FROM tiles WHERE level=0 AND idx=0").fetchone()
        tampered = bytes([hashes_row[0] ^ 1]) + hashes_row[1:]
        conn.execute("UPDATE tiles SET hashes=? WHERE level=0 AND idx=0", (tampered,))
    conn.close()
    with pytest.raises(StorageError, match="refusing to serve the stored log: root recomputed"):
        instance.open_log(url, host="127.0.0.1")
    with pytest.raises(InputError, match="tree ID 0 is not a positive int64"):
        instance.open_log(f"sqlite://{tmp_path / 'other.db'}", host="h", tree_id=0)


def test_cli_refuses_a_tampered_tree_with_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite://{tmp_path / 'log.db'}"
    log, storage = instance.open_log(url, host="127.0.0.1")
    _submit(log, b"x")
    log.close()
    storage.close()
    with sqlite3.connect(tmp_path / "log.db") as conn:
        conn.execute("UPDATE tree SET root=zeroblob(32)")
    conn.close()
    assert cli.main(["serve", "--db", url, "--port", "1"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("liturgia: error: refusing to serve the stored log: stored tree (1, ")


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match="--max-body-bytes must be positive, not 0"):
        serve.run(_args(tmp_path, "--max-body-bytes", "0"))
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        serve.run(_args(tmp_path, "--db", "mysql://h/d"))
    assert not (tmp_path / "log.db").exists()


def test_cli_missing_server_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what an install without the extra has
    with pytest.raises(ConfigError, match=r"needs the 'server' extra"):
        serve.run(_args(tmp_path))


def test_cli_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NetworkError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve.run(_args(tmp_path, "--port", str(port)))
    # The log was closed: it starts again cleanly.
    log, storage = instance.open_log(f"sqlite://{tmp_path / 'log.db'}", host="127.0.0.1")
    assert log.info()["treeSize"] == 0
    log.close()
    storage.close()


def test_environment_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITURGIA_SERVE_PORT", "9191")
    monkeypatch.setenv("LITURGIA_LOG_HOST", "log.example")
    args = _args(tmp_path)
    assert (args.port, args.log_host, args.host) == (9191, "log.example", "127.0.0.1")
    monkeypatch.setenv("LITURGIA_SERVE_PORT", "nope")
    assert _args(tmp_path).port == 8080


def test_listen_binds_or_says_why_in_one_line() -> None:
    from liturgia.errors import ConfigError, NetworkError  # noqa: PLC0415

    first = instance.listen("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        assert port > 0 and first.get_inheritable()
        with pytest.raises(NetworkError, match=rf"cannot listen on 127\.0\.0\.1:{port}: Address"):
            instance.listen("127.0.0.1", port)
    finally:
        first.close()
    with pytest.raises(ConfigError, match="--port must be between 0 and 65535, not 70000"):
        instance.listen("127.0.0.1", 70_000)
    with pytest.raises(NetworkError, match=r"cannot listen on no-such-host\.invalid:0"):
        instance.listen("no-such-host.invalid", 0)


@pytest.mark.parametrize("host", ["", "a b", "log+x", "log\nexample"])
def test_log_hosts_that_cannot_name_a_log(host: str) -> None:
    from liturgia.errors import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError, match="cannot name a log"):
        instance.check_log_host(host)
    assert instance.check_log_host("rekor.example.com") == "rekor.example.com"


def test_cli_tree_id_and_index_offset_default_to_what_the_log_was_created_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(tmp_path)
    assert (args.tree_id, args.index_offset) == (None, None)
    assert _args(tmp_path, "--index-offset", "1000").index_offset == 1000
    url = f"sqlite://{tmp_path / 'log.db'}"
    log, storage = instance.open_log(url, host="127.0.0.1", index_offset=1000)
    _submit(log, b"x")
    log.close()
    storage.close()
    # Another offset than the stored one: a usage error (exit 2) in one line, before listening.
    assert cli.main(["serve", "--db", url, "--index-offset", "0", "--port", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"liturgia: error: {tmp_path / 'log.db'}: this log was created with --index-offset "
        "1000, not 0"
    ]
    assert cli.main(["serve", "--db", url, "--tree-id", "5", "--port", "1"]) == 2
    assert "this log was created with --tree-id " in capsys.readouterr().err
