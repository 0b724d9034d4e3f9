"""The header deadline of :class:`~liturgia.server.protocol.HeaderDeadlineProtocol`, with the
real uvicorn protocol on a real loopback socket and a deadline shortened to a fraction of a
second (the 10 s one is tried against ``liturgia serve`` in
``tests/integration/server/test_serve_slow_bodies.py``).

The connection keeps one timer that looks at the deadline when it fires: a keep-alive client
answered again and again must keep its connection however long it lasts, and one whose next
request's headers do not end in time must lose it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from liturgia.server import protocol
from liturgia.server.protocol import HeaderDeadlineProtocol

DEADLINE = 0.3
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def _answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    await asyncio.wait_for(reader.readexactly(2), 5)
    return head


async def _serve_and_try() -> tuple[int, bool, bool, float]:
    config = uvicorn.Config(_app, http=HeaderDeadlineProtocol, lifespan="off", log_level="error")
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HeaderDeadlineProtocol(config=config, server_state=state, app_state={}),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    try:
        # Keep-alive: a request every DEADLINE / 3 for 4 deadlines, all answered.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answered = 0
        began = loop.time()
        while loop.time() - began < 4 * DEADLINE:
            writer.write(REQUEST)
            assert (await _answer(reader)).startswith(b"HTTP/1.1 200 ")
            answered += 1
            last_answer = loop.time()
            await asyncio.sleep(DEADLINE / 3)
        kept = not reader.at_eof()
        # Then a request whose headers never end: closed one deadline after the last answer.
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        started = loop.time()
        closed_after = -1.0
        while loop.time() - started < 10 * DEADLINE:
            writer.write(b"X-Slow: 1\r\n")  # trickling does not keep the connection
            try:
                if await asyncio.wait_for(reader.read(100), DEADLINE / 4) == b"":
                    closed_after = loop.time() - last_answer  # the deadline runs from there
                    break
            except TimeoutError:
                continue
        writer.close()
        # A fresh connection that sends nothing at all is closed as well.
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        idle_closed = await asyncio.wait_for(idle_reader.read(100), 10 * DEADLINE) == b""
        idle_writer.close()
        return answered, kept, idle_closed, closed_after
    finally:
        server.close()
        await server.wait_closed()


def test_kept_alive_connections_stay_and_late_headers_are_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_SECONDS", DEADLINE)
    answered, kept, idle_closed, closed_after = asyncio.run(_serve_and_try())
    assert answered >= 8 and kept  # 4 deadlines of requests on one connection
    assert idle_closed
    assert DEADLINE * 0.9 <= closed_after <= DEADLINE * 3, closed_after
