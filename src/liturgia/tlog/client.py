"""The HTTP client side of a Rekor v1 log: reading it, and monitoring it as a witness does.

:class:`LogClient` speaks the read-only subset of Rekor's v1 REST API a monitor needs
(``GET /api/v1/log``, ``GET /api/v1/log/publicKey``, ``GET /api/v1/log/proof``, ``GET
/api/v1/log/entries/{uuid}``) through the shared :class:`~liturgia._internal.http.HttpClient`
(GETs: redirects followed, transient failures retried within a deadline). :func:`monitor_log` is
``liturgia log monitor``: it fetches the log's signed checkpoint, verifies it under the log's
key (fetched on first use, then pinned in the state folder, or given by the caller), proves it
consistent with the last checkpoint recorded (RFC 9162 §2.1.4.2, through
:class:`~liturgia.tlog.monitor.Monitor`) and records it. Consistency with the last recorded
checkpoint implies consistency with every earlier one, since each was in turn proven to extend
its predecessor; a recorded checkpoint of the same size with another root is refused too.

State folder layout: ``log.json`` (the pinned ``publicKey`` PEM, ``keyName`` and ``origin``),
and the monitor's ``checkpoint`` and ``history`` files.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from liturgia._internal.files import atomic_write_text
from liturgia._internal.http import HttpClient, check_base_url
from liturgia.errors import NetworkError, ProofError, SignatureError, StorageError
from liturgia.tlog import tiles
from liturgia.tlog.checkpoint import Checkpoint, SignedNote, open_checkpoint, verifier_for
from liturgia.tlog.monitor import Monitor
from liturgia.tlog.rekor import MAX_ANSWER_BYTES, LogEntry
from liturgia.tlog.tiled import CHECKPOINT_PATH

__all__ = ["MAX_ANSWER_BYTES", "LogClient", "MonitorResult", "TileLogClient", "monitor_log"]

_STATE = "log.json"


class LogClient:
    """Reads a Rekor v1 log over HTTP(S).

    Args:
        base_url: the log's base URL (``http://127.0.0.1:8080``).
        timeout: seconds per HTTP exchange.
        http: the HTTP client (default: a new :class:`~liturgia._internal.http.HttpClient`
            with ``timeout`` and a :data:`MAX_ANSWER_BYTES` cap).

    Raises:
        ConfigError: ``base_url`` is not an http(s) URL with a host.
    """

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, http: HttpClient | None = None
    ) -> None:
        self.base_url = check_base_url(base_url, what="transparency log URL")
        self.host = urllib.parse.urlsplit(self.base_url).hostname or ""
        self.timeout = timeout
        self._http = http or HttpClient(timeout=timeout, max_bytes=MAX_ANSWER_BYTES)

    def _get(self, path: str, query: dict[str, int] | None = None) -> tuple[int, bytes]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            answer = self._http.send("GET", url, headers={"Accept": "*/*"}, follow_redirects=True)
        except NetworkError as exc:
            raise NetworkError(f"transparency log {exc}") from exc
        return answer.status, answer.body

    def _get_json(self, path: str, query: dict[str, int] | None = None) -> Any:
        status, data = self._get(path, query)
        if status != 200:
            raise NetworkError(f"transparency log {self.base_url}{path} answered {status}")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise NetworkError(f"transparency log {self.base_url}{path}: not JSON") from exc

    def info(self) -> dict[str, Any]:
        """Return ``GET /api/v1/log`` (``treeSize``, ``rootHash``, ``signedTreeHead``, ``treeID``).

        Raises:
            NetworkError: unreachable, an answer other than 200, or not a JSON object with a
                string ``signedTreeHead``.
        """
        document = self._get_json("/api/v1/log")
        if not isinstance(document, dict) or not isinstance(document.get("signedTreeHead"), str):
            raise NetworkError(f"transparency log {self.base_url}: log info has no checkpoint")
        return document

    def checkpoint(self) -> bytes:
        """Return the log's current signed checkpoint (a C2SP signed note), unverified.

        Raises:
            NetworkError: see :meth:`info`.
        """
        return str(self.info()["signedTreeHead"]).encode("utf-8")

    def public_key_pem(self) -> bytes:
        """Return the log's public key, PEM, from ``GET /api/v1/log/publicKey``.

        Raises:
            NetworkError: unreachable or an answer other than 200.
        """
        status, data = self._get("/api/v1/log/publicKey")
        if status != 200:
            raise NetworkError(f"transparency log {self.base_url}: public key answered {status}")
        return data

    def consistency_proof(self, first_size: int, last_size: int) -> tuple[bytes, ...]:
        """Return the consistency proof from ``first_size`` to ``last_size`` (32-byte hashes).

        Raises:
            NetworkError: unreachable or an answer other than 200.
            ProofError: the answer is not a list of 32-byte hex hashes.
        """
        document = self._get_json(
            "/api/v1/log/proof", {"firstSize": first_size, "lastSize": last_size}
        )
        hashes = document.get("hashes") if isinstance(document, dict) else None
        if not isinstance(hashes, list):
            raise ProofError(f"consistency proof {first_size}->{last_size} has no hash list")
        proof = []
        for position, value in enumerate(hashes):
            try:
                digest = bytes.fromhex(value) if isinstance(value, str) else b""
            except ValueError:
                digest = b""
            if len(digest) != 32:
                raise ProofError(f"consistency proof hash {position} is not 32 bytes of hex")
            proof.append(digest)
        return tuple(proof)

    def entry_by_uuid(self, uuid: str) -> LogEntry | None:
        """Return the entry with this UUID or entry ID with its proof, ``None`` on 404.

        Raises:
            NetworkError: unreachable, or an answer other than 200/404, or not JSON.
            BundleError: the answer is not one Rekor log entry.
        """
        path = "/api/v1/log/entries/" + urllib.parse.quote(uuid, safe="")
        status, data = self._get(path)
        if status == 404:
            return None
        if status != 200:
            raise NetworkError(f"transparency log {self.base_url}{path} answered {status}")
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise NetworkError(f"transparency log {self.base_url}{path}: not JSON") from exc
        return LogEntry.from_api_json(document)


class TileLogClient:
    """Reads a log through its c2sp.org/tlog-tiles resources: ``liturgia serve`` or static files.

    Answers what :class:`LogClient` answers for a monitor (:meth:`checkpoint`,
    :meth:`consistency_proof`), computed here from the tiles (RFC 9162 §2.1.4.1 over the tile
    hashes), plus :meth:`inclusion_proof`. The tiles are not trusted: a proof computed from them
    only counts once it verifies against signed checkpoints, which the caller does.

    Args:
        base_url: the log's tile prefix (``http://127.0.0.1:8080``, or where ``liturgia log
            export`` output is served).
        timeout: seconds per HTTP exchange.
        http: the HTTP client (default: a new one with ``timeout``).

    Raises:
        ConfigError: ``base_url`` is not an http(s) URL with a host.
    """

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, http: HttpClient | None = None
    ) -> None:
        self._log = LogClient(base_url, timeout=timeout, http=http)
        self.base_url = self._log.base_url
        self._tiles: dict[str, bytes] = {}

    def _get(self, path: str) -> bytes:
        status, data = self._log._get(f"/{path}")  # the same transport and errors
        if status != 200:
            raise NetworkError(f"transparency log {self.base_url}/{path} answered {status}")
        return data

    def checkpoint(self) -> bytes:
        """Return the log's current signed checkpoint (``GET <prefix>/checkpoint``), unverified.

        Raises:
            NetworkError: unreachable or an answer other than 200.
        """
        return self._get(CHECKPOINT_PATH)

    def tile_source(self, tree_size: int) -> tiles.TileSource:
        """Return the log's tiles as they are at ``tree_size`` (partial ones at that width).

        Each tile is fetched once per client (a tile path names bytes that never change).
        """
        return _HttpTiles(self, tree_size)

    def _tile(self, key: tiles.TileKey, tree_size: int) -> bytes:
        path = tiles.tile_path(key, tree_size)
        data = self._tiles.get(path)
        if data is None:
            data = self._get(path)
            wanted = tiles.tile_width(key, tree_size) * 32
            if len(data) != wanted:
                raise ProofError(
                    f"transparency log {self.base_url}/{path} is {len(data)} bytes, not {wanted}"
                )
            self._tiles[path] = data
        return data

    def consistency_proof(self, first_size: int, last_size: int) -> tuple[bytes, ...]:
        """Return the consistency proof from ``first_size`` to ``last_size``, from tiles.

        Raises:
            NetworkError: a tile cannot be fetched.
            ProofError: a tile is not the size its path says, or the sizes are out of range.
        """
        if not 0 < first_size <= last_size:
            raise ProofError(f"no consistency proof from size {first_size} to {last_size}")
        return tiles.consistency_proof(self.tile_source(last_size), first_size, last_size)

    def inclusion_proof(self, index: int, tree_size: int) -> tuple[bytes, ...]:
        """Return the inclusion proof of leaf ``index`` at ``tree_size``, from tiles.

        Raises:
            NetworkError: a tile cannot be fetched.
            ProofError: a tile is not the size its path says, or ``index`` is not in the tree.
        """
        if not 0 <= index < tree_size:
            raise ProofError(f"leaf {index} is not in a tree of size {tree_size}")
        return tiles.inclusion_proof(self.tile_source(tree_size), index, tree_size)


class _HttpTiles:
    """:class:`~liturgia.tlog.tiles.TileSource` over HTTP at one tree size."""

    def __init__(self, client: TileLogClient, tree_size: int) -> None:
        self._client = client
        self._size = tree_size

    def read_tiles(self, keys: Collection[tiles.TileKey]) -> Mapping[tiles.TileKey, bytes]:
        return {key: self._client._tile(key, self._size) for key in sorted(keys)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorResult:
    """One successful observation of a log.

    Attributes:
        checkpoint: the new, verified checkpoint.
        previous_size: the size of the checkpoint recorded before, ``None`` on first use.
    """

    checkpoint: Checkpoint
    previous_size: int | None


def _load_pem(pem: bytes, what: str) -> Any:
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"{what} is not a PEM public key: {exc}") from exc


def _spki(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _read_state(path: Path) -> dict[str, str] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StorageError(f"{path}: cannot read the monitor state: {exc}") from exc
    if not isinstance(document, dict) or not all(
        isinstance(document.get(field), str) for field in ("publicKey", "keyName", "origin")
    ):
        raise StorageError(f"{path}: monitor state lacks publicKey, keyName or origin")
    return {field: document[field] for field in ("publicKey", "keyName", "origin")}


def _first_use(client: LogClient, note: bytes, log_key_pem: bytes | None) -> dict[str, str]:
    """Pin the log's identity from its first checkpoint: key, key name and origin."""
    pem = log_key_pem if log_key_pem is not None else client.public_key_pem()
    _load_pem(pem, "the log's public key")
    parsed = SignedNote.parse(note)
    origin = parsed.text.split(b"\n", 1)[0].decode("utf-8")
    return {
        "publicKey": pem.decode("ascii", "replace"),
        "keyName": parsed.signatures[0].name,
        "origin": origin,
    }


