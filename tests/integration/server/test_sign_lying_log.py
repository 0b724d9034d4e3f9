"""``liturgia sign --tlog-url`` against a lying log: a real ``liturgia serve`` behind a small real
HTTP proxy of the test's own that tampers with the log's answers.

The signer verifies the entry it gets back before writing a bundle: the body is about its own
signature, digest and key; the inclusion proof leads to the checkpoint's tree; with ``--log-key``
the SET and the checkpoint verify under the log's key. Anything else: exit 3, no bundle. Also the
lost answer (the entry is stored, the answer becomes a 503): the POST is retried, the log's 409
names the stored entry, which is fetched and verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from liturgia import cli, sign

from .conftest import HOST, Server

Tamper = Callable[[dict[str, Any]], None]


class _LyingProxy(BaseHTTPRequestHandler):
    """Forwards to the real log; rewrites the value of a 201 answer to a POST with ``tamper``."""

    upstream: ClassVar[str] = ""
    tamper: ClassVar[Tamper | None] = None
    lose_answers: ClassVar[int] = 0
    posts: ClassVar[int] = 0
    honest: ClassVar[dict[str, Any]] = {}  # the last 201 answer's value left as it was

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else None
        answer = httpx.request(
            self.command,
            self.upstream + self.path,
            content=sent,
            headers={"Content-Type": "application/json"} if sent else {},
            timeout=30,
        )
        status, data = answer.status_code, answer.content
        headers = {k: v for k, v in answer.headers.items() if k.lower() == "location"}
        if self.command == "POST":
            type(self).posts += 1
            if type(self).lose_answers > 0:  # stored upstream, but the answer is lost
                type(self).lose_answers -= 1
                status, data, headers = 503, b'{"code": 503, "message": "lost"}', {}
            elif status == 201:
                document = json.loads(data)
                (value,) = document.values()
                if self.tamper is None:
                    type(self).honest = dict(value)
                else:
                    type(self).tamper(value)
                    data = json.dumps(document).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _forward
    do_POST = _forward

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def log(tmp_path: Path, servers: list[Server]) -> Server:
    servers.append(Server(tmp_path / "tlog" / "log.db", tmp_path))
    return servers[-1]


@pytest.fixture
def proxy(log: Server) -> Iterator[str]:
    _LyingProxy.upstream, _LyingProxy.tamper = log.url, None
    _LyingProxy.lose_answers = _LyingProxy.posts = 0
    httpd = ThreadingHTTPServer((HOST, 0), _LyingProxy)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def keys(tmp_path: Path, log: Server) -> tuple[Path, Path, Path]:
    """The signer's key pair and the log's public key (fetched once from the honest log)."""
    private, public = tmp_path / "release.key", tmp_path / "release.pub"
    sign.generate_key_pair(private, public, password=b"pw")
    log_pub = tmp_path / "log.pub"
    log_pub.write_bytes(httpx.get(f"{log.url}/api/v1/log/publicKey", timeout=10).content)
    return private, public, log_pub


def _flip_hex(value: str) -> str:
    return f"{int(value[0], 16) ^ 1:x}{value[1:]}"


def _flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _flip_proof(value: dict[str, Any]) -> None:
    hashes = value["verification"]["inclusionProof"]["hashes"]
    hashes[0] = _flip_hex(hashes[0])


def _flip_set(value: dict[str, Any]) -> None:
    verification = value["verification"]
    verification["signedEntryTimestamp"] = _flip_b64(verification["signedEntryTimestamp"])


def _flip_checkpoint_signature(value: dict[str, Any]) -> None:
    proof = value["verification"]["inclusionProof"]
    text, _, line = proof["checkpoint"].rstrip("\n").rpartition("\n")
    name, _, blob = line.rpartition(" ")
    proof["checkpoint"] = f"{text}\n{name} {_flip_b64(blob)}\n"


def _replay_first(value: dict[str, Any]) -> None:
    """Answer with a real, valid entry, of another artifact: its body is not ours."""
    value.clear()
    value.update(_LyingProxy.honest)


def _sign(
    artifact: Path, keys: tuple[Path, Path, Path], url: str, *, with_log_key: bool
) -> list[str]:
    args = ["sign", str(artifact), "--key", str(keys[0]), "--tlog-url", url]
    return args + (["--log-key", str(keys[2])] if with_log_key else [])


@pytest.mark.parametrize(
    ("tamper", "with_log_key", "reason"),
    [
        (_flip_proof, False, "inclusion proof invalid: leaf 1 of the tree of size 2"),
        (_flip_proof, True, "inclusion proof invalid: leaf 1 of the tree of size 2"),
        (_flip_set, True, "signed entry timestamp invalid"),
        (_flip_checkpoint_signature, True, "checkpoint signature invalid"),
        (_replay_first, True, "the logged entry: tlogEntries[0]: the log entry records another"),
    ],
)
def test_a_lying_log_gets_no_bundle(
    tmp_path: Path,
    proxy: str,
    keys: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tamper: Tamper,
    with_log_key: bool,
    reason: str,
) -> None:
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    first = tmp_path / "first.bin"
    first.write_bytes(b"first")
    assert cli.main(_sign(first, keys, proxy, with_log_key=with_log_key)) == 0
    capsys.readouterr()
    _LyingProxy.tamper = tamper
    artifact = tmp_path / "second.bin"
    artifact.write_bytes(b"second")
    assert cli.main(_sign(artifact, keys, proxy, with_log_key=with_log_key)) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"liturgia: error: transparency log {proxy} answered an entry that ")
    assert reason in err
    assert not (tmp_path / "second.bin.sigstore.json").exists()


def test_without_the_log_key_the_unchecked_signatures_are_said(
    tmp_path: Path,
    proxy: str,
    keys: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A forged SET cannot be seen without the log's key: the bundle is written, and both
    ``sign`` and ``verify FILE --key`` say the log's signatures were not checked, and how to."""
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    _LyingProxy.tamper = _flip_set
    artifact = tmp_path / "a.bin"
    artifact.write_bytes(b"a")
    assert cli.main(_sign(artifact, keys, proxy, with_log_key=False)) == 0
    err = capsys.readouterr().err
    assert "note: the log's signatures (signed entry timestamp, checkpoint) were not checked" in err
    assert "pass --log-key PEM" in err
    public = str(keys[1])
    assert cli.main(["verify", str(artifact), "--key", public]) == 0
    err = capsys.readouterr().err
    assert "a.bin.sigstore.json: its transparency log entry was not checked (no log key)" in err
    assert "pass --log-key PEM" in err
    assert cli.main(["verify", str(artifact), "--key", public, "--format", "json"]) == 0
    (note,) = json.loads(capsys.readouterr().out)["notes"]
    assert "was not checked" in note
    # A folder of bundles says it per bundle too (this one is no release: it also fails).
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("a.bin", "a.bin.sigstore.json"):
        (folder / name).write_bytes((tmp_path / name).read_bytes())
    (folder / "SHA256SUMS").write_text(f"{hashlib.sha256(b'a').hexdigest()}  a.bin\n")
    assert cli.main(["verify", str(folder), "--key", public, "--format", "json"]) == 1
    (note,) = json.loads(capsys.readouterr().out)["notes"]
    assert note.startswith("a.bin.sigstore.json: its transparency log entry was not checked")
    # With the log's key, verify finds the forged SET the signer could not see.
    assert cli.main(["verify", str(artifact), "--key", public, "--log-key", str(keys[2])]) == 1
    assert "signed entry timestamp invalid" in capsys.readouterr().err


def test_an_honest_log_and_a_lost_answer(
    tmp_path: Path,
    proxy: str,
    log: Server,
    keys: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The first answer is lost after the log stored the entry (a 503): the retry meets a 409,
    the stored entry is fetched, verified under the log's key, and is the only one logged."""
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    _LyingProxy.lose_answers = 1
    artifact = tmp_path / "a.bin"
    artifact.write_bytes(b"a")
    assert cli.main(_sign(artifact, keys, proxy, with_log_key=True)) == 0, capsys.readouterr()
    assert "not checked" not in capsys.readouterr().err
    assert _LyingProxy.posts == 2
    assert httpx.get(f"{log.url}/api/v1/log", timeout=10).json()["treeSize"] == 1
    public, log_pub = str(keys[1]), str(keys[2])
    assert cli.main(["verify", str(artifact), "--key", public, "--log-key", log_pub]) == 0
    assert "not checked" not in capsys.readouterr().err
