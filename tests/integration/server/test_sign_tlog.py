"""``liturgia sign --tlog-url``: the signature logged by a real ``liturgia serve``, in the bundle.

Also the client's answers to a log that refuses, is unreachable, or answers out of shape (a
small loopback HTTP server of the test's own).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from liturgia import cli, sign
from liturgia._internal.http import HttpClient
from liturgia.errors import BundleError, ConfigError, InputError, NetworkError
from liturgia.sign.tlog_upload import (
    MAX_ANSWER_BYTES,
    UPLOAD_ATTEMPTS,
    add_log_entry,
    upload_entry,
)
from liturgia.tlog import rekor

from .conftest import HOST, Server, free_port


@pytest.fixture
def signer_files(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "release.key", tmp_path / "release.pub"
    sign.generate_key_pair(private, public, password=b"pw")
    return private, public


@pytest.fixture
def server(tmp_path: Path, servers: list[Server]) -> Server:
    servers.append(Server(tmp_path / "tlog" / "log.db", tmp_path))
    return servers[-1]


def _log_key(server: Server) -> Any:
    data = Path(f"{server.db}.key.pem").read_bytes()
    return serialization.load_pem_private_key(data, password=None).public_key()


def _verify_logged(bundle: bytes, server: Server, tree_id: int) -> rekor.LogEntry:
    (tlog_entry,) = json.loads(bundle)["verificationMaterial"]["tlogEntries"]
    entry = rekor.LogEntry.from_bundle_json(tlog_entry)
    rekor.verify_log_entry(entry, _log_key(server), key_name=HOST, origin=f"{HOST} - {tree_id}")
    return entry


def _tree_id(server: Server) -> int:
    return int(httpx.get(f"{server.url}/api/v1/log", timeout=10).json()["treeID"])


def test_cli_sign_logs_and_embeds_the_entry(
    tmp_path: Path,
    server: Server,
    signer_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    private, public = signer_files
    artifacts = [tmp_path / "a.tar.gz", tmp_path / "b.whl"]
    for number, artifact in enumerate(artifacts):
        artifact.write_bytes(b"artifact %d\n" % number * 50)
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    code = cli.main(
        ["sign", *map(str, artifacts), "--key", str(private), "--tlog-url", server.url + "/"]
    )
    assert code == 0, capsys.readouterr().err
    public_key = sign.load_public_key(public)
    tree_id = _tree_id(server)
    indexes = []
    for artifact in artifacts:
        bundle = (tmp_path / (artifact.name + ".sigstore.json")).read_bytes()
        sign.verify_file_bundle(artifact, bundle, public_key)  # the entry is about this file
        entry = _verify_logged(bundle, server, tree_id)
        body = json.loads(entry.body)
        digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
        assert body["spec"]["data"]["hash"]["value"] == digest
        indexes.append(entry.log_index)
    assert indexes == [0, 1]
    # a's bundle carrying b's log entry fails offline verification (CVE-2022-36056's class).
    bundle_a = json.loads((tmp_path / "a.tar.gz.sigstore.json").read_bytes())
    bundle_b = json.loads((tmp_path / "b.whl.sigstore.json").read_bytes())
    bundle_a["verificationMaterial"]["tlogEntries"] = bundle_b["verificationMaterial"][
        "tlogEntries"
    ]
    with pytest.raises(BundleError, match="records another"):
        sign.verify_file_bundle(artifacts[0], json.dumps(bundle_a).encode(), public_key)


def test_retry_gets_the_existing_entry_and_dsse_is_logged(
    tmp_path: Path, server: Server, signer_files: tuple[Path, Path]
) -> None:
    signer = sign.load_signer(str(signer_files[0]), password=b"pw")
    artifact = tmp_path / "x.bin"
    artifact.write_bytes(b"x" * 1000)
    bundle = sign.sign_file(artifact, signer)
    proposed = sign.proposed_entry(sign.parse_bundle(bundle), signer.public_key)
    first = upload_entry(server.url, proposed)
    again = upload_entry(server.url, proposed)  # 409 -> the Location is fetched
    assert again["logIndex"] == first["logIndex"] and again["body"] == first["body"]
    logged = add_log_entry(bundle, signer.public_key, server.url)
    assert json.loads(logged)["messageSignature"] == json.loads(bundle)["messageSignature"]
    tree_id = _tree_id(server)
    assert _verify_logged(logged, server, tree_id).log_index == first["logIndex"]

    statement = b'{"_type":"https://in-toto.io/Statement/v1","subject":[]}'
    envelope = sign.sign_dsse(statement, sign.INTOTO_PAYLOAD_TYPE, signer)
    dsse = sign.dsse_bundle(envelope, signer.public_key)
    logged_dsse = add_log_entry(dsse, signer.public_key, server.url)
    entry = _verify_logged(logged_dsse, server, tree_id)
    assert entry.kind_version() == ("dsse", "0.0.1")
    sign.verify_dsse_bundle(logged_dsse, signer.public_key)


def test_refused_and_unreachable_logs(
    tmp_path: Path,
    server: Server,
    signer_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = sign.load_signer(str(signer_files[0]), password=b"pw")
    artifact = tmp_path / "y.bin"
    artifact.write_bytes(b"y")
    proposed = sign.proposed_entry(
        sign.parse_bundle(sign.sign_file(artifact, signer)), signer.public_key
    )
    proposed["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(InputError, match="answered 400: hashedrekord signature does not verify"):
        upload_entry(server.url, proposed)
    with pytest.raises(ConfigError, match="is not an http"):
        upload_entry("ftp://log.example", proposed)
    closed = f"http://{HOST}:{free_port()}"
    with pytest.raises(NetworkError, match="Connection refused"):
        upload_entry(closed, proposed)
    # The command: exit 3, one line, no bundle written.
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    code = cli.main(["sign", str(artifact), "--key", str(signer_files[0]), "--tlog-url", closed])
    assert code == 3
    assert capsys.readouterr().err.startswith("liturgia: error: transparency log http://")
    assert not (tmp_path / "y.bin.sigstore.json").exists()


class _Answers(BaseHTTPRequestHandler):
    """Answers POST and GET with the status, headers and body queued by the test."""

    answers: ClassVar[list[tuple[int, dict[str, str], bytes]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, headers, body = self.answers.pop(0)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = _answer
    do_GET = _answer

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def fake_log() -> Iterator[str]:
    httpd = ThreadingHTTPServer((HOST, 0), _Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([(201, {}, b"[]")], "the answer is not one Rekor log entry"),
        ([(201, {}, b'{"a": 1}')], "the answer is not one Rekor log entry"),
        ([(201, {}, b"not json")], "the answer is not one Rekor log entry"),
        ([(201, {}, b" " * (MAX_ANSWER_BYTES + 1))], "answer over"),
        ([(409, {}, b'{"code": 409, "message": "dup"}')], "answered 409: dup"),
        ([(500, {}, b"")] * UPLOAD_ATTEMPTS, "answered 500"),  # retried
        # Found by a tester: urllib followed a 302 and re-sent the POST as a GET.
        (
            [(302, {"Location": "/elsewhere"}, b"")],
            r"answered 302 \(a redirect: give the log's own URL\)",
        ),
        ([(503, {}, b'{"code": 503, "message": "down"}')] * UPLOAD_ATTEMPTS, "answered 503: down"),
        # A full disk is not retried at once: the log says when (Retry-After), the user decides.
        ([(507, {}, b'{"code": 507, "message": "full"}')], "answered 507: full"),
        ([(409, {"Location": "http://evil.example/x"}, b"")], "409 points to another host"),
        (
            [(409, {"Location": "/api/v1/log/entries/ab"}, b""), (404, {}, b"{}")],
            "entries/ab answered 404",
        ),
    ],
)
def test_answers_out_of_shape(
    fake_log: str, answers: list[tuple[int, dict[str, str], bytes]], message: str
) -> None:
    _Answers.answers[:] = answers
    with pytest.raises(NetworkError, match=message):
        # The upload's own settings, without the waits between attempts.
        client = HttpClient(
            timeout=10, max_bytes=MAX_ANSWER_BYTES, attempts=UPLOAD_ATTEMPTS, sleep=lambda _: None
        )
        upload_entry(fake_log, {"kind": "hashedrekord"}, timeout=10, http=client)
    assert _Answers.answers == []


def test_a_409_location_is_fetched(fake_log: str) -> None:
    value = {"body": base64.b64encode(b"{}").decode(), "logIndex": 3}
    _Answers.answers[:] = [
        (409, {"Location": "/api/v1/log/entries/ab"}, b""),
        (200, {}, json.dumps({"ab": value}).encode()),
    ]
    assert upload_entry(fake_log, {"kind": "hashedrekord"}, timeout=10) == value


def test_a_post_whose_answer_was_lost_is_retried_and_its_409_fetched(fake_log: str) -> None:
    """A 503 does not mean "not stored": the repeat meets the stored entry as a 409."""
    value = {"body": base64.b64encode(b"{}").decode(), "logIndex": 4}
    _Answers.answers[:] = [
        (503, {}, b""),
        (409, {"Location": "/api/v1/log/entries/cd"}, b""),
        (200, {}, json.dumps({"cd": value}).encode()),
    ]
    assert upload_entry(fake_log, {"kind": "hashedrekord"}, timeout=10) == value
    assert _Answers.answers == []


def test_a_malformed_201_is_a_network_error(
    fake_log: str,
    tmp_path: Path,
    signer_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Found by a tester: a 201 with a well-formed but wrong entry made sign exit 1."""
    artifact = tmp_path / "z.bin"
    artifact.write_bytes(b"z")
    _Answers.answers[:] = [(201, {}, b'{"abc": {"logIndex": "x"}}')]
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    code = cli.main(["sign", str(artifact), "--key", str(signer_files[0]), "--tlog-url", fake_log])
    assert code == 3
    assert "answered a malformed entry" in capsys.readouterr().err
    assert not (tmp_path / "z.bin.sigstore.json").exists()
