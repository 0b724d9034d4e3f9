"""The HTTP client's circuit breaker against a real dead port, then a real server on it.

A port that was bound and closed refuses connections (loopback only); the clock is injected
so that the cooldown passes without waiting.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from liturgia._internal.http import CircuitBreaker, CircuitOpenError, HttpClient
from liturgia.errors import NetworkError

HOST = "127.0.0.1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture
def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _client(clock: Clock, breaker: CircuitBreaker | None = None) -> HttpClient:
    return HttpClient(
        timeout=2,
        attempts=1,
        clock=clock,
        sleep=lambda _: None,
        breaker=breaker or CircuitBreaker(threshold=3, cooldown=30, clock=clock),
    )


@contextlib.contextmanager
def _serve(port: int) -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer((HOST, port), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_opens_after_n_refused_connections_and_half_opens_after_the_cooldown(
    dead_port: int, clock: Clock
) -> None:
    client = _client(clock)
    url = f"http://{HOST}:{dead_port}/api/v1/log"
    for _ in range(3):
        with pytest.raises(NetworkError, match="unreachable"):
            client.send("GET", url)
    assert client.requests == 3 and client.breaker.is_open(url)
    # Open: refused at once, no connection tried.
    for _ in range(5):
        with pytest.raises(CircuitOpenError, match=r"failed to connect 3 times in a row") as err:
            client.send("GET", url)
        assert err.value.retry_in == pytest.approx(30.0)
    assert client.requests == 3
    # Another path on the same host and port is the same origin; another port is not.
    with pytest.raises(CircuitOpenError):
        client.send("GET", f"http://{HOST}:{dead_port}/other")
    # Half-open after the cooldown: one trial; it fails, so the circuit opens again at once.
    clock.now += 31
    with pytest.raises(NetworkError, match="unreachable"):
        client.send("GET", url)
    assert client.requests == 4
    with pytest.raises(CircuitOpenError):
        client.send("GET", url)
    # The server comes back: the next trial succeeds and closes the circuit.
    clock.now += 31
    with _serve(dead_port):
        assert client.send("GET", url).body == b"ok"
        assert not client.breaker.is_open(url)
        assert client.send("GET", url).status == 200
    assert client.requests == 6


def test_retries_stop_once_the_circuit_opens(dead_port: int, clock: Clock) -> None:
    client = HttpClient(
        timeout=2,
        attempts=10,
        clock=clock,
        sleep=lambda _: None,
        breaker=CircuitBreaker(threshold=4, cooldown=30, clock=clock),
    )
    with pytest.raises(CircuitOpenError):
        client.send("GET", f"http://{HOST}:{dead_port}/")
    assert client.requests == 4  # not 10


def test_a_trial_in_flight_keeps_others_out_and_an_abandoned_one_expires(clock: Clock) -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    url = "http://log.example/x"
    breaker.failed(url)
    clock.now += 6
    breaker.before(url)  # the trial
    with pytest.raises(CircuitOpenError):
        breaker.before("http://log.example:80/y")  # same origin, trial in flight
    breaker.before("https://log.example/x")  # another origin
    clock.now += 6  # the trial never reported back: given up
    breaker.before(url)
    breaker.succeeded(url)
    assert not breaker.is_open(url)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold must be >= 1"):
        CircuitBreaker(threshold=0)