def _check_history(folder: Path, new: Checkpoint) -> None:
    """Refuse a checkpoint whose size was recorded earlier with another root (a fork)."""
    try:
        lines = (folder / "history").read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise StorageError(f"{folder / 'history'}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        fields = line.split(" ")
        if len(fields) != 3 or not fields[1].isdigit() or len(fields[1]) > 20:
            raise StorageError(f"{folder / 'history'}:{number}: malformed line {line!r}")
        try:
            root = base64.b64decode(fields[2], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StorageError(f"{folder / 'history'}:{number}: malformed root") from exc
        if int(fields[1]) == new.size and root != new.root_hash:
            raise ProofError(
                f"log forked: size {new.size} was recorded with root {root.hex()}, "
                f"now {new.root_hash.hex()}"
            )


def monitor_log(
    base_url: str,
    state: Path,
    *,
    log_key_pem: bytes | None = None,
    timeout: float = 30.0,
    use_tiles: bool = False,
) -> MonitorResult:
    """Fetch a log's checkpoint, verify it and its consistency with the recorded ones, record it.

    Args:
        base_url: the log's base URL.
        state: the monitor's state folder (created on first use).
        log_key_pem: the log's public key (PEM); default: the key pinned in ``state``, or on
            first use the one the log serves at ``/api/v1/log/publicKey``.
        timeout: seconds per HTTP exchange.
        use_tiles: read the checkpoint and compute the consistency proof from the log's
            c2sp.org/tlog-tiles resources (:class:`TileLogClient`; ``base_url`` is then the
            tile prefix, which may be static files) instead of asking the Rekor API.

    Returns:
        The new checkpoint and the size recorded before it.

    Raises:
        ConfigError: a bad URL.
        NetworkError: the log cannot be reached or answers out of shape (exit 3).
        SignatureError: a bad checkpoint signature, or ``log_key_pem`` is not the pinned key.
        ProofError: a malformed checkpoint, another origin, a rollback, a fork or a
            consistency proof that does not verify (RFC 9162 §2.1.4.2).
        StorageError: the state cannot be read or written.
    """
    client = LogClient(base_url, timeout=timeout)
    state_file = state / _STATE
    pinned = _read_state(state_file)
    if pinned is not None and log_key_pem is not None:
        given = _spki(_load_pem(log_key_pem, "--log-key"))
        if _spki(_load_pem(pinned["publicKey"].encode(), str(state_file))) != given:
            raise SignatureError(f"the log key given is not the one pinned in {state_file}")
    reader: LogClient | TileLogClient = (
        TileLogClient(base_url, timeout=timeout) if use_tiles else client
    )
    note = reader.checkpoint()
    identity = pinned if pinned is not None else _first_use(client, note, log_key_pem)
    verifier = verifier_for(
        identity["keyName"], _load_pem(identity["publicKey"].encode(), "the log's public key")
    )
    monitor = Monitor(state, (verifier,), origin=identity["origin"])
    previous = monitor.last()
    new = open_checkpoint(note, (verifier,), origin=identity["origin"])
    _check_history(state, new)
    observed = monitor.observe(note, reader.consistency_proof)
    if pinned is None:
        atomic_write_text(state_file, json.dumps(identity, indent=2, sort_keys=True) + "\n")
    return MonitorResult(
        checkpoint=observed, previous_size=None if previous is None else previous.size
    )
