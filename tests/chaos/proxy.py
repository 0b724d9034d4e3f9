"""A fault-injecting TCP proxy for the chaos tests (Toxiproxy's latency and reset toxics, small).

This kernel has no ``netem`` (TESTING-NOTES), so latency and loss between a client and a real
``liturgia serve`` come from this proxy on loopback. Threads, one pair per connection:

* **latency**: each chunk sent towards the server waits ``latency`` seconds plus a uniform
  jitter in ``[-jitter, +jitter]`` (so a request takes that much longer);
* **drop before**: with probability ``drop_before`` a new connection is reset at once (the
  request never reaches the server);
* **drop after**: with probability ``drop_after`` the request is forwarded but the connection
  is reset when the answer starts to come back (the server may have stored the entry: the
  case that makes idempotent retries necessary);
* **down**: the listening socket is closed (connections refused, as to a dead server) until
  :meth:`FaultProxy.up`.

Every decision comes from one seeded ``random.Random``; counts of what was done are kept.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Faults:
    """What the proxy does to new connections (change at any time)."""

    latency: float = 0.0
    jitter: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    #: The next this many connections that are not reset before have their answer cut, whatever
    #: the draw says: a hard case an experiment must meet, not one it may meet by chance.
    cut_next: int = 0


@dataclass
class Counts:
    """What the proxy did."""

    connections: int = 0
    dropped_before: int = 0
    dropped_after: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a dropped connection looks to its peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_port`` with :class:`Faults` applied.

    Args:
        target_port: the server's loopback port.
        seed: seeds every random decision.
    """

    def __init__(self, target_port: int, *, seed: int) -> None:
        self.target = (HOST, target_port)
        self.faults = Faults()
        self.counts = Counts()
        self._random = random.Random(seed)  # noqa: S311 - fault timing, not crypto
        self._random_lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        self.up()

    def _draw(self) -> float:
        with self._random_lock:
            return self._random.random()

    def _delay(self) -> float:
        faults = self.faults
        return max(0.0, faults.latency + faults.jitter * (2 * self._draw() - 1))

    # -- up and down ---------------------------------------------------------------------------

    def up(self) -> None:
        """Listen (again) on :attr:`port`."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(256)
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def down(self) -> None:
        """Stop listening and reset every open connection: the server looks dead."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._live_lock:
            live, self._live = self._live, set()
        for sock in live:
            _reset(sock)

    def close(self) -> None:
        """Stop everything (idempotent)."""
        self._stopped.set()
        self.down()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- forwarding ----------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            with self.counts.lock:
                self.counts.connections += 1
            drop = self._draw()
            if drop < self.faults.drop_before:
                with self.counts.lock:
                    self.counts.dropped_before += 1
                _reset(client)
                continue
            cut_answer = drop < self.faults.drop_before + self.faults.drop_after
            if self.faults.cut_next > 0:
                self.faults.cut_next -= 1
                cut_answer = True
            thread = threading.Thread(
                target=self._connection, args=(client, cut_answer), daemon=True
            )
            thread.start()

    def _track(self, *socks: socket.socket) -> None:
        with self._live_lock:
            self._live.update(socks)

    def _untrack(self, *socks: socket.socket) -> None:
        with self._live_lock:
            self._live.difference_update(socks)

    def _connection(self, client: socket.socket, cut_answer: bool) -> None:
        try:
            server = socket.create_connection(self.target, timeout=10)
        except OSError:
            _reset(client)
            return
        self._track(client, server)
        upstream = threading.Thread(target=self._pump_up, args=(client, server), daemon=True)
        upstream.start()
        try:
            while True:
                try:
                    data = server.recv(65_536)
                except OSError:
                    break
                if not data:
                    break
                if cut_answer:
                    with self.counts.lock:
                        self.counts.dropped_after += 1
                    break
                try:
                    client.sendall(data)
                except OSError:
                    break
        finally:
            self._untrack(client, server)
            if cut_answer:
                _reset(client)
            else:
                client.close()
            server.close()
            upstream.join(timeout=15)

    def _pump_up(self, client: socket.socket, server: socket.socket) -> None:
        """Client to server, each chunk delayed."""
        while True:
            try:
                data = client.recv(65_536)
            except OSError:
                break
            if not data:
                break
            time.sleep(self._delay())
            try:
                server.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_WR)
