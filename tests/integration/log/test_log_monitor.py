"""``liturgia log monitor`` against real ``liturgia serve`` processes on loopback.

An honest log grows and every observation exits 0; a rewritten log (a second server on a fresh
database under the same key, hence the same origin) is refused with exit 1 as a rollback, a
fork at the same size, and an inconsistent proof; the state is left as it was. A wrong or
changed log key exits 1; an unreachable log exits 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia import cli
from liturgia.tlog.client import LogClient

from .conftest import HOST, Entries, Server, free_port


def _monitor(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["log", "monitor", url, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_monitor_follows_an_honest_log_and_refuses_a_rewritten_one(
    tmp_path: Path,
    servers: list[Server],
    entries: Entries,
    capsys: pytest.CaptureFixture[str],
) -> None:
    honest = Server(tmp_path / "a" / "log.db", tmp_path)
    servers.append(honest)
    state = tmp_path / "state"
    watch = ("--state", str(state))

    # First use on an empty log: the key is fetched and pinned.
    code, out, err = _monitor(capsys, honest.url, *watch)
    assert code == 0, err
    assert "size 0" in out and "first use" in out
    pinned = json.loads((state / "log.json").read_text())
    key_pem = Path(f"{honest.db}.key.pem").read_bytes()
    log_public = serialization.load_pem_private_key(key_pem, password=None).public_key()
    assert pinned["publicKey"].encode() == log_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pinned["keyName"] == HOST and pinned["origin"].startswith(f"{HOST} - ")

    entries.submit(honest, 3, "a")
    code, out, err = _monitor(capsys, honest.url, *watch)
    assert code == 0, err
    assert "size 3" in out and "from 0" in out
    (last,) = entries.submit(honest, 1, "a")
    entries.submit(honest, 1, "a")
    code, out, err = _monitor(capsys, honest.url, *watch)
    assert (code, "size 5" in out, "from 3" in out) == (0, True, True), err
    code, out, err = _monitor(capsys, honest.url, *watch)  # unchanged: still consistent
    assert (code, "size 5" in out) == (0, True), err
    recorded = (state / "checkpoint").read_bytes()
    fetched = LogClient(honest.url).entry_by_uuid(last)
    assert fetched is not None and fetched.log_index == 3
    assert LogClient(honest.url).entry_by_uuid("ab" * 32) is None
    history = (state / "history").read_text().splitlines()
    assert [line.split()[1] for line in history] == ["0", "3", "5", "5"]

    # The same key and origin over a fresh database: a rewritten log.
    honest.stop()
    forged = Server(tmp_path / "b" / "log.db", tmp_path, "--key", f"{honest.db}.key.pem")
    servers.append(forged)
    entries.submit(forged, 2, "b")
    code, _, err = _monitor(capsys, forged.url, *watch)
    assert code == 1 and "rollback" in err, err
    entries.submit(forged, 3, "b")
    code, _, err = _monitor(capsys, forged.url, *watch)
    assert code == 1 and "fork" in err, err
    entries.submit(forged, 1, "b")
    code, _, err = _monitor(capsys, forged.url, *watch)
    assert code == 1 and "consisten" in err, err
    assert (state / "checkpoint").read_bytes() == recorded  # the evidence is kept

    # A log key other than the pinned one, and a wrong key on first use.
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    code, _, err = _monitor(capsys, forged.url, *watch, "--log-key", str(other_pem))
    assert code == 1 and "pinned" in err, err
    fresh = ("--state", str(tmp_path / "fresh"), "--log-key", str(other_pem))
    code, _, err = _monitor(capsys, forged.url, *fresh)
    assert code == 1 and "signature" in err.lower(), err
    assert not (tmp_path / "fresh" / "log.json").exists()


def test_monitor_exit_3_when_the_log_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://{HOST}:{free_port()}"
    code, _, err = _monitor(capsys, url, "--state", str(tmp_path / "s"), "--timeout", "5")
    assert code == 3 and url in err, err
    assert not (tmp_path / "s").exists()


def test_monitor_default_state_is_per_log_under_xdg_state_home(
    tmp_path: Path,
    servers: list[Server],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    server = Server(tmp_path / "log.db", tmp_path)
    servers.append(server)
    code, out, err = _monitor(capsys, server.url)
    assert code == 0 and "first use" in out, err
    folder = tmp_path / "xdg" / "liturgia" / "log-monitor" / f"{HOST}_{server.port}"
    assert json.loads((folder / "log.json").read_text())["keyName"] == HOST
    code, out, err = _monitor(capsys, server.url)
    assert code == 0 and "from 0" in out, err
