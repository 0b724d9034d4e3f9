"""Two real ``liturgia serve`` logs, bundles logged in them by ``liturgia sign --tlog-url``.

The server and sigstore-js fixtures are the ones of tests/integration/server and
tests/integration/sign (sigstore-js installed by scripts/install-sigstore-js.sh).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from liturgia import cli, sign
from tests.integration.server.conftest import Server
from tests.integration.sign.conftest import sigstore_js

__all__ = ["Material", "sigstore_js"]

PASSWORD = "interop-pw"


@dataclass(frozen=True)
class Material:
    """What the tests verify: files, bundles, keys, trusted roots (all real, on disk)."""

    folder: Path
    log_url: str
    root: Path  # trusted root exported for the main log
    other_root: Path  # trusted root of the second log only
    log_pub: Path
    other_log_pub: Path
    signer_pub: Path
    other_pub: Path  # a key that signed nothing here
    artifacts: tuple[Path, ...]  # a, b: signed with --tlog-url in the main log
    other_log_bundle: Path  # artifact a signed and logged in the second log
    dsse: Path  # `liturgia attest` bundle with a main-log entry
    dsse_other_upload: Path  # another attestation's bundle, logged in the main log

    def bundle(self, index: int) -> bytes:
        """The ``--tlog-url`` bundle of ``artifacts[index]``."""
        return (self.folder / (self.artifacts[index].name + ".sigstore.json")).read_bytes()


def _public_key(server: Server, target: Path) -> Path:
    answer = httpx.get(f"{server.url}/api/v1/log/publicKey", timeout=10)
    assert answer.status_code == 200
    target.write_bytes(answer.content)
    return target


def _cli(*argv: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITURGIA_PASSWORD", PASSWORD)
        assert cli.main(list(argv)) == 0, argv


def _attest(folder: Path, subject: Path, name: str, log_url: str) -> Path:
    predicate = folder / f"{name}.predicate.json"
    predicate.write_text(json.dumps({"buildType": name}))
    out = folder / f"{name}.intoto.json"
    _cli(
        "attest",
        str(subject),
        "--predicate",
        str(predicate),
        "--type",
        "slsaprovenance1",
        "--key",
        str(folder / "release.key"),
        "-o",
        str(out),
        "--tlog-url",
        log_url,
    )
    return out


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Material]:
    folder = tmp_path_factory.mktemp("interop")
    main = Server(folder / "main" / "log.db", folder)
    other = Server(folder / "other" / "log.db", folder)
    try:
        log_pub = _public_key(main, folder / "log.pub")
        other_log_pub = _public_key(other, folder / "other-log.pub")
        root, other_root = folder / "root.json", folder / "other-root.json"
        # Exported before anything is logged: the key's validFor.start precedes every entry.
        _cli("trust-root", "export", "--tlog-key", str(log_pub), "--tlog-url", main.url,
             "-o", str(root))  # fmt: skip
        _cli("trust-root", "export", "--tlog-key", str(other_log_pub), "--tlog-url", other.url,
             "-o", str(other_root))  # fmt: skip
        sign.generate_key_pair(
            folder / "release.key", folder / "release.pub", password=PASSWORD.encode()
        )
        sign.generate_key_pair(
            folder / "other.key", folder / "other.pub", password=PASSWORD.encode()
        )
        fillers = [folder / f"filler-{i}.bin" for i in range(3)]
        artifacts = (folder / "vertice-0.1.0.tar.gz", folder / "vertice-0.1.0-py3-none-any.whl")
        for number, path in enumerate([*fillers, *artifacts]):
            path.write_bytes(b"release artifact %d\n" % number * 100)
        key = str(folder / "release.key")
        # Fillers first, so the artifacts' inclusion proofs have audit paths.
        _cli("sign", *map(str, fillers), "--key", key, "--tlog-url", main.url)
        _cli("sign", *map(str, artifacts), "--key", key, "--tlog-url", main.url)
        other_dir = folder / "other-log"
        other_dir.mkdir()
        _cli("sign", str(artifacts[0]), "--key", key, "--tlog-url", other.url,
             "--output-dir", str(other_dir))  # fmt: skip
        yield Material(
            folder=folder,
            log_url=main.url,
            root=root,
            other_root=other_root,
            log_pub=log_pub,
            other_log_pub=other_log_pub,
            signer_pub=folder / "release.pub",
            other_pub=folder / "other.pub",
            artifacts=artifacts,
            other_log_bundle=other_dir / (artifacts[0].name + ".sigstore.json"),
            dsse=_attest(folder, artifacts[0], "build", main.url),
            dsse_other_upload=_attest(folder, artifacts[1], "other-build", main.url),
        )
    finally:
        main.stop()
        other.stop()
