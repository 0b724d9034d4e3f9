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

    #: When the awaited headers are due (``loop.time()``), or ``None`` when none are awaited.
    _header_deadline: float | None = None
    #: The one timer of the connection: it fires at a deadline and looks again then.
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_deadline(self) -> None:
        # A deadline is a number; the connection's one timer is scheduled only when none
        # runs (a timer made and cancelled per request cost more than the read it guards).
        self._header_deadline = self.loop.time() + HEADER_TIMEOUT_SECONDS
        if self._header_timer is None:
            self._header_timer = self.loop.call_at(
                self._header_deadline, self._check_header_deadline
            )

    def _disarm_header_deadline(self) -> None:
        self._header_deadline = None

    def _check_header_deadline(self) -> None:
        self._header_timer = None
        deadline = self._header_deadline
        if deadline is None:
            return  # the headers came; the next arm schedules the timer again
        if self.loop.time() < deadline:  # armed again since: wait for that deadline
            self._header_timer = self.loop.call_at(deadline, self._check_header_deadline)
            return
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
        """Forget the deadline and its timer with the connection."""
        self._disarm_header_deadline()
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)
