"""uvicorn's HTTP/1.1 protocol (httptools) with a deadline on request headers.

uvicorn closes an idle keep-alive connection after a few seconds, but a client that has begun
a request and sends its headers slowly (or never finishes them) holds the connection for ever:
found under faults (issue 16), 20 such connections were all still open after 25 s. Every
request's headers must now be complete within :data:`HEADER_TIMEOUT_SECONDS` of the
connection opening or of the previous answer; otherwise the connection is closed. (Bodies have
their own deadline: :data:`liturgia.server.wire.BODY_TIMEOUT_SECONDS`.)

Slowloris is the name of the attack; the defence is what nginx's ``client_header_timeout``
does.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_TIMEOUT_SECONDS", "HeaderDeadlineProtocol"]

#: Seconds a request's headers may take to arrive, in all.
HEADER_TIMEOUT_SECONDS = 10.0


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` closing a connection whose request headers come too late.

    The deadline is armed when the connection opens and after each answer (when no pipelined
    request waits), and disarmed once a request's headers are complete; bytes that arrive in
    the meantime do not re-arm it (unlike uvicorn's keep-alive timer), so trickling them does
    not keep the connection.
    """

    _header_deadline: asyncio.TimerHandle | None = None

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._headers_too_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Open the connection and arm the header deadline."""
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        """Headers in time: disarm, then handle the request."""
        self._disarm_header_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """An answer sent: the next request's headers get a deadline of their own."""
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._disarm_header_deadline()
        super().connection_lost(exc)
