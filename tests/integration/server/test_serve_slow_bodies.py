"""Slow requests against a real ``liturgia serve``: a body shorter than its
``Content-Length``, and headers that never end.

Found by trying the log under faults (issue 16): such a request was waited for forever (500
connections stayed open). Now the body has :data:`~liturgia.server.wire.BODY_TIMEOUT_SECONDS`
to arrive; then the server answers 408 with ``Connection: close`` and closes the connection.
Raw sockets on loopback, 40 connections, each wait bounded.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx

from liturgia.server.protocol import HEADER_TIMEOUT_SECONDS
from liturgia.server.wire import BODY_TIMEOUT_SECONDS

from .conftest import HOST, Server

CONNECTIONS = 40


def _short_body(port: int, path: str) -> socket.socket:
    """Send a POST declaring 1,000 bytes of body and only 10 of them."""
    sock = socket.create_connection((HOST, port), timeout=5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n".encode()
        + b'{"kind": "'
    )
    return sock


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``deadline`` passes)."""
    got = b""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65_536)
        except TimeoutError:
            break
        if not chunk:
            return got
        got += chunk
    raise AssertionError(f"connection still open after the deadline; got {got[:200]!r}")


def test_short_bodies_get_408_and_their_connections_are_closed(
    tmp_path: Path, servers: list[Server]
) -> None:
    servers.append(Server(tmp_path / "log.db", tmp_path))
    server = servers[-1]
    paths = ["/api/v1/log/entries", "/api/v1/log/entries/retrieve"]  # bare ASGI and FastAPI
    sockets = [_short_body(server.port, paths[n % 2]) for n in range(CONNECTIONS)]
    try:
        # The server keeps answering others while the stalled bodies wait.
        assert httpx.get(f"{server.url}/api/v1/log", timeout=5).status_code == 200
        deadline = time.monotonic() + BODY_TIMEOUT_SECONDS + 10
        for sock in sockets:
            answer = _read_until_closed(sock, deadline)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b"connection: close" in head.lower()
            document = json.loads(body)
            assert document["code"] == 408
            assert document["message"].startswith("request body not received within 10 s")
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(f"{server.url}/api/v1/log", timeout=5).json()["treeSize"] == 0


def test_headers_that_never_end_have_their_connections_closed(
    tmp_path: Path, servers: list[Server]
) -> None:
    """Found under faults (issue 16): 20 connections sending half their headers (one more
    header line a second, as slowloris does) all stayed open; now each is closed once its
    headers are :data:`~liturgia.server.protocol.HEADER_TIMEOUT_SECONDS` late."""
    servers.append(Server(tmp_path / "log.db", tmp_path, "--workers", "2"))
    server = servers[-1]
    sockets = [socket.create_connection((HOST, server.port), timeout=5) for _ in range(20)]
    # A keep-alive connection whose second request never finishes its headers.
    second = socket.create_connection((HOST, server.port), timeout=5)
    second.sendall(f"GET /api/v1/log HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    assert second.recv(65_536).startswith(b"HTTP/1.1 200 ")
    sockets.append(second)
    try:
        deadline = time.monotonic() + HEADER_TIMEOUT_SECONDS + 10
        for sock in sockets:
            sock.sendall(f"GET /api/v1/log HTTP/1.1\r\nHost: {HOST}\r\n".encode())
        closed: set[int] = set()
        line = 0
        while len(closed) < len(sockets) and time.monotonic() < deadline:
            time.sleep(1)
            line += 1
            for number, sock in enumerate(sockets):
                if number in closed:
                    continue
                try:  # one more header line: the trickle must not keep it open
                    sock.sendall(b"X-Slow-%d: 1\r\n" % line)
                    sock.settimeout(0.01)
                    if sock.recv(65_536) == b"":
                        closed.add(number)
                except TimeoutError:
                    continue
                except OSError:  # reset: closed too
                    closed.add(number)
        assert len(closed) == len(sockets), f"{len(sockets) - len(closed)} still open"
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(f"{server.url}/api/v1/log", timeout=5).status_code == 200
