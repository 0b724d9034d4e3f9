"""``liturgia serve`` child processes on free loopback ports, and real signed entries for them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from liturgia import sign
from tests.integration.server.conftest import HOST, Server, free_port

__all__ = ["HOST", "Entries", "Server", "free_port"]


class Entries:
    """Makes distinct hashedrekord proposals signed by one real P-256 key (liturgia.sign)."""

    def __init__(self, folder: Path) -> None:
        sign.generate_key_pair(folder / "signer.key", folder / "signer.pub", password=b"pw")
        self.signer = sign.load_signer(str(folder / "signer.key"), password=b"pw")
        self.count = 0

    def proposed(self, tag: str = "") -> dict[str, Any]:
        self.count += 1
        data = f"artifact {tag} {self.count}\n".encode() * 20
        bundle = sign.parse_bundle(sign.sign_bytes(data, self.signer))
        return sign.proposed_entry(bundle, self.signer.public_key)

    def submit(self, server: Server, count: int, tag: str = "") -> list[str]:
        """Submit ``count`` new entries; return their entry IDs (each answered 201)."""
        created = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(count):
                answer = client.post("/api/v1/log/entries", json=self.proposed(tag))
                assert answer.status_code == 201, answer.text
                created += list(answer.json())
        return created


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def entries(tmp_path: Path) -> Entries:
    return Entries(tmp_path)
