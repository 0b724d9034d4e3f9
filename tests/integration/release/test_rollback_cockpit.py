"""``liturgia rollback VERSION --server URL`` marks the release rolled back on a real cockpit
server (``liturgia serve`` on loopback): the record is kept, the API and the pages say it,
outside text is escaped, and a server that is down leaves the rollback incomplete until the
next run marks it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liturgia.cli import main
from tests.integration.release.tiny import make_tiny
from tests.serving import HOST, Server, free_port, make_token

REASON = "logins fail: <script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")  # 2025-11-29


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "cockpit" / "log.db", tmp_path)
    yield running
    running.stop()


def _released(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_tiny(tmp_path / "tiny")
    monkeypatch.setenv("LITURGIA_TOKEN", make_token(server.db, "tiny"))
    assert main(["release", "--dry-run", "--project", str(repo), "--server", server.url]) == 0
    return repo


def test_rollback_marks_the_release_on_the_server_and_keeps_its_record(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = _released(tmp_path, server, monkeypatch)
    path = "/api/v1/projects/tiny/releases/0.1.1"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        before = client.get(path).json()
        assert before["rollback"] is None
        capsys.readouterr()

        code = main(
            ["rollback", "0.1.1", "--reason", REASON, "--project", str(repo),
             "--server", server.url, "--format", "json"]
        )  # fmt: skip
        out = capsys.readouterr()
        assert code == 0, out.err
        document = json.loads(out.out)
        assert document["complete"] is True
        cockpit = document["targets"]["cockpit server"]
        assert (cockpit["state"], cockpit["action"], cockpit["done"]) == ("marked", "mark", True)
        assert cockpit["location"] == server.url
        local = json.loads((repo / "dist" / "tiny-0.1.1.rolled-back.json").read_text())
        assert local["targets"]["cockpit server"]["state"] == "marked"

        after = client.get(path).json()
        assert after["rollback"] == {
            "rolledBackAt": document["rolled_back_at"], "reason": REASON, "previous": None,
        }  # fmt: skip
        assert after["record"] == before["record"]  # never changed
        listed = client.get("/api/v1/projects/tiny/releases").json()
        assert [item["rollback"]["reason"] for item in listed] == [REASON]

        page = client.get("/projects/tiny/releases/0.1.1").text
        assert 'id="rollback"' in page and "ROLLED BACK" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
        assert "No earlier release: release a fix." in page
        assert 'class="nogo rolled-back">ROLLED BACK' in client.get("/projects/tiny").text

    # Marked already: a second rollback of the same version is refused, nothing changes.
    assert main(["rollback", "0.1.1", "--reason", "again", "--project", str(repo)]) == 2
    assert "is already marked rolled back" in capsys.readouterr().err


def test_a_server_that_is_down_leaves_the_rollback_incomplete_until_the_next_run(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = _released(tmp_path, server, monkeypatch)
    capsys.readouterr()
    down = f"http://{HOST}:{free_port()}"
    code = main(["rollback", "0.1.1", "--reason", "bad build", "--project", str(repo),
                 "--server", down])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3, err
    assert "NOT withdrawn from cockpit server" in err
    local = json.loads((repo / "dist" / "tiny-0.1.1.rolled-back.json").read_text())
    assert local["complete"] is False
    assert local["targets"]["cockpit server"]["state"] == "failed"
    assert local["targets"]["cockpit server"]["exit_code"] == 3

    # The next run (the server named again, up this time) marks it; the first reason is kept.
    code = main(["rollback", "0.1.1", "--reason", "other words", "--project", str(repo),
                 "--server", server.url])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    mark = httpx.get(f"{server.url}/api/v1/projects/tiny/releases/0.1.1", timeout=30).json()
    assert mark["rollback"]["reason"] == "bad build"


def test_a_server_named_after_a_complete_rollback_is_marked_by_the_next_run(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rolled back with no server named (complete: never published), then again with one: the
    server is a new target, so the rollback reopens and the server is marked; the first
    reason and time are kept."""
    repo = _released(tmp_path, server, monkeypatch)
    assert main(["rollback", "0.1.1", "--reason", "first", "--project", str(repo)]) == 0
    first = json.loads((repo / "dist" / "tiny-0.1.1.rolled-back.json").read_text())
    assert first["complete"] is True and first["targets"] == {}
    capsys.readouterr()
    code = main(["rollback", "0.1.1", "--reason", "second", "--project", str(repo),
                 "--server", server.url])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    after = json.loads((repo / "dist" / "tiny-0.1.1.rolled-back.json").read_text())
    assert after["complete"] is True
    assert after["targets"]["cockpit server"]["state"] == "marked"
    mark = httpx.get(f"{server.url}/api/v1/projects/tiny/releases/0.1.1", timeout=30).json()
    assert mark["rollback"] == {
        "rolledBackAt": first["rolled_back_at"], "reason": "first", "previous": None,
    }  # fmt: skip
    # A record edited by hand into another shape: one line naming it, exit 2, not a traceback.
    record = repo / "dist" / "tiny-0.1.1.rolled-back.json"
    kept = record.read_text()
    for broken in ('{"targets": ["cockpit server"]}', '{"targets": {"x": 1}}', "[1]"):
        record.write_text(broken)
        assert main(["rollback", "0.1.1", "--reason", "r", "--project", str(repo)]) == 2
        assert "tiny-0.1.1.rolled-back.json: not a rollback record" in capsys.readouterr().err
    record.write_text(kept)
    # Complete everywhere now: the same command again is refused.
    argv = [
        "rollback",
        "0.1.1",
        "--reason",
        "third",
        "--project",
        str(repo),
        "--server",
        server.url,
    ]
    assert main(argv) == 2
    assert "is already marked rolled back" in capsys.readouterr().err


def test_the_server_must_know_the_release_and_the_token(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    assert main(["release", "--dry-run", "--project", str(repo)]) == 0  # not sent to the server
    capsys.readouterr()
    argv = ["rollback", "0.1.1", "--reason", "r", "--project", str(repo), "--server", server.url]

    # No token: refused before anything is recorded.
    monkeypatch.delenv("LITURGIA_TOKEN", raising=False)
    assert main(argv) == 2
    assert "LITURGIA_TOKEN is not set" in capsys.readouterr().err
    assert not (repo / "dist" / "tiny-0.1.1.rolled-back.json").exists()

    # Another project's token: a configuration error (2), named.
    monkeypatch.setenv("LITURGIA_TOKEN", make_token(server.db, "other"))
    assert main(argv) == 2
    assert "is not a write token of tiny" in capsys.readouterr().err

    # The right token, but the server never had the release's record: 2, what to do.
    monkeypatch.setenv("LITURGIA_TOKEN", make_token(server.db, "tiny"))
    assert main(argv) == 2
    assert "HTTP 404: " in capsys.readouterr().err
    assert main(["rollback", "0.1.1", "--reason", "r", "--project", str(repo),
                 "--server", "ftp://nowhere"]) == 2  # fmt: skip
    assert "not an http(s) URL" in capsys.readouterr().err
