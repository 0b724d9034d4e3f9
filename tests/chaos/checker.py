"""The chaos experiments' checker: what was acknowledged is in the log and verifies.

Jepsen's lesson: check what the system promised (every 201), not that a process is up.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.tlog import rekor
from tests.chaos.serve import HOST

_K = TypeVar("_K", bound=Hashable)


def log_public_key(key_path: Path) -> ec.EllipticCurvePublicKey:
    """The public half of the log key ``liturgia serve`` created at ``key_path``."""
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private.public_key()


def stop_clients(stop: threading.Event, threads: Sequence[threading.Thread]) -> None:
    """Tell the client threads to stop and wait for them (bounded)."""
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), f"{thread.name} did not stop"


def lost_entries(
    url: str, acked: Mapping[_K, tuple[int, bytes]], log_key: ec.EllipticCurvePublicKey
) -> set[_K]:
    """The acknowledged entries (``key -> (logIndex, body)``) not served as acknowledged.

    Each must be at its ``logIndex`` with the acknowledged body, and its inclusion proof,
    checkpoint and SET must verify under ``log_key`` (a verification failure raises).
    """
    lost: set[_K] = set()
    with httpx.Client(base_url=url, timeout=20) as http:
        info = http.get("/api/v1/log").json()
        origin = f"{HOST} - {info['treeID']}"
        for key, (index, body) in acked.items():
            answer = http.get("/api/v1/log/entries", params={"logIndex": index})
            entry = rekor.LogEntry.from_api_json(answer.json()) if answer.is_success else None
            if entry is None or entry.body != body:
                lost.add(key)
                continue
            rekor.verify_log_entry(entry, log_key, key_name=HOST, origin=origin)
    return lost
